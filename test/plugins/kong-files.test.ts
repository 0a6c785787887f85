// Real Kong declarative files (the shared fixtures, read where they are) loaded unchanged except for
// their services' addresses, which point at a loopback upstream here: their plugins must behave as
// they do on Kong — key-auth + acl, basic-auth hiding credentials, rate limits, cors, size limits,
// proxy-cache.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/cli.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { listenLoopback, type Listening } from '../support/upstream.ts';

const DIR = join(REPO_ROOT, '../shared/fixtures/kong-configs');

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** An upstream answering JSON with a charset (as most frameworks do), remembering what it saw. */
let upstream: Server;
let upstreamPort = 0;
let listening: Listening | undefined;
const seen: Seen[] = [];
beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      const body = JSON.stringify({ url: req.url, n: seen.length });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  listening = await listenLoopback(upstream);
  upstreamPort = listening.port;
});
afterAll(() => listening?.close());

type Doc = Record<string, unknown> & { services?: Array<Record<string, unknown>> };

/** The fixture as Kong would read it, with every service sent to the loopback upstream (path kept). */
function loadFixture(file: string): Doc {
  const text = readFileSync(join(DIR, file), 'utf8');
  const doc = (file.endsWith('.json') ? JSON.parse(text) : parse(text)) as Doc;
  for (const service of doc.services ?? []) {
    if (typeof service['url'] === 'string') {
      const url = new URL(service['url']);
      service['url'] = `http://127.0.0.1:${upstreamPort}${url.pathname}`;
    } else {
      Object.assign(service, { protocol: 'http', host: '127.0.0.1', port: upstreamPort });
    }
  }
  return doc;
}

function send(proxy: ProxyHarness, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(proxy.url + path, { method: init.method ?? 'GET', headers: init.headers });
}

describe.skipIf(!existsSync(DIR))(`real Kong files behave as on Kong (${DIR}; skipped when the shared fixtures are absent)`, () => {
  describe('03-rules-mirror-keyauth-basicauth-acl.yml: key-auth / basic-auth + acl per service', () => {
    let proxy: ProxyHarness;
    beforeAll(async () => {
      proxy = await startProxy(loadFixture('03-rules-mirror-keyauth-basicauth-acl.yml'));
    });
    afterAll(() => proxy.close());

    it('asks for a key, and refuses an unknown one', async () => {
      const none = await send(proxy, '/rules/etopen/x');
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ message: 'No API key found in request', request_id: expect.any(String) });
      expect(none.headers.get('www-authenticate')).toMatch(/^Key/);
      expect((await send(proxy, '/rules/etopen/x', { headers: { apikey: 'nope' } })).status).toBe(401);
    });

    it("lets a consumer of the 'all' group into etopen, and each customer only into its own rules", async () => {
      const etopen = await send(proxy, '/rules/etopen/x', { headers: { apikey: '12341234' } });
      expect(etopen.status).toBe(200);
      expect(((await etopen.json()) as { url: string }).url).toBe('/rules/etopen/x');
      expect((await send(proxy, '/rules/kd-1234', { headers: { apikey: '12341234' } })).status).toBe(200);
      const other = await send(proxy, '/rules/kd-1234', { headers: { apikey: '22342234' } });
      expect(other.status).toBe(403);
      expect(await other.json()).toEqual({ message: 'You cannot consume this service', request_id: expect.any(String) });
    });

    it('authenticates basic-auth routes and hides the credentials from the upstream', async () => {
      const auth = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
      const before = seen.length;
      const ok = await send(proxy, '/git/kd-1234', { headers: auth('kd1234', '12341234') });
      expect(ok.status).toBe(200);
      expect(seen.length).toBe(before + 1);
      expect(seen.at(-1)!.headers['authorization']).toBeUndefined();
      expect(seen.at(-1)!.headers['x-consumer-username']).toBe('kd1234');
      expect((await send(proxy, '/git/kd-1234', { headers: auth('kd1234', 'wrong') })).status).toBe(401);
      expect((await send(proxy, '/git/kd-1234', { headers: auth('kd2234', '22342234') })).status).toBe(403);
    });
  });

  describe('05-digit-core-keyauth-ratelimit.yml: per-service rate limits, global cors and size limit', () => {
    let proxy: ProxyHarness;
    beforeAll(async () => {
      proxy = await startProxy(loadFixture('05-digit-core-keyauth-ratelimit.yml'));
    });
    afterAll(() => proxy.close());

    it("counts each service's requests against its own minute limit", async () => {
      const first = await send(proxy, '/user/profile');
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit-minute')).toBe('60');
      expect(first.headers.get('x-ratelimit-remaining-minute')).toBe('59');
      expect((await send(proxy, '/user/profile')).headers.get('x-ratelimit-remaining-minute')).toBe('58');
      expect((await send(proxy, '/mdms-v2/x')).headers.get('x-ratelimit-limit-minute')).toBe('100');
    });

    it('answers 429 past the 10-per-minute limit of the token endpoint', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await send(proxy, '/user/oauth/token', { method: 'POST' })).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
      expect(statuses[10]).toBe(429);
    });

    it('answers CORS preflights from the global cors plugin, echoing the origin because credentials are allowed', async () => {
      const res = await send(proxy, '/mdms-v2/x', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-max-age')).toBe('3600');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
    });

    it('refuses a body declared larger than 10 megabytes with 413', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${proxy.url}/mdms-v2/upload`, { method: 'POST', headers: { 'content-length': String(11 * 1024 * 1024) } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.write('x');
      });
      expect(status).toBe(413);
    });
  });

  describe('08-keyauth-proxy-cache.json (format 1.1): global rate-limiting and proxy-cache, key-auth on one route', () => {
    let proxy: ProxyHarness;
    beforeAll(async () => {
      proxy = await startProxy(loadFixture('08-keyauth-proxy-cache.json'));
    });
    afterAll(() => proxy.close());

    it('serves the second GET from the cache (content type with charset), counting both against the 5-per-minute limit', async () => {
      const before = seen.length;
      const miss = await send(proxy, '/end2/data');
      expect(miss.status).toBe(200);
      expect(miss.headers.get('x-cache-status')).toBe('Miss');
      expect(miss.headers.get('x-ratelimit-remaining-minute')).toBe('4');
      const hit = await send(proxy, '/end2/data');
      expect(hit.headers.get('x-cache-status')).toBe('Hit');
      expect(await hit.json()).toEqual(await miss.json());
      expect(hit.headers.get('x-ratelimit-remaining-minute')).toBe('3');
      expect(seen.length).toBe(before + 1);
    });

    it('needs the key on /end1 and lets its consumer through', async () => {
      expect((await send(proxy, '/end1')).status).toBe(401);
      const ok = await send(proxy, '/end1', { headers: { apikey: 'chave1' } });
      expect(ok.status).toBe(200);
    });

    it('answers 429 once the global limit is spent', async () => {
      let last = 0;
      for (let i = 0; i < 5; i++) last = (await send(proxy, '/end3')).status;
      expect(last).toBe(429);
    });
  });
});
