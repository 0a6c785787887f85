// http-log and file-log through a real data plane: a real upstream, a real HTTP log server on
// 127.0.0.1, real files. Covers the serializer fields, batching, retries, a hanging log server
// (the proxy stays fast and the queue stays bounded) and log rotation with SIGUSR1.
import { mkdtempSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fileLog from '../../packages/plugins/file-log/index.ts';
import { prepareHttpLog, queues } from '../../packages/plugins/http-log/handler.ts';
import httpLog from '../../packages/plugins/http-log/index.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { listenLoopback, startUpstream, waitFor, type Listening, type Upstream } from '../support/upstream.ts';

interface LogServer {
  url: string;
  /** Parsed bodies, in arrival order. */
  bodies: unknown[];
  requests: { method: string; headers: IncomingMessage['headers'] }[];
  handle(fn: (req: IncomingMessage, res: ServerResponse, count: number) => void): void;
  close(): Promise<void>;
}

async function startLogServer(): Promise<LogServer> {
  const bodies: unknown[] = [];
  const requests: LogServer['requests'] = [];
  let count = 0;
  let custom: ((req: IncomingMessage, res: ServerResponse, count: number) => void) | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      requests.push({ method: req.method!, headers: req.headers });
      if (custom !== undefined) {
        custom(req, res, count);
        if (res.statusCode >= 300 || !res.writableEnded) return;
      } else res.end('ok');
      bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url: `${url}/logs`,
    bodies,
    requests,
    handle: (fn) => {
      custom = fn;
    },
    close,
  };
}

type Entry = Record<string, any>;

describe('log plugins', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  let single: LogServer;
  let batched: LogServer;
  let flaky: LogServer;
  let hanging: LogServer;
  let dir: string;
  let silent: Listening;
  const silentGot: string[] = [];
  const hangPending: ServerResponse[] = [];

  beforeAll(async () => {
    up = await startUpstream();
    [single, batched, flaky, hanging] = await Promise.all([startLogServer(), startLogServer(), startLogServer(), startLogServer()]);
    flaky.handle((_req, res, n) => {
      res.statusCode = n === 1 ? 500 : 200;
      res.end(n === 1 ? 'boom' : 'ok');
    });
    hanging.handle((_req, res) => {
      hangPending.push(res); // never answers
    });
    dir = mkdtempSync(join(tmpdir(), 'tollgate-file-log-'));
    silent = await listenLoopback(createServer((req) => void silentGot.push(req.url ?? ''))); // takes requests, never answers
    proxy = await startProxy(
      {
        _format_version: '3.0',
        services: [
          {
            name: 'svc',
            url: up.url,
            routes: [
              {
                name: 'single',
                paths: ['/single'],
                plugins: [{ name: 'http-log', config: { http_endpoint: single.url, headers: { 'x-log-token': 'secret' }, queue: { max_coalescing_delay: 0 } } }],
              },
              {
                name: 'batched',
                paths: ['/batched'],
                plugins: [{ name: 'http-log', config: { http_endpoint: batched.url, method: 'PUT', queue: { max_batch_size: 5, max_coalescing_delay: 0.3 } } }],
              },
              {
                name: 'flaky',
                paths: ['/flaky'],
                plugins: [{ name: 'http-log', config: { http_endpoint: flaky.url, queue: { max_coalescing_delay: 0, initial_retry_delay: 0.05, max_retry_time: 10 } } }],
              },
              {
                name: 'hanging',
                paths: ['/hanging'],
                plugins: [{ name: 'http-log', config: { http_endpoint: hanging.url, timeout: 300, queue: { max_entries: 3, max_coalescing_delay: 0, initial_retry_delay: 0.05, max_retry_delay: 0.1 } } }],
              },
              { name: 'file', paths: ['/file'], plugins: [{ name: 'file-log', config: { path: join(dir, 'access.log') } }] },
              { name: 'file-reopen', paths: ['/reopen'], plugins: [{ name: 'file-log', config: { path: join(dir, 'reopen.log'), reopen: true } }] },
            ],
          },
          {
            name: 'silent',
            url: silent.url,
            routes: [{ name: 'abandoned', paths: ['/abandoned'], plugins: [{ name: 'file-log', config: { path: join(dir, 'abandoned.log') } }] }],
          },
        ],
      },
      { plugins: [httpLog, fileLog] },
    );
  });

  afterAll(async () => {
    for (const res of hangPending) res.destroy();
    await proxy?.close();
    await Promise.all([up?.close(), single?.close(), batched?.close(), flaky?.close(), hanging?.close(), silent?.close()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('http-log sends one entry per request with the serializer fields', async () => {
    const res = await fetch(`${proxy.url}/single/a?x=1&y=2&y=3&flag`, { headers: { 'x-client': 'test' } });
    expect(res.status).toBe(200);
    await res.text();
    const body = (await waitFor(() => single.bodies[0], { what: 'a log entry' })) as Entry;
    expect(Array.isArray(body)).toBe(false);
    expect(single.requests[0]!.method).toBe('POST');
    expect(single.requests[0]!.headers['content-type']).toBe('application/json');
    expect(single.requests[0]!.headers['x-log-token']).toBe('secret');
    expect(body.request.method).toBe('GET');
    expect(body.request.uri).toBe('/single/a?x=1&y=2&y=3&flag');
    expect(body.request.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/single\/a\?x=1/);
    expect(body.request.querystring).toEqual({ x: '1', y: ['2', '3'], flag: true });
    expect(body.request.headers['x-client']).toBe('test');
    expect(body.request.headers['host']).toBe(new URL(proxy.url).host); // as the client sent it
    expect(body.request.headers['x-forwarded-for']).toBeUndefined();
    expect(typeof body.request.id).toBe('string');
    expect(body.response.status).toBe(200);
    // the response headers as the client got them: the upstream's plus the gateway's
    expect(body.response.headers['x-upstream']).toBe(res.headers.get('x-upstream'));
    expect(body.response.headers['content-type']).toBe('application/json');
    expect(body.response.headers['x-kong-request-id']).toBe(res.headers.get('x-kong-request-id'));
    expect(body.upstream_status).toBe('200');
    expect(body.route.name).toBe('single');
    expect(typeof body.route.id).toBe('string');
    expect(body.service.name).toBe('svc');
    expect(body.client_ip).toBe('127.0.0.1');
    expect(body.source).toBe('upstream');
    expect(typeof body.upstream_uri).toBe('string');
    expect(body.latencies.request).toBeGreaterThanOrEqual(0);
    expect(body.latencies.proxy).toBeGreaterThanOrEqual(0);
    expect(body.latencies.kong).toBeGreaterThanOrEqual(0);
    expect(Math.abs(Date.now() - body.started_at)).toBeLessThan(10_000);
    // one entry per request
    await (await fetch(`${proxy.url}/single/b`)).text();
    const second = (await waitFor(() => single.bodies[1], { what: 'a second entry' })) as Entry;
    expect(second.request.uri).toBe('/single/b');
    expect(single.bodies).toHaveLength(2);
  });

  it('http-log batches entries into arrays of up to max_batch_size', async () => {
    for (let i = 0; i < 12; i++) await (await fetch(`${proxy.url}/batched/${i}`)).text();
    await waitFor(() => batched.bodies.flat().length === 12, { what: '12 batched entries' });
    for (const b of batched.bodies) {
      expect(Array.isArray(b)).toBe(true);
      expect((b as unknown[]).length).toBeGreaterThanOrEqual(1);
      expect((b as unknown[]).length).toBeLessThanOrEqual(5);
    }
    expect(batched.bodies.length).toBeGreaterThanOrEqual(3);
    expect(batched.requests.every((r) => r.method === 'PUT')).toBe(true);
    const uris = (batched.bodies.flat() as Entry[]).map((e) => e.request.uri);
    expect(uris).toEqual(Array.from({ length: 12 }, (_, i) => `/batched/${i}`));
  });

  it('http-log retries a failed delivery and delivers it', async () => {
    await (await fetch(`${proxy.url}/flaky/once`)).text();
    const body = (await waitFor(() => flaky.bodies[0], { what: 'a retried entry' })) as Entry;
    expect(body.request.uri).toBe('/flaky/once');
    expect(flaky.requests.length).toBe(2); // the 500, then the 200
    expect(proxy.logs.some((l) => l.includes('http-log failed to send entries'))).toBe(true);
  });

  it('a log server that never answers does not slow the proxy, and the queue stays bounded', async () => {
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const t = Date.now();
      const res = await fetch(`${proxy.url}/hanging/${i}`);
      expect(res.status).toBe(200);
      await res.text();
      expect(Date.now() - t).toBeLessThan(1000);
      const queue = [...queues.values()].find((q) => q.config.http_endpoint === hanging.url);
      if (queue !== undefined) expect(queue.size).toBeLessThanOrEqual(3);
    }
    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor(() => hanging.requests.length > 0, { what: 'the log server to be called' });
    const queue = [...queues.values()].find((q) => q.config.http_endpoint === hanging.url)!;
    expect(queue.size).toBeLessThanOrEqual(3);
    expect(queue.stats.dropped).toBeGreaterThanOrEqual(27);
    expect(proxy.logs.some((l) => l.includes('queue full'))).toBe(true);
  });

  it('file-log writes one parseable JSON line per request', async () => {
    const path = join(dir, 'access.log');
    for (let i = 0; i < 3; i++) await (await fetch(`${proxy.url}/file/${i}`, { method: 'POST', body: 'hello' })).text();
    const lines = await waitFor(() => {
      if (!existsSync(path)) return undefined;
      const l = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      return l.length === 3 ? l : undefined;
    }, { what: '3 lines' });
    const entries = lines.map((l) => JSON.parse(l) as Entry);
    expect(entries.map((e) => e.request.uri)).toEqual(['/file/0', '/file/1', '/file/2']);
    expect(entries[0]!.request.method).toBe('POST');
    expect(entries[0]!.request.size).toBe(5);
    expect(entries[0]!.route.name).toBe('file');
    expect(entries[0]!.response.status).toBe(200);
  });

  it('logs a request whose client went away before the answer, with status 499 as Kong does', async () => {
    const path = join(dir, 'abandoned.log');
    const req = request(`${proxy.url}/abandoned/x`);
    req.on('error', () => {});
    req.end();
    // Gone once the proxy has sent the request on: the upstream has it and has not answered.
    await waitFor(() => silentGot.includes('/x') || undefined, { what: 'the request upstream' }); // strip_path: /abandoned/x → /x
    req.destroy();
    const line = await waitFor(() => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').find(Boolean) : undefined), { what: 'a log line' });
    const entry = JSON.parse(line) as Entry;
    expect(entry.request.uri).toBe('/abandoned/x');
    expect(entry.response.status).toBe(499);
  });

  it('file-log reopens its file on SIGUSR1 (log rotation)', async () => {
    const path = join(dir, 'rotate.log');
    const rotated = join(dir, 'rotate.log.1');
    const applied = proxy.apply({
      _format_version: '3.0',
      services: [{ name: 'svc', url: up.url, routes: [{ name: 'rotate', paths: ['/rotate'], plugins: [{ name: 'file-log', config: { path } }] }] }],
    });
    expect(applied.ok).toBe(true);
    const count = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).length : 0);
    await (await fetch(`${proxy.url}/rotate/before`)).text();
    await waitFor(() => count(path) === 1, { what: 'the first line' });
    renameSync(path, rotated);
    process.kill(process.pid, 'SIGUSR1');
    await new Promise((r) => setTimeout(r, 100));
    await (await fetch(`${proxy.url}/rotate/after`)).text();
    await waitFor(() => count(path) === 1, { what: 'a line in the new file' });
    expect((JSON.parse(readFileSync(path, 'utf8').trim()) as Entry).request.uri).toBe('/rotate/after');
    expect(readFileSync(rotated, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as Entry).request.uri)).toEqual(['/rotate/before']);
  });

  it('file-log with reopen: true appends a line per request', async () => {
    const path = join(dir, 'reopen.log');
    proxy.apply({
      _format_version: '3.0',
      services: [{ name: 'svc', url: up.url, routes: [{ name: 'file-reopen', paths: ['/reopen'], plugins: [{ name: 'file-log', config: { path, reopen: true } }] }] }],
    });
    for (let i = 0; i < 2; i++) await (await fetch(`${proxy.url}/reopen/${i}`)).text();
    await waitFor(() => existsSync(path) && readFileSync(path, 'utf8').split('\n').filter(Boolean).length === 2, { what: '2 lines' });
    renameSync(path, `${path}.1`);
    await (await fetch(`${proxy.url}/reopen/2`)).text();
    await waitFor(() => existsSync(path) && readFileSync(path, 'utf8').includes('/reopen/2'), { what: 'a new file without a signal' });
  });

  it('http-log reads the legacy batching fields only while the queue fields are at their defaults', () => {
    const legacy = prepareHttpLog({ http_endpoint: 'http://127.0.0.1:1/x', queue_size: 7, flush_timeout: 3, retry_count: 2, queue: {} });
    expect(legacy.queue.max_batch_size).toBe(7);
    expect(legacy.queue.max_coalescing_delay).toBe(3);
    expect(legacy.queue.max_entries).toBe(10000);
    const explicit = prepareHttpLog({ http_endpoint: 'http://127.0.0.1:1/x', queue_size: 7, flush_timeout: 3, queue: { max_batch_size: 2, max_coalescing_delay: 0.5 } });
    expect(explicit.queue.max_batch_size).toBe(2);
    expect(explicit.queue.max_coalescing_delay).toBe(0.5);
  });
});
