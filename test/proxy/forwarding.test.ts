// Requests through a real data plane to real upstream servers: routing, the upstream URI and Host,
// the headers Kong adds and removes, streaming, and the stock error responses.
import { createServer, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { listenLoopback, rawRequest, startUpstream, type Listening, type Upstream } from '../support/upstream.ts';

describe('proxy forwarding', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  beforeAll(async () => {
    up = await startUpstream('echo');
    proxy = await startProxy({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          url: `${up.url}/base`,
          routes: [
            { name: 'strip', paths: ['/api'] },
            { name: 'keep', paths: ['/keep'], strip_path: false, preserve_host: true },
            { name: 'by-host', hosts: ['shop.example.com'] },
            { name: 'https-only', paths: ['/secure'], protocols: ['https'] },
            { name: 'redirect', paths: ['/moved'], protocols: ['https'], https_redirect_status_code: 301 },
            { name: 'http-only', paths: ['/plain'], protocols: ['http'] },
            { name: 'catch-all', hosts: ['all.example.com'], paths: ['/'] },
            { name: 'rewritten', paths: ['/rewrite'], plugins: [{ name: 'request-transformer', config: { replace: { uri: '/elsewhere' } } }] },
          ],
        },
        { name: 'slow', url: `${up.url}/slow`, read_timeout: 300, retries: 0, routes: [{ paths: ['/slow'] }] },
        { name: 'dead', url: 'http://127.0.0.1:1', retries: 0, routes: [{ paths: ['/dead'] }] },
        { name: 'stalled', url: up.url, write_timeout: 300, retries: 0, routes: [{ paths: ['/upload'] }] },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
  });

  it('strips the matched prefix onto the service path and sets Kong’s forwarding headers', async () => {
    const res = await rawRequest(`${proxy.url}/api/orders?x=1`, { headers: { 'x-forwarded-for': '10.9.9.9', connection: 'keep-alive, x-hop', 'x-hop': 'drop-me' } });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/base/orders?x=1');
    expect(body.headers).toMatchObject({
      host: `127.0.0.1:${up.port}`,
      'x-forwarded-for': '10.9.9.9, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': '127.0.0.1',
      'x-forwarded-path': '/api/orders',
      'x-forwarded-prefix': '/api',
      'x-real-ip': '127.0.0.1',
      via: '1.1 tollgate/0.1.0',
    });
    expect(body.headers['x-hop']).toBeUndefined();
    expect(body.headers['x-kong-request-id']).toMatch(/^[0-9a-f]+$/);
    expect(res.headers['via']).toBe('1.1 tollgate/0.1.0');
    expect(Number(res.headers['x-kong-upstream-latency'])).toBeGreaterThanOrEqual(0);
    expect(Number(res.headers['x-kong-proxy-latency'])).toBeGreaterThanOrEqual(0);
    expect(res.headers['x-kong-request-id']).toBe(body.headers['x-kong-request-id']);
    expect(res.headers['x-upstream']).toBe('echo');
    expect(res.headers['server']).toBe('tollgate/0.1.0'); // the upstream sent none (an upstream's own is kept)
    // The upstream's own keep-alive settings are hop-by-hop: never passed on.
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
  });

  it('keeps the path and the client’s Host when the route says so', async () => {
    const body = JSON.parse((await rawRequest(`${proxy.url}/keep/a`, { headers: { host: 'client.example.com:9999' } })).body) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/base/keep/a');
    expect(body.headers.host).toBe('client.example.com:9999');
  });

  it('routes by host', async () => {
    const res = await rawRequest(`${proxy.url}/anything`, { headers: { host: 'shop.example.com' } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { url: string }).url).toBe('/base/anything');
  });

  it('answers 404 in JSON when no route matches', async () => {
    const res = await fetch(`${proxy.url}/nowhere`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { message: string; request_id: string };
    expect(body.message).toBe('no Route matched with those values');
    expect(body.request_id).toBe(res.headers.get('x-kong-request-id'));
  });

  it('answers 426 or redirects on an https-only route reached over http', async () => {
    const res = await fetch(`${proxy.url}/secure`);
    expect(res.status).toBe(426);
    expect(((await res.json()) as { message: string }).message).toBe('Please use HTTPS protocol');
    const moved = await rawRequest(`${proxy.url}/moved/x?y=1`, { headers: { host: 'api.example.com' } });
    expect(moved.status).toBe(301);
    expect(moved.headers['location']).toBe('https://api.example.com/moved/x?y=1');
  });

  it('serves an http-only route over https too, as Kong does (only https-only routes are checked)', async () => {
    const { request: httpsRequest } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: proxy.httpsPort, path: '/plain/x', rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it('sends no X-Forwarded-Prefix when strip_path removed only "/"', async () => {
    const res = await rawRequest(`${proxy.url}/anything/here`, { headers: { host: 'all.example.com' } });
    const body = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/base/anything/here');
    expect(body.headers['x-forwarded-path']).toBe('/anything/here');
    expect(body.headers['x-forwarded-prefix']).toBeUndefined();
  });

  it('sends the path the client asked for as X-Forwarded-Path when a plugin rewrites the upstream path', async () => {
    const body = JSON.parse((await rawRequest(`${proxy.url}/rewrite/x`)).body) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/elsewhere');
    expect(body.headers['x-forwarded-path']).toBe('/rewrite/x');
  });

  it('answers 504 when the upstream is too slow and 502 when it refuses connections', async () => {
    up.handle((req, res) => {
      if (req.url!.startsWith('/slow')) setTimeout(() => res.end('late'), 2000);
      else res.end('{}');
    });
    const slow = await fetch(`${proxy.url}/slow`);
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { message: string }).message).toBe('The upstream server is timing out');
    const dead = await fetch(`${proxy.url}/dead`);
    expect(dead.status).toBe(502);
    expect(((await dead.json()) as { message: string }).message).toBe('An invalid response was received from the upstream server');
    up.handle((req, res, body) => res.end(JSON.stringify({ url: req.url, headers: req.headers, body })));
  });

  it('answers 504 when the client’s request body stalls longer than write_timeout', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${proxy.url}/upload`, { method: 'POST', headers: { 'content-length': '100' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write('x'.repeat(10)); // then nothing: the rest of the body never comes
    });
    expect(status).toBe(504);
  });

  it('streams request and response bodies', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    up.handle((_req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Chunked response, written in pieces.
      for (let i = 0; i < 4; i++) res.write(body.slice(0, 1024 * 1024));
      res.end();
    });
    const res = await fetch(`${proxy.url}/api/upload`, { method: 'POST', body: big });
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBe(4 * 1024 * 1024);
    expect(up.seen.at(-1)!.body.length).toBe(big.length);
    up.handle((req, res, body) => res.end(JSON.stringify({ url: req.url, headers: req.headers, body })));
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamClosed = false;
    up.handle((req, res) => {
      res.writeHead(200);
      res.write('start');
      req.socket.once('close', () => (upstreamClosed = true));
    });
    await new Promise<void>((resolve) => {
      const req = request(`${proxy.url}/api/hang`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    const deadline = Date.now() + 3000;
    while (!upstreamClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(upstreamClosed).toBe(true);
    up.handle((req, res, body) => res.end(JSON.stringify({ url: req.url, headers: req.headers, body })));
  });
});

describe('a data plane without config', () => {
  it('answers 503 with a clear message until it has one', async () => {
    const proxy = await startProxy();
    const res = await fetch(`${proxy.url}/x`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(/no configuration loaded yet/);
    await proxy.close();
  });
});

describe('response bodies byte for byte', () => {
  // Every byte value, at sizes on both sides of the proxy's one-write limit (4 KiB) and across many
  // upstream chunks, with Content-Length and chunked: what the client gets is what the upstream sent.
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
  let server: Listening;
  let proxy: ProxyHarness;
  beforeAll(async () => {
    server = await listenLoopback(
      createServer((req, res) => {
        const [, mode, size] = (req.url ?? '').split('/');
        const body = bytes(Number(size));
        if (mode === 'chunked') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          for (let at = 0; at < body.length; at += 1000) res.write(body.subarray(at, at + 1000));
          return res.end();
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        // Several writes: the proxy sees the body in more than one chunk.
        for (let at = 0; at < body.length; at += 3000) res.write(body.subarray(at, at + 3000));
        res.end();
      }),
    );
    proxy = await startProxy({ _format_version: '3.0', services: [{ name: 'bytes', url: server.url, routes: [{ paths: ['/'], strip_path: false }] }] });
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  for (const size of [1, 256, 4096, 4097, 70_000]) {
    for (const mode of ['length', 'chunked']) {
      it(`${size} bytes (${mode})`, async () => {
        const res = await fetch(`${proxy.url}/${mode}/${size}`);
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(bytes(size))).toBe(true);
        if (mode === 'length') expect(res.headers.get('content-length')).toBe(String(size));
      });
    }
  }
});
