// proxy-cache through a real data plane and a real upstream that counts what reaches it: hits answered
// without the upstream, the key (query, headers, case, consumer), TTLs, Cache-Control on and off, the
// response header switches, HEAD, gateway exits, the memory bound and config validation.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Type } from '@sinclair/typebox';
import { definePlugin, definePluginSchema, type PluginDefinition } from '@tollgate/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxyCache } from '../../packages/plugins/proxy-cache/index.ts';
import { fakeAuth } from '../support/fake-auth.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { listenLoopback, rawRequest, type RawReply } from '../support/upstream.ts';

/** What the upstream answers for one path (exact, without the query). */
interface Reply {
  status?: number;
  /** Content-Type; null sends none. */
  type?: string | null;
  headers?: Record<string, string | string[]>;
  /** Body length to pad to (for the memory bound). */
  pad?: number;
}

interface CountingUpstream {
  url: string;
  /** `METHOD /path?query` of every request that reached it. */
  seen: string[];
  replies: Map<string, Reply | (() => Reply)>;
  /** How many requests reached it for this path (any query). */
  count(path: string): number;
  close(): Promise<void>;
}

/** Answers `#<n> METHOD url` (n counts every request) with the status, type and headers set for the path. */
async function startCountingUpstream(): Promise<CountingUpstream> {
  const seen: string[] = [];
  const replies = new Map<string, Reply | (() => Reply)>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const path = req.url!.split('?')[0]!;
      const found = replies.get(path);
      const reply = typeof found === 'function' ? found() : (found ?? {});
      let body = `#${seen.length} ${req.method} ${req.url}`;
      if (reply.pad !== undefined) body = body.padEnd(reply.pad, '.');
      const headers: Record<string, string | string[]> = { ...reply.headers };
      if (reply.type !== null) headers['content-type'] = reply.type ?? 'text/plain';
      res.writeHead(reply.status ?? 200, headers);
      res.end(body);
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    seen,
    replies,
    count: (path) => seen.filter((s) => s.split(' ')[1]!.split('?')[0] === path).length,
    close,
  };
}


/** Runs after proxy-cache (priority 100) and answers itself when asked: such answers must not be stored. */
const lateExit = definePlugin({
  schema: definePluginSchema({ name: 'test-late-exit', version: '1.0.0', priority: 50, config: Type.Object({}, { additionalProperties: false }) }),
  handlers: {
    access(ctx) {
      if (ctx.request.header('x-exit') !== undefined) ctx.response.exit(200, 'from the gateway', { 'content-type': 'text/plain' });
    },
  },
});

/** The wall clock plus what a test has added, so TTLs pass without waiting for them. */
let skew = 0;
const clock = () => Date.now() + skew;
const advance = (seconds: number) => {
  skew += seconds * 1000;
};

const proxyCache = createProxyCache({ now: clock });
const plugins: PluginDefinition[] = [proxyCache, fakeAuth, lateExit];

/** A route `/<name>` with its own proxy-cache config; the upstream sees the whole path. */
const route = (name: string, config: Record<string, unknown> = {}) => ({
  name,
  paths: [`/${name}`],
  strip_path: false,
  plugins: [{ name: 'proxy-cache', config: { strategy: 'memory', ...config } }],
});

const config = (upUrl: string) => ({
  _format_version: '3.0',
  consumers: [{ username: 'alice' }, { username: 'bob' }],
  services: [
    {
      name: 'cached',
      url: upUrl,
      routes: [
        route('basic'),
        route('ttl', { cache_ttl: 1 }),
        route('refresh', { cache_ttl: 1, storage_ttl: 60 }),
        route('methods', { request_method: ['POST', 'GET'] }),
        route('codes', { response_code: [200, 404] }),
        route('types', { content_type: ['text/*', 'application/json; charset=utf-8'] }),
        route('vary-query', { vary_query_params: ['page'] }),
        route('vary-headers', { vary_headers: ['X-Lang'] }),
        route('case', { ignore_uri_case: true }),
        route('consumers'),
        route('cc-off'),
        route('cc', { cache_control: true }),
        route('cc-stale', { cache_control: true, storage_ttl: 3600 }),
        route('silent', { response_headers: { age: false, 'X-Cache-Status': false, 'X-Cache-Key': false } }),
        route('status-only', { response_headers: { age: false, 'X-Cache-Status': true, 'X-Cache-Key': false } }),
        { name: 'exits', paths: ['/exits'], strip_path: false, plugins: [{ name: 'proxy-cache', config: { strategy: 'memory' } }, { name: 'test-late-exit' }] },
      ],
    },
  ],
  plugins: [{ name: 'test-auth' }],
});

let up: CountingUpstream;
let proxy: ProxyHarness;

beforeAll(async () => {
  up = await startCountingUpstream();
  proxy = await startProxy(config(up.url), { plugins });
});

afterAll(async () => {
  await proxy?.close();
  await up?.close();
});

const send = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawReply> => rawRequest(`${proxy.url}${path}`, { method, headers });
const cacheStatus = (res: RawReply) => res.headers['x-cache-status'];

describe('serving from the cache', () => {
  it('stores a miss and answers the next request itself, with the same status, headers and body', async () => {
    up.replies.set('/basic/doc', { type: 'application/json', headers: { 'x-custom': 'kept', 'set-cookie': 'seen=1', 'x-ratelimit-remaining-minute': '4' } });
    const miss = await send('/basic/doc');
    expect(miss.status).toBe(200);
    expect(cacheStatus(miss)).toBe('Miss');
    expect(miss.headers['x-cache-key']).toMatch(/^[0-9a-f]{64}$/);
    expect(miss.headers['age']).toBeUndefined();

    const hit = await send('/basic/doc');
    expect(hit.status).toBe(200);
    expect(cacheStatus(hit)).toBe('Hit');
    expect(hit.body).toBe(miss.body);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(miss.body)));
    expect(hit.headers['x-custom']).toBe('kept');
    // Kong replays Set-Cookie from the cache too.
    expect(hit.headers['set-cookie']).toEqual(['seen=1']);
    expect(hit.headers['x-cache-key']).toBe(miss.headers['x-cache-key']);
    expect(hit.headers['age']).toBe('0');
    // Per-request gateway headers are the hit's own, not replayed.
    expect(hit.headers['x-kong-request-id']).toBeTruthy();
    expect(hit.headers['x-kong-request-id']).not.toBe(miss.headers['x-kong-request-id']);
    expect(hit.headers['x-kong-upstream-latency']).toBeUndefined();
    // As Kong: a remaining count from the past would mislead; the limiter sets current ones itself.
    expect(miss.headers['x-ratelimit-remaining-minute']).toBe('4');
    expect(hit.headers['x-ratelimit-remaining-minute']).toBeUndefined();
    expect(up.count('/basic/doc')).toBe(1);
  });

  it('counts Age from when the response was stored; a hit is not stored again', async () => {
    await send('/basic/aging');
    advance(5);
    expect((await send('/basic/aging')).headers['age']).toBe('5');
    advance(5);
    const later = await send('/basic/aging');
    expect(cacheStatus(later)).toBe('Hit');
    expect(later.headers['age']).toBe('10');
    expect(up.count('/basic/aging')).toBe(1);
  });

  it('answers HEAD from the GET entry, and never stores the bodiless HEAD answer as the GET one', async () => {
    const headMiss = await send('/basic/head', {}, 'HEAD');
    expect(cacheStatus(headMiss)).toBe('Miss');
    const get = await send('/basic/head');
    expect(cacheStatus(get)).toBe('Miss');
    expect(get.body).toMatch(/^#\d+ GET \/basic\/head$/);
    const head = await send('/basic/head', {}, 'HEAD');
    expect(cacheStatus(head)).toBe('Hit');
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect((await send('/basic/head')).body).toBe(get.body);
    expect(up.seen.filter((s) => s.endsWith(' /basic/head'))).toEqual(['HEAD /basic/head', 'GET /basic/head']);
  });

  it('does not store what the gateway answered itself after the lookup', async () => {
    const exit = await send('/exits/x', { 'x-exit': '1' });
    expect(exit.body).toBe('from the gateway');
    expect(cacheStatus(exit)).toBe('Miss');
    const next = await send('/exits/x');
    expect(cacheStatus(next)).toBe('Miss');
    expect(next.body).toMatch(/GET \/exits\/x$/);
    expect(up.count('/exits/x')).toBe(1);
  });

  it('keeps what is cached across config changes', async () => {
    const first = await send('/basic/kept');
    const changed = config(up.url);
    changed.services[0]!.routes.push(route('added'));
    const applied = proxy.apply(changed);
    expect(applied.ok).toBe(true);
    const after = await send('/basic/kept');
    expect(cacheStatus(after)).toBe('Hit');
    expect(after.body).toBe(first.body);
    expect(up.count('/basic/kept')).toBe(1);
  });
});

describe('time to live', () => {
  it('stops serving an entry after cache_ttl (real time)', async () => {
    await send('/ttl/a');
    expect(cacheStatus(await send('/ttl/a'))).toBe('Hit');
    await new Promise((r) => setTimeout(r, 1100));
    // Without storage_ttl the entry is dropped with its freshness: a plain miss.
    expect(cacheStatus(await send('/ttl/a'))).toBe('Miss');
    expect(up.count('/ttl/a')).toBe(2);
  });

  it('keeps entries for storage_ttl and refreshes them once stale', async () => {
    const first = await send('/refresh/a');
    advance(2);
    const refreshed = await send('/refresh/a');
    expect(cacheStatus(refreshed)).toBe('Refresh');
    expect(refreshed.body).not.toBe(first.body);
    const hit = await send('/refresh/a');
    expect(cacheStatus(hit)).toBe('Hit');
    expect(hit.body).toBe(refreshed.body);
    expect(up.count('/refresh/a')).toBe(2);
  });
});

describe('what is cacheable', () => {
  it('bypasses methods not in request_method', async () => {
    const post = await send('/basic/m', {}, 'POST');
    expect(cacheStatus(post)).toBe('Bypass');
    expect(post.headers['x-cache-key']).toBeUndefined();
    await send('/basic/m', {}, 'POST');
    expect(up.count('/basic/m')).toBe(2);
  });

  it('caches the methods request_method lists, each under its own key', async () => {
    const post = await send('/methods/a', {}, 'POST');
    expect(cacheStatus(post)).toBe('Miss');
    expect(cacheStatus(await send('/methods/a', {}, 'POST'))).toBe('Hit');
    const get = await send('/methods/a');
    expect(cacheStatus(get)).toBe('Miss');
    expect(get.headers['x-cache-key']).not.toBe(post.headers['x-cache-key']);
    expect(cacheStatus(await send('/methods/a', {}, 'PUT'))).toBe('Bypass');
    expect(up.count('/methods/a')).toBe(3);
  });

  it('stores only statuses in response_code', async () => {
    up.replies.set('/basic/broken', { status: 500 });
    expect(cacheStatus(await send('/basic/broken'))).toBe('Bypass');
    expect(cacheStatus(await send('/basic/broken'))).toBe('Bypass');
    expect(up.count('/basic/broken')).toBe(2);

    up.replies.set('/codes/missing', { status: 404 });
    expect(cacheStatus(await send('/codes/missing'))).toBe('Miss');
    const hit = await send('/codes/missing');
    expect(hit.status).toBe(404);
    expect(cacheStatus(hit)).toBe('Hit');
    up.replies.set('/codes/moved', { status: 301, headers: { location: '/elsewhere' } });
    expect(cacheStatus(await send('/codes/moved'))).toBe('Bypass');
  });

  it('stores only content types in content_type, compared without parameters unless the entry has some', async () => {
    up.replies.set('/basic/png', { type: 'image/png' });
    expect(cacheStatus(await send('/basic/png'))).toBe('Bypass');
    expect(cacheStatus(await send('/basic/png'))).toBe('Bypass');
    up.replies.set('/basic/untyped', { type: null });
    expect(cacheStatus(await send('/basic/untyped'))).toBe('Bypass');
    up.replies.set('/basic/charset', { type: 'application/json; charset=utf-8' });
    await send('/basic/charset');
    expect(cacheStatus(await send('/basic/charset'))).toBe('Hit');

    up.replies.set('/types/html', { type: 'text/html' });
    await send('/types/html');
    expect(cacheStatus(await send('/types/html'))).toBe('Hit');
    up.replies.set('/types/json', { type: 'application/json' });
    expect(cacheStatus(await send('/types/json'))).toBe('Bypass');
    up.replies.set('/types/json-utf8', { type: 'Application/JSON;charset="UTF-8"' });
    await send('/types/json-utf8');
    expect(cacheStatus(await send('/types/json-utf8'))).toBe('Hit');
    expect(up.count('/basic/png') + up.count('/types/json')).toBe(3);
  });
});

describe('the cache key', () => {
  it('includes every query argument by default, in any order', async () => {
    const a = await send('/basic/q?a=1&b=2');
    expect(cacheStatus(await send('/basic/q?b=2&a=1'))).toBe('Hit');
    const other = await send('/basic/q?a=1&b=3');
    expect(cacheStatus(other)).toBe('Miss');
    expect(other.headers['x-cache-key']).not.toBe(a.headers['x-cache-key']);
    expect(cacheStatus(await send('/basic/q'))).toBe('Miss');
    expect(up.count('/basic/q')).toBe(3);
  });

  it('includes only vary_query_params when set', async () => {
    await send('/vary-query/list?page=1&utm=a');
    const same = await send('/vary-query/list?utm=b&page=1');
    expect(cacheStatus(same)).toBe('Hit');
    expect(cacheStatus(await send('/vary-query/list?page=2&utm=a'))).toBe('Miss');
    expect(up.count('/vary-query/list')).toBe(2);
  });

  it('includes vary_headers, and no other header', async () => {
    const en = await send('/vary-headers/h', { 'x-lang': 'en' });
    expect(cacheStatus(await send('/vary-headers/h', { 'x-lang': 'en', 'x-other': '1' }))).toBe('Hit');
    const fr = await send('/vary-headers/h', { 'x-lang': 'fr' });
    expect(cacheStatus(fr)).toBe('Miss');
    expect(fr.headers['x-cache-key']).not.toBe(en.headers['x-cache-key']);
    expect(cacheStatus(await send('/vary-headers/h'))).toBe('Miss');
    expect(up.count('/vary-headers/h')).toBe(3);
  });

  it('lower-cases the path with ignore_uri_case, and only then', async () => {
    await send('/case/Doc');
    expect(cacheStatus(await send('/case/DOC'))).toBe('Hit');
    expect(up.count('/case/Doc') + up.count('/case/DOC')).toBe(1);
    await send('/basic/Doc');
    expect(cacheStatus(await send('/basic/DOC'))).toBe('Miss');
  });

  it('keeps each consumer’s responses apart', async () => {
    const alice = await send('/consumers/me', { 'x-user': 'alice' });
    const bob = await send('/consumers/me', { 'x-user': 'bob' });
    const anonymous = await send('/consumers/me');
    expect(new Set([alice.headers['x-cache-key'], bob.headers['x-cache-key'], anonymous.headers['x-cache-key']]).size).toBe(3);
    const again = await send('/consumers/me', { 'x-user': 'alice' });
    expect(cacheStatus(again)).toBe('Hit');
    expect(again.body).toBe(alice.body);
    expect(up.count('/consumers/me')).toBe(3);
  });
});

describe('Cache-Control', () => {
  it('is ignored without cache_control, in requests and responses', async () => {
    up.replies.set('/cc-off/a', { headers: { 'cache-control': 'private, no-store, max-age=0' } });
    await send('/cc-off/a');
    const hit = await send('/cc-off/a', { 'cache-control': 'no-cache' });
    expect(cacheStatus(hit)).toBe('Hit');
    expect(hit.headers['cache-control']).toBe('private, no-store, max-age=0');
    expect(up.count('/cc-off/a')).toBe(1);
  });

  it('stores a response for its max-age, s-maxage first', async () => {
    up.replies.set('/cc/max-age', { headers: { 'cache-control': 'public, max-age=60' } });
    await send('/cc/max-age');
    advance(59);
    expect(cacheStatus(await send('/cc/max-age'))).toBe('Hit');
    advance(2);
    expect(cacheStatus(await send('/cc/max-age'))).toBe('Miss');

    up.replies.set('/cc/s-maxage', { headers: { 'cache-control': 'max-age=600, s-maxage=10' } });
    await send('/cc/s-maxage');
    advance(11);
    expect(cacheStatus(await send('/cc/s-maxage'))).toBe('Miss');
    expect(up.count('/cc/max-age') + up.count('/cc/s-maxage')).toBe(4);
  });

  it('stores a response until its Expires when it has no max-age', async () => {
    up.replies.set('/cc/expires', () => ({ headers: { expires: new Date(clock() + 30_000).toUTCString() } }));
    await send('/cc/expires');
    expect(cacheStatus(await send('/cc/expires'))).toBe('Hit');
    advance(31);
    expect(cacheStatus(await send('/cc/expires'))).toBe('Miss');
    up.replies.set('/cc/expired', () => ({ headers: { expires: new Date(clock() - 1000).toUTCString() } }));
    expect(cacheStatus(await send('/cc/expired'))).toBe('Bypass');
    expect(cacheStatus(await send('/cc/expired'))).toBe('Bypass');
  });

  it('does not store responses that are private, no-store, no-cache or have no lifetime', async () => {
    for (const cc of ['private, max-age=60', 'no-store, max-age=60', 'no-cache, max-age=60', 'max-age=0', undefined]) {
      const path = `/cc/refused-${cc === undefined ? 'none' : cc.split(',')[0]}`;
      up.replies.set(path, { headers: cc === undefined ? {} : { 'cache-control': cc } });
      expect(cacheStatus(await send(path))).toBe('Bypass');
      expect(cacheStatus(await send(path))).toBe('Bypass');
      expect(up.count(path)).toBe(2);
    }
  });

  it('bypasses the cache for requests with no-cache or no-store', async () => {
    up.replies.set('/cc/req', { headers: { 'cache-control': 'max-age=600' } });
    await send('/cc/req');
    expect(cacheStatus(await send('/cc/req', { 'cache-control': 'no-cache' }))).toBe('Bypass');
    expect(cacheStatus(await send('/cc/req', { 'cache-control': 'no-store' }))).toBe('Bypass');
    expect(cacheStatus(await send('/cc/req'))).toBe('Hit');
    expect(up.count('/cc/req')).toBe(3);
  });

  it('refreshes for a request whose max-age or min-fresh the entry does not meet', async () => {
    up.replies.set('/cc/fresh', { headers: { 'cache-control': 'max-age=600' } });
    await send('/cc/fresh');
    advance(10);
    expect(cacheStatus(await send('/cc/fresh', { 'cache-control': 'max-age=60' }))).toBe('Hit');
    expect(cacheStatus(await send('/cc/fresh', { 'cache-control': 'min-fresh=60' }))).toBe('Hit');
    const old = await send('/cc/fresh', { 'cache-control': 'max-age=5' });
    expect(cacheStatus(old)).toBe('Refresh');
    expect(old.headers['age']).toBeUndefined();
    advance(10);
    expect(cacheStatus(await send('/cc/fresh', { 'cache-control': 'min-fresh=595' }))).toBe('Refresh');
    expect(up.count('/cc/fresh')).toBe(3);
  });

  it('serves a stale entry only within the request’s max-stale', async () => {
    up.replies.set('/cc-stale/a', { headers: { 'cache-control': 'max-age=10' } });
    const first = await send('/cc-stale/a');
    advance(20);
    const stale = await send('/cc-stale/a', { 'cache-control': 'max-stale=30' });
    expect(cacheStatus(stale)).toBe('Hit');
    expect(stale.body).toBe(first.body);
    expect(stale.headers['age']).toBe('20');
    expect(cacheStatus(await send('/cc-stale/a', { 'cache-control': 'max-stale' }))).toBe('Hit');
    expect(cacheStatus(await send('/cc-stale/a', { 'cache-control': 'max-stale=5' }))).toBe('Refresh');
    expect(up.count('/cc-stale/a')).toBe(2);

    up.replies.set('/cc-stale/b', { headers: { 'cache-control': 'max-age=10' } });
    await send('/cc-stale/b');
    advance(20);
    expect(cacheStatus(await send('/cc-stale/b'))).toBe('Refresh');
  });

  it('answers only-if-cached with 504 and no upstream call when nothing stored can answer', async () => {
    const res = await send('/cc/only', { 'cache-control': 'only-if-cached' });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body).message).toMatch(/only-if-cached/);
    expect(up.count('/cc/only')).toBe(0);
    up.replies.set('/cc/only', { headers: { 'cache-control': 'max-age=60' } });
    await send('/cc/only');
    expect(cacheStatus(await send('/cc/only', { 'cache-control': 'only-if-cached' }))).toBe('Hit');
    expect(up.count('/cc/only')).toBe(1);
  });
});

describe('response_headers', () => {
  it('leaves out the switched-off headers, still caching', async () => {
    await send('/silent/a');
    const hit = await send('/silent/a');
    expect(hit.headers['x-cache-status']).toBeUndefined();
    expect(hit.headers['x-cache-key']).toBeUndefined();
    expect(hit.headers['age']).toBeUndefined();
    expect(up.count('/silent/a')).toBe(1);

    await send('/status-only/a');
    const only = await send('/status-only/a');
    expect(only.headers['x-cache-status']).toBe('Hit');
    expect(only.headers['x-cache-key']).toBeUndefined();
    expect(only.headers['age']).toBeUndefined();
  });

  it('sends all of them to a request with Kong-Debug', async () => {
    const debug = await send('/silent/a', { 'kong-debug': '1' });
    expect(debug.headers['x-cache-status']).toBe('Hit');
    expect(debug.headers['x-cache-key']).toMatch(/^[0-9a-f]{64}$/);
    expect(debug.headers['age']).toBe('0');
  });
});

describe('memory bound', () => {
  it('evicts the least recently used entries once the bound is reached', async () => {
    // Entries of ~4.3 KB (4,000-byte bodies plus headers and bookkeeping): four fit in 20,000 bytes.
    const small = await startProxy(
      { _format_version: '3.0', services: [{ name: 'small', url: up.url, routes: [route('mem')] }] },
      { plugins: [createProxyCache({ maxBytes: 20_000 })] },
    );
    const at = (n: number) => rawRequest(`${small.url}/mem/${n}`);
    try {
      up.replies.set('/mem/too-big', { pad: 30_000 });
      for (let n = 0; n < 4; n++) up.replies.set(`/mem/${n}`, { pad: 4000 });
      for (const n of [0, 1, 2, 3]) expect(cacheStatus(await at(n))).toBe('Miss');
      for (const n of [0, 1, 2, 3]) expect(cacheStatus(await at(n))).toBe('Hit');
      // 0 was used last of all before 4 arrives, so 1 – now the least recently used – goes.
      up.replies.set('/mem/4', { pad: 4000 });
      expect(cacheStatus(await at(0))).toBe('Hit');
      expect(cacheStatus(await at(4))).toBe('Miss');
      expect(cacheStatus(await at(0))).toBe('Hit');
      expect(cacheStatus(await at(4))).toBe('Hit');
      expect(cacheStatus(await at(1))).toBe('Miss');
      expect(up.count('/mem/1')).toBe(2);

      const big = await rawRequest(`${small.url}/mem/too-big`);
      expect(big.body.length).toBe(30_000);
      expect(cacheStatus(await rawRequest(`${small.url}/mem/too-big`))).toBe('Miss');
      expect(up.count('/mem/too-big')).toBe(2);
    } finally {
      await small.close();
    }
  });
});

describe('config validation', () => {
  const withCache = (cfg: Record<string, unknown>) => ({
    _format_version: '3.0',
    services: [{ name: 's', url: up.url, routes: [{ name: 'r', paths: ['/r'], plugins: [{ name: 'proxy-cache', config: cfg }] }] }],
  });

  it('refuses invalid configs, naming the field', () => {
    expect(() => proxy.snapshot(withCache({}))).toThrow(/strategy/);
    expect(() => proxy.snapshot(withCache({ strategy: 'redis' }))).toThrow(/strategy/);
    expect(() => proxy.snapshot(withCache({ strategy: 'memory', cache_ttl: 0 }))).toThrow(/cache_ttl/);
    expect(() => proxy.snapshot(withCache({ strategy: 'memory', request_method: ['DELETE'] }))).toThrow(/request_method/);
    expect(() => proxy.snapshot(withCache({ strategy: 'memory', response_code: [99] }))).toThrow(/response_code/);
    expect(() => proxy.snapshot(withCache({ strategy: 'memory', response_headers: { etag: true } }))).toThrow(/response_headers/);
    expect(() => proxy.snapshot(withCache({ strategy: 'memory' }))).not.toThrow();
  });
});
