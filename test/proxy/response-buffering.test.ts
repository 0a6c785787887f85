// When the proxy holds a response body for plugins (bufferResponseBody), and when it streams instead:
// per response (wantsResponseBody), never for responses without a body, and not past 16 MiB.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { Type } from '@sinclair/typebox';
import { definePlugin, definePluginSchema } from '@tollgate/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HELD_BYTES } from '../../packages/data-plane/src/proxy/upstream-call.ts';
import { createProxyCache } from '../../packages/plugins/proxy-cache/index.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { listenLoopback, type Listening } from '../support/upstream.ts';

/** Upper-cases bodies it is given; wants only 200 responses; reports what it saw in headers. */
const shout = definePlugin({
  schema: definePluginSchema({ name: 'test-shout', version: '1.0.0', priority: 700, config: Type.Object({}, { additionalProperties: false }) }),
  bufferResponseBody: true,
  wantsResponseBody: (ctx) => ctx.response.status === 200,
  handlers: {
    response(ctx) {
      ctx.response.setHeader('x-saw-body', ctx.response.body === undefined ? 'no' : String(ctx.response.body.length));
      if (ctx.response.body !== undefined) ctx.response.body = Buffer.from(ctx.response.body.toString().toUpperCase());
    },
  },
});

let upstream: Server;
let listening: Listening | undefined;
let proxy: ProxyHarness;
let cached: ProxyHarness;
/** Lets the slow stream's second chunk go. */
let releaseSecond: (() => void) | undefined;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/stream')) {
      // A long-lived stream (think server-sent events) on a status the plugin does not want.
      res.writeHead(202, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      releaseSecond = () => res.end('data: second\n\n');
      return;
    }
    if (url.startsWith('/no-content')) return void res.writeHead(204).end();
    if (url.startsWith('/huge')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      for (let i = 0; i < MAX_HELD_BYTES / chunk.length + 2; i++) res.write(chunk);
      return void res.end();
    }
    const body = 'hello body';
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), server: 'upstream-srv' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  listening = await listenLoopback(upstream);
  const base = listening.url;
  proxy = await startProxy(
    { _format_version: '3.0', services: [{ name: 's', url: base, routes: [{ paths: ['/'] }] }], plugins: [{ name: 'test-shout' }] },
    { plugins: [shout] },
  );
  cached = await startProxy(
    { _format_version: '3.0', services: [{ name: 's', url: base, routes: [{ paths: ['/'] }] }], plugins: [{ name: 'proxy-cache', config: { strategy: 'memory', response_code: [200, 202], content_type: ['text/plain'] } }] },
    { plugins: [createProxyCache()] },
  );
});
afterAll(async () => {
  await proxy?.close();
  await cached?.close();
  await listening?.close();
});

/** The status, one header and the first chunk of a streamed response; then lets the upstream finish. */
function firstChunk(url: string): Promise<{ status: number; sawBody: string | undefined; cache: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ status: res.statusCode!, sawBody: res.headers['x-saw-body'] as string | undefined, cache: res.headers['x-cache-status'] as string | undefined, text: chunk.toString() });
        releaseSecond?.();
        res.resume();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('holding response bodies for plugins', () => {
  it('holds a response the plugin wants and gives it the whole body', async () => {
    const res = await fetch(`${proxy.url}/text`);
    expect(res.headers.get('x-saw-body')).toBe('10');
    expect(await res.text()).toBe('HELLO BODY');
    expect(res.headers.get('content-length')).toBe('10');
    expect(res.headers.get('server')).toBe('upstream-srv'); // the upstream's own Server is kept
  });

  it('streams a response the plugin does not want: the first event arrives before the upstream ends', async () => {
    const first = await firstChunk(`${proxy.url}/stream`);
    expect(first.status).toBe(202);
    expect(first.sawBody).toBe('no'); // its response handler still ran, on the headers
    expect(first.text).toBe('data: first\n\n');
  });

  it('keeps the upstream Content-Length on HEAD instead of holding an empty body', async () => {
    const res = await fetch(`${proxy.url}/text`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('10');
    expect(res.headers.get('x-saw-body')).toBe('no');
  });

  it('passes 204 through without a Content-Length of its own', async () => {
    const res = await fetch(`${proxy.url}/no-content`);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-saw-body')).toBe('no');
    expect(res.headers.get('content-length')).toBeNull();
  });

  it('streams a body larger than the proxy holds, unchanged and whole', async () => {
    const res = await fetch(`${proxy.url}/huge`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saw-body')).toBe('no');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(MAX_HELD_BYTES + 2 * 1024 * 1024);
    expect(body.every((b) => b === 0x61)).toBe(true); // not upper-cased: the plugin never had it
  });
});

describe('proxy-cache holds only what it may store', () => {
  it('streams an event stream on a cached route (its content type is not cacheable)', async () => {
    const first = await firstChunk(`${cached.url}/stream`);
    expect(first.status).toBe(202);
    expect(first.cache).toBe('Bypass');
    expect(first.text).toBe('data: first\n\n');
  });

  it('still stores and serves what it may cache', async () => {
    const miss = await fetch(`${cached.url}/text-cached`);
    expect(miss.headers.get('x-cache-status')).toBe('Miss');
    expect(await miss.text()).toBe('hello body');
    const hit = await fetch(`${cached.url}/text-cached`);
    expect(hit.headers.get('x-cache-status')).toBe('Hit');
    expect(await hit.text()).toBe('hello body');
  });
});
