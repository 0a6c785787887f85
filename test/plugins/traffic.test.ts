// Traffic plugins through a real data plane and a real upstream: cors, ip-restriction,
// rate-limiting (local policy) and request-transformer.
import { connect, type AddressInfo } from 'node:net';
import { Type } from '@sinclair/typebox';
import { answerCounterRequest, DataPlane, MemoryCounterStore, pluginRegistry, RemoteCounterStore, type CounterRequest } from '@tollgate/data-plane';
import { definePlugin, definePluginSchema, matchesCidr, parseCidr, parseIp, type PluginDefinition } from '@tollgate/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cors from '../../packages/plugins/cors/index.ts';
import ipRestriction from '../../packages/plugins/ip-restriction/index.ts';
import rateLimiting from '../../packages/plugins/rate-limiting/index.ts';
import { periodBounds } from '../../packages/plugins/rate-limiting/handler.ts';
import requestTransformer from '../../packages/plugins/request-transformer/index.ts';
import { fakeAuth } from '../support/fake-auth.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, startUpstream, type Upstream } from '../support/upstream.ts';


const plugins: PluginDefinition[] = [cors, ipRestriction, rateLimiting, requestTransformer, fakeAuth];

let up: Upstream;
let proxy: ProxyHarness;

/** One route per plugin configuration, named after its path. */
const route = (path: string, name: string, config: Record<string, unknown>) => ({
  name: path.slice(1),
  paths: [path],
  plugins: [{ name, config }],
});

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body: string;
}

/** A chunked HTTP/1.1 body, joined. */
function dechunk(raw: string): string {
  let out = '';
  for (let at = 0; ; ) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

beforeAll(async () => {
  up = await startUpstream();
  proxy = await startProxy(
    {
      _format_version: '3.0',
      consumers: [{ username: 'alice' }, { username: 'bob' }],
      services: [
        {
          name: 'traffic',
          url: up.url,
          routes: [
            route('/cors-list', 'cors', { origins: ['http://a.example', 'https://b.example:8443'], credentials: true, max_age: 600, exposed_headers: ['X-One', 'X-Two'] }),
            route('/cors-regex', 'cors', { origins: ['(?i)https?://.*\\.regex\\.test'] }),
            route('/cors-star', 'cors', {}),
            route('/cors-star-creds', 'cors', { origins: ['*'], credentials: true }),
            route('/cors-headers', 'cors', { origins: ['http://a.example'], headers: ['X-A', 'X-B'], methods: ['GET', 'POST'], private_network: true }),
            route('/cors-continue', 'cors', { origins: ['http://a.example'], preflight_continue: true }),
            route('/cors-absent', 'cors', { allow_origin_absent: false }),
            route('/ip-deny', 'ip-restriction', { deny: ['127.0.0.0/8'] }),
            route('/ip-allow-other', 'ip-restriction', { allow: ['10.0.0.0/8', '2001:db8::/32'] }),
            route('/ip-allow-me', 'ip-restriction', { allow: ['127.0.0.1'] }),
            route('/ip-deny-wins', 'ip-restriction', { allow: ['127.0.0.1'], deny: ['127.0.0.1/32'] }),
            route('/ip-mapped', 'ip-restriction', { deny: ['::ffff:127.0.0.0/104'] }),
            route('/ip-custom', 'ip-restriction', { deny: ['0.0.0.0/0'], status: 401, message: 'Go away' }),
            route('/rl-hour', 'rate-limiting', { hour: 3 }),
            route('/rl-multi', 'rate-limiting', { second: 5, hour: 5, day: 50, limit_by: 'ip' }),
            route('/rl-hidden', 'rate-limiting', { hour: 1, hide_client_headers: true }),
            route('/rl-custom', 'rate-limiting', { hour: 1, error_code: 503, error_message: 'Slow down' }),
            route('/rl-header', 'rate-limiting', { hour: 1, limit_by: 'header', header_name: 'X-Tenant' }),
            route('/rl-consumer', 'rate-limiting', { hour: 1, limit_by: 'consumer' }),
            route('/rl-path', 'rate-limiting', { hour: 1, limit_by: 'path', path: '/rl-path/counted' }),
            route('/rl-service', 'rate-limiting', { hour: 1, limit_by: 'service' }),
            route('/rt-headers', 'request-transformer', {
              remove: { headers: ['x-drop'] },
              rename: { headers: ['x-old:x-new'] },
              replace: { headers: ['x-rep:replaced', 'x-absent:never'] },
              add: { headers: ['x-added:yes', 'x-new:not-this'] },
              append: { headers: ['x-multi:second'] },
            }),
            route('/rt-query', 'request-transformer', {
              remove: { querystring: ['drop'] },
              rename: { querystring: ['old:new'] },
              replace: { querystring: ['rep:replaced', 'absent:never'] },
              add: { querystring: ['added:yes', 'new:not-this'] },
              append: { querystring: ['multi:two'] },
            }),
            route('/rt-body', 'request-transformer', {
              remove: { body: ['drop'] },
              rename: { body: ['old:new'] },
              replace: { body: ['rep:replaced', 'absent:never'] },
              add: { body: ['added:yes', 'new:not-this'] },
              append: { body: ['multi:two'] },
            }),
            route('/rt-uri', 'request-transformer', { replace: { uri: '/rewritten/$(query_params.id)' } }),
            route('/rt-template', 'request-transformer', { add: { headers: ['x-copied:from-$(headers["x-source"])', 'x-query:$(query_params.q)'] } }),
            {
              name: 'rt-captures',
              paths: ['~/rt-captures/(?<user>[a-z]+)/(\\d+)$'],
              plugins: [{ name: 'request-transformer', config: { replace: { uri: '/users/$(uri_captures.user)/items/$(uri_captures[2])' }, add: { headers: ['x-whole:$(uri_captures[0])'] } } }],
            },
            route('/rt-method', 'request-transformer', { http_method: 'PUT' }),
            route('/rt-method-get', 'request-transformer', { http_method: 'GET' }),
          ],
        },
      ],
      plugins: [{ name: 'test-auth' }],
    },
    { plugins },
  );
});

afterAll(async () => {
  await proxy?.close();
  await up?.close();
});

// A JSON client: error answers come back as JSON (without Accept they would be text/plain).
const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(`${proxy.url}${path}`, { method, headers: { accept: 'application/json', ...headers } });

describe('cors', () => {
  const preflight = (path: string, origin: string, extra: Record<string, string> = {}) =>
    get(path, { origin, 'access-control-request-method': 'POST', ...extra }, 'OPTIONS');

  it('answers a preflight itself with the configured headers', async () => {
    const before = up.seen.length;
    const res = await preflight('/cors-list', 'http://a.example', { 'access-control-request-headers': 'X-Foo, X-Bar' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://a.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toBe('GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
    expect(res.headers['access-control-allow-headers']).toBe('X-Foo, X-Bar');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers['vary']).toBe('Origin');
    expect(res.headers['access-control-expose-headers']).toBeUndefined();
    expect(up.seen.length).toBe(before);
  });

  it('uses configured headers and methods, and private network access when asked', async () => {
    const res = await preflight('/cors-headers', 'http://a.example', { 'access-control-request-headers': 'X-Other', 'access-control-request-private-network': 'true' });
    expect(res.headers['access-control-allow-headers']).toBe('X-A,X-B');
    expect(res.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(res.headers['access-control-allow-private-network']).toBe('true');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['access-control-max-age']).toBeUndefined();
  });

  it('adds origin, credentials and exposed headers to actual responses', async () => {
    const res = await get('/cors-list', { origin: 'http://a.example' });
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('upstream');
    expect(res.headers['access-control-allow-origin']).toBe('http://a.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-expose-headers']).toBe('X-One,X-Two');
    expect(res.headers['vary']).toBe('Origin');
    // The default port is dropped before comparing; another port is another origin.
    expect((await get('/cors-list', { origin: 'https://b.example:8443' })).headers['access-control-allow-origin']).toBe('https://b.example:8443');
    expect((await get('/cors-list', { origin: 'http://a.example:80' })).headers['access-control-allow-origin']).toBe('http://a.example');
    expect((await get('/cors-list', { origin: 'http://a.example:8080' })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no Allow-Origin for an origin that is not allowed', async () => {
    const res = await get('/cors-list', { origin: 'http://evil.example' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['vary']).toBe('Origin');
    const pre = await preflight('/cors-list', 'http://evil.example');
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('matches regex origins, anchored, with PCRE inline flags', async () => {
    expect((await get('/cors-regex', { origin: 'https://api.regex.test' })).headers['access-control-allow-origin']).toBe('https://api.regex.test');
    expect((await get('/cors-regex', { origin: 'HTTP://WWW.REGEX.TEST' })).headers['access-control-allow-origin']).toBe('http://www.regex.test');
    expect((await get('/cors-regex', { origin: 'https://api.regex.test.evil' })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows any origin with * (no Vary), and echoes the origin when credentials are on', async () => {
    const star = await get('/cors-star', { origin: 'http://x.example' });
    expect(star.headers['access-control-allow-origin']).toBe('*');
    expect(star.headers['vary']).toBeUndefined();
    expect((await get('/cors-star')).headers['access-control-allow-origin']).toBe('*');
    const creds = await get('/cors-star-creds', { origin: 'http://x.example' });
    expect(creds.headers['access-control-allow-origin']).toBe('http://x.example');
    expect(creds.headers['access-control-allow-credentials']).toBe('true');
    expect(creds.headers['vary']).toBe('Origin');
  });

  it('proxies preflights with preflight_continue and adds no headers to them', async () => {
    const before = up.seen.length;
    const res = await preflight('/cors-continue', 'http://a.example');
    expect(res.status).toBe(200);
    expect(up.seen.length).toBe(before + 1);
    expect(up.seen.at(-1)!.method).toBe('OPTIONS');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('treats OPTIONS without Access-Control-Request-Method as an actual request', async () => {
    const res = await get('/cors-list', { origin: 'http://a.example' }, 'OPTIONS');
    expect(res.headers['x-upstream']).toBe('upstream');
    expect(res.headers['access-control-allow-origin']).toBe('http://a.example');
  });

  it('adds nothing without an Origin when allow_origin_absent is false', async () => {
    expect((await get('/cors-absent')).headers['access-control-allow-origin']).toBeUndefined();
    expect((await get('/cors-absent', { origin: 'http://x.example' })).headers['access-control-allow-origin']).toBe('*');
  });
});

describe('ip-restriction', () => {
  it('refuses a denied client with 403 and Kong\'s message', async () => {
    const res = await get('/ip-deny');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ message: 'IP address not allowed: 127.0.0.1', request_id: expect.any(String) });
  });

  it('refuses a client outside allow and lets one inside through', async () => {
    expect((await get('/ip-allow-other')).status).toBe(403);
    const ok = await get('/ip-allow-me');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-upstream']).toBe('upstream');
  });

  it('checks deny before allow', async () => {
    expect((await get('/ip-deny-wins')).status).toBe(403);
  });

  it('matches IPv4 clients against IPv4-mapped IPv6 ranges', async () => {
    expect((await get('/ip-mapped')).status).toBe(403);
  });

  it('uses the configured status and message', async () => {
    const res = await get('/ip-custom');
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ message: 'Go away', request_id: expect.any(String) });
  });

  it('matches CIDRs over parsed bytes, IPv4 and IPv6', () => {
    const has = (cidr: string, ip: string) => matchesCidr(parseCidr(cidr), parseIp(ip)!.bytes);
    expect(has('10.0.0.0/8', '10.255.1.2')).toBe(true);
    expect(has('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(has('192.168.1.128/25', '192.168.1.200')).toBe(true);
    expect(has('192.168.1.128/25', '192.168.1.127')).toBe(false);
    expect(has('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(has('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(has('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(has('::1', '::1')).toBe(true);
    expect(has('::1', '0:0:0:0:0:0:0:1')).toBe(true);
    expect(has('fe80::/10', 'fe80::1%eth0')).toBe(true);
    expect(has('1.2.3.4', '::ffff:1.2.3.4')).toBe(true);
    expect(has('::ffff:1.2.3.0/120', '1.2.3.9')).toBe(true);
    expect(has('2001:db8::/33', '2001:db8:8000::')).toBe(false);
    expect(parseIp('1.2.3')).toBeUndefined();
    expect(parseIp('1::2::3')).toBeUndefined();
    expect(parseIp('1:2:3:4:5:6:7')).toBeUndefined();
  });
});

describe('rate-limiting (local policy)', () => {
  it('counts requests and answers 429 with Kong\'s headers over the limit', async () => {
    for (const remaining of [2, 1, 0]) {
      const res = await get('/rl-hour');
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit-hour']).toBe('3');
      expect(res.headers['x-ratelimit-remaining-hour']).toBe(String(remaining));
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe(String(remaining));
      const reset = Number(res.headers['ratelimit-reset']);
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(3600);
    }
    const before = up.seen.length;
    const res = await get('/rl-hour');
    expect(res.status).toBe(429);
    expect(JSON.parse(res.body)).toEqual({ message: 'API rate limit exceeded', request_id: expect.any(String) });
    expect(res.headers['x-ratelimit-limit-hour']).toBe('3');
    expect(res.headers['x-ratelimit-remaining-hour']).toBe('0');
    expect(res.headers['ratelimit-remaining']).toBe('0');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.headers['retry-after']).toBe(res.headers['ratelimit-reset']);
    expect(up.seen.length).toBe(before);
  });

  it('sends headers for every period and RateLimit-* for the most restrictive one', async () => {
    const res = await get('/rl-multi');
    expect(res.headers['x-ratelimit-limit-second']).toBe('5');
    expect(res.headers['x-ratelimit-remaining-second']).toBe('4');
    expect(res.headers['x-ratelimit-limit-hour']).toBe('5');
    expect(res.headers['x-ratelimit-remaining-hour']).toBe('4');
    expect(res.headers['x-ratelimit-limit-day']).toBe('50');
    expect(res.headers['ratelimit-limit']).toBe('5');
    expect(res.headers['ratelimit-remaining']).toBe('4');
    // Equal remaining: the longer window (hour) wins, so the reset is the hour's, not the second's.
    expect(res.headers['x-ratelimit-remaining-day']).toBe('49');
    expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
  });

  it('hides the headers with hide_client_headers, also on the 429', async () => {
    const ok = await get('/rl-hidden');
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.headers).filter((h) => h.includes('ratelimit'))).toEqual([]);
    const limited = await get('/rl-hidden');
    expect(limited.status).toBe(429);
    expect(Object.keys(limited.headers).filter((h) => h.includes('ratelimit') || h === 'retry-after')).toEqual([]);
  });

  it('uses error_code and error_message', async () => {
    await get('/rl-custom');
    const res = await get('/rl-custom');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ message: 'Slow down', request_id: expect.any(String) });
  });

  it('counts by header value, falling back to the client IP without it', async () => {
    expect((await get('/rl-header', { 'x-tenant': 'one' })).status).toBe(200);
    expect((await get('/rl-header', { 'x-tenant': 'one' })).status).toBe(429);
    expect((await get('/rl-header', { 'x-tenant': 'two' })).status).toBe(200);
    expect((await get('/rl-header')).status).toBe(200);
    expect((await get('/rl-header')).status).toBe(429);
  });

  it('counts a 10 KB header identifier by its whole value', async () => {
    // Kept in the node counters as a hash (identifiers over 64 bytes): limiting must not notice.
    const long = 't'.repeat(10 * 1024);
    expect((await get('/rl-header', { 'x-tenant': long })).status).toBe(200);
    expect((await get('/rl-header', { 'x-tenant': long })).status).toBe(429);
    // One that differs only in its last byte has a counter of its own, and so does its 64-byte prefix.
    expect((await get('/rl-header', { 'x-tenant': `${long.slice(0, -1)}u` })).status).toBe(200);
    expect((await get('/rl-header', { 'x-tenant': long.slice(0, 64) })).status).toBe(200);
    expect((await get('/rl-header', { 'x-tenant': long.slice(0, 64) })).status).toBe(429);
  });

  it('counts by consumer, falling back to the client IP for anonymous requests', async () => {
    expect((await get('/rl-consumer', { 'x-user': 'alice' })).status).toBe(200);
    expect((await get('/rl-consumer', { 'x-user': 'alice' })).status).toBe(429);
    expect((await get('/rl-consumer', { 'x-user': 'bob' })).status).toBe(200);
    expect((await get('/rl-consumer')).status).toBe(200);
    expect((await get('/rl-consumer')).status).toBe(429);
  });

  it('counts by path only for the configured path', async () => {
    expect((await get('/rl-path/counted')).status).toBe(200);
    expect((await get('/rl-path/counted')).status).toBe(429);
    // Another path falls back to the IP, a separate counter.
    expect((await get('/rl-path/other')).status).toBe(200);
    expect((await get('/rl-path/other')).status).toBe(429);
  });

  it('counts by service across clients', async () => {
    expect((await get('/rl-service', { 'x-user': 'alice' })).status).toBe(200);
    expect((await get('/rl-service', { 'x-user': 'bob' })).status).toBe(429);
  });

  it('aligns windows to the UTC calendar', () => {
    const now = Date.UTC(2024, 1, 29, 13, 45, 30, 500);
    expect(periodBounds('second', now)).toEqual([Date.UTC(2024, 1, 29, 13, 45, 30), Date.UTC(2024, 1, 29, 13, 45, 31)]);
    expect(periodBounds('minute', now)).toEqual([Date.UTC(2024, 1, 29, 13, 45), Date.UTC(2024, 1, 29, 13, 46)]);
    expect(periodBounds('hour', now)).toEqual([Date.UTC(2024, 1, 29, 13), Date.UTC(2024, 1, 29, 14)]);
    expect(periodBounds('day', now)).toEqual([Date.UTC(2024, 1, 29), Date.UTC(2024, 2, 1)]);
    expect(periodBounds('month', now)).toEqual([Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1)]);
    expect(periodBounds('year', now)).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2025, 0, 1)]);
  });
});

describe('rate-limiting (local policy, counters in the primary process)', () => {
  it('answers without waiting for the primary to confirm the increment, and the count still lands', async () => {
    const primary = new MemoryCounterStore();
    const held: CounterRequest[] = [];
    const answer = (msg: CounterRequest) => answerCounterRequest(primary, msg, (reply) => counters.receive(reply));
    // Reads are answered at once; increments wait until the test lets them through.
    const counters: RemoteCounterStore = new RemoteCounterStore((msg) => (msg.op === 'get' ? queueMicrotask(() => answer(msg)) : held.push(msg)), { timeoutMs: 5000 });
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const dp = new DataPlane({ plugins: pluginRegistry([rateLimiting]), listen: [{ host: '127.0.0.1', port: 0, tls: false }], log: quiet, counters });
    const [address] = (await dp.listen()) as AddressInfo[];
    const config = { _format_version: '3.0', services: [{ name: 'remote', url: up.url, routes: [route('/rl-remote', 'rate-limiting', { hour: 2, limit_by: 'ip' })] }] };
    expect(dp.apply(proxy.snapshot(config)).ok).toBe(true);
    const hit = () => rawRequest(`http://127.0.0.1:${address!.port}/rl-remote`);
    try {
      const first = await hit();
      expect(first.status).toBe(200);
      expect(first.headers['x-ratelimit-remaining-hour']).toBe('1');
      // Answered while its increment is still on its way.
      expect(held.map((m) => m.op)).toEqual(['increment']);
      expect(counters.pending).toBe(1);
      for (const msg of held.splice(0)) answer(msg);
      expect(counters.pending).toBe(0);
      expect((await hit()).headers['x-ratelimit-remaining-hour']).toBe('0');
    } finally {
      await dp.close(1000);
    }
  });
});

describe('request-transformer', () => {
  const echo = (res: { body: string }) => JSON.parse(res.body) as Echo;

  it('transforms headers: remove, rename, replace, add, append in that order', async () => {
    const res = await get('/rt-headers', { 'x-drop': '1', 'x-old': 'kept', 'x-rep': 'orig', 'x-multi': 'first' });
    const h = echo(res).headers;
    expect(h['x-drop']).toBeUndefined();
    expect(h['x-old']).toBeUndefined();
    expect(h['x-new']).toBe('kept'); // renamed before add, so add keeps it
    expect(h['x-rep']).toBe('replaced');
    expect(h['x-absent']).toBeUndefined(); // replace only touches present headers
    expect(h['x-added']).toBe('yes');
    expect(h['x-multi']).toBe('first, second');
  });

  it('adds headers that are absent and appends even without an existing value', async () => {
    const h = echo(await get('/rt-headers')).headers;
    expect(h['x-new']).toBe('not-this');
    expect(h['x-multi']).toBe('second');
  });

  it('transforms the query string', async () => {
    const url = new URL(echo(await get('/rt-query?drop=1&old=kept&rep=orig&multi=one&keep=z')).url, 'http://x');
    const q = url.searchParams;
    expect(q.has('drop')).toBe(false);
    expect(q.has('old')).toBe(false);
    expect(q.get('new')).toBe('kept');
    expect(q.get('rep')).toBe('replaced');
    expect(q.has('absent')).toBe(false);
    expect(q.get('added')).toBe('yes');
    expect(q.getAll('multi')).toEqual(['one', 'two']);
    expect(q.get('keep')).toBe('z');
    expect(url.pathname).toBe('/'); // strip_path: the route's prefix is removed, the path is untouched
  });

  it('transforms a JSON body', async () => {
    const res = await rawRequest(`${proxy.url}/rt-body`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drop: 1, old: 'kept', rep: 'orig', multi: 'one', keep: { n: 1 } }),
    });
    const seen = echo(res);
    expect(JSON.parse(seen.body)).toEqual({ new: 'kept', rep: 'replaced', added: 'yes', multi: ['one', 'two'], keep: { n: 1 } });
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
  });

  it('adds JSON fields to a request that carries no body at all (no Content-Length, no Transfer-Encoding)', async () => {
    // Raw bytes: node's own client would add Content-Length: 0. The plugin reads the (absent) body; the
    // request must go upstream at once with the fields added, as Kong does for an empty JSON body.
    const { port } = new URL(proxy.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write('POST /rt-body HTTP/1.1\r\nHost: rt.test\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n');
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply.startsWith('HTTP/1.1 200')).toBe(true);
    const seen = JSON.parse(dechunk(reply.slice(reply.indexOf('\r\n\r\n') + 4))) as Echo;
    expect(JSON.parse(seen.body)).toEqual({ added: 'yes', new: 'not-this', multi: 'two' });
  });

  it('transforms a url-encoded form body', async () => {
    const res = await rawRequest(`${proxy.url}/rt-body`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'drop=1&old=kept&rep=orig&multi=one',
    });
    const form = new URLSearchParams(echo(res).body);
    expect(form.has('drop')).toBe(false);
    expect(form.get('new')).toBe('kept');
    expect(form.get('rep')).toBe('replaced');
    expect(form.get('added')).toBe('yes');
    expect(form.getAll('multi')).toEqual(['one', 'two']);
  });

  it('leaves other bodies alone', async () => {
    const res = await rawRequest(`${proxy.url}/rt-body`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'drop=1' });
    expect(echo(res).body).toBe('drop=1');
  });

  it('replaces the upstream URI, with templates, keeping the query string', async () => {
    const seen = echo(await get('/rt-uri/anything?id=42'));
    expect(seen.url).toBe('/rewritten/42?id=42');
  });

  it('renders $(uri_captures...) from a regex route, named and numbered', async () => {
    const seen = echo(await get('/rt-captures/alice/42'));
    expect(seen.url).toBe('/users/alice/items/42');
    expect(seen.headers['x-whole']).toBe('/rt-captures/alice/42');
  });

  it('changes the upstream method with http_method, keeping the body', async () => {
    const res = await rawRequest(`${proxy.url}/rt-method`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
    expect(echo(res).method).toBe('PUT');
    expect(echo(res).body).toBe('payload');
  });

  it('moves a form body into the query string when http_method turns the request into a GET', async () => {
    const res = await rawRequest(`${proxy.url}/rt-method-get?a=1&b=old`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'b=new&c=3' });
    const seen = echo(res);
    expect(seen.method).toBe('GET');
    expect(new URL(seen.url, 'http://x').searchParams.toString()).toBe('a=1&b=new&c=3');
  });

  it('renders $(headers...) and $(query_params...) templates', async () => {
    const h = echo(await get('/rt-template?q=hello', { 'x-source': 'client' })).headers;
    expect(h['x-copied']).toBe('from-client');
    expect(h['x-query']).toBe('hello');
  });
});
