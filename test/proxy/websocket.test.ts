// WebSocket upgrades through the proxy's http port: routed and stripped like any request, frames
// relayed both ways, closes propagated, and a plain HTTP 404 when no route matches.
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type } from '@sinclair/typebox';
import { definePlugin, definePluginSchema } from '@tollgate/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, waitFor } from '../support/upstream.ts';

interface Upgrade {
  url: string;
  headers: IncomingMessage['headers'];
  socket: WebSocket;
  closed: boolean;
}

/** Opens a client and resolves once the handshake is done. */
function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

/** The HTTP response to an upgrade the proxy refused (rejects if the upgrade succeeds). */
function refused(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade should not succeed'));
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        ws.on('error', () => {}); // ws reports the aborted handshake after 'unexpected-response'
        ws.terminate();
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() });
      });
    });
  });
}

/** Sends `data` and resolves with the next message (and whether it came as a binary frame). */
function roundTrip(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    ws.once('message', (raw, isBinary) => resolve({ data: raw as Buffer, isBinary }));
    ws.send(data, { binary: Buffer.isBuffer(data) });
  });
}

describe('WebSocket proxying', () => {
  let wss: WebSocketServer;
  let upstreamPort: number;
  const upgrades: Upgrade[] = [];
  let proxy: ProxyHarness;

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    upstreamPort = (wss.address() as AddressInfo).port;
    wss.on('connection', (socket, req) => {
      const seen: Upgrade = { url: req.url!, headers: req.headers, socket, closed: false };
      upgrades.push(seen);
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      socket.on('close', () => (seen.closed = true));
    });
    proxy = await startProxy({
      _format_version: '3.0',
      services: [{ name: 'ws-echo', url: `http://127.0.0.1:${upstreamPort}/echo`, routes: [{ name: 'chat', paths: ['/chat'], strip_path: true }] }],
    });
  });
  afterAll(async () => {
    await proxy.close();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });

  it('relays text and binary messages both ways on a stripped route', async () => {
    const wsUrl = proxy.url.replace('http://', 'ws://');
    const ws = await open(`${wsUrl}/chat/room1?user=ann`);
    try {
      const up = upgrades.at(-1)!;
      expect(up.url).toBe('/echo/room1?user=ann');
      expect(up.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(up.headers['x-forwarded-prefix']).toBe('/chat');
      expect(up.headers['x-forwarded-path']).toBe('/chat/room1');
      expect(up.headers['host']).toBe(`127.0.0.1:${upstreamPort}`);
      expect(up.headers['upgrade']).toBe('websocket');

      for (let i = 0; i < 5; i++) {
        const text = await roundTrip(ws, `hello ${i}`);
        expect(text.isBinary).toBe(false);
        expect(text.data.toString()).toBe(`hello ${i}`);
        const bytes = Buffer.from([0, 1, 2, 254, 255, i]);
        const bin = await roundTrip(ws, bytes);
        expect(bin.isBinary).toBe(true);
        expect(Buffer.compare(bin.data, bytes)).toBe(0);
      }
      // A message larger than one TCP segment, and a burst of messages before any reply is read.
      const big = 'z'.repeat(256 * 1024);
      expect((await roundTrip(ws, big)).data.toString()).toBe(big);
      const replies: string[] = [];
      const all = new Promise<void>((resolve) => {
        const onMessage = (raw: Buffer): void => {
          replies.push(raw.toString());
          if (replies.length === 20) {
            ws.off('message', onMessage);
            resolve();
          }
        };
        ws.on('message', onMessage);
      });
      for (let i = 0; i < 20; i++) ws.send(`burst ${i}`);
      await all;
      expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => `burst ${i}`));
    } finally {
      ws.close();
    }
  });

  it('appends the client’s X-Forwarded-For', async () => {
    const ws = new WebSocket(`${proxy.url.replace('http://', 'ws://')}/chat`, { headers: { 'x-forwarded-for': '10.1.2.3' } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const up = upgrades.at(-1)!;
    expect(up.url).toBe('/echo');
    expect(up.headers['x-forwarded-for']).toBe('10.1.2.3, 127.0.0.1');
    ws.close();
  });

  it('closes the upstream socket when the client closes', async () => {
    const ws = await open(`${proxy.url.replace('http://', 'ws://')}/chat/bye`);
    const up = upgrades.at(-1)!;
    expect(up.url).toBe('/echo/bye');
    expect((await roundTrip(ws, 'ping')).data.toString()).toBe('ping');
    const clientClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.close(1000, 'done');
    expect(await clientClosed).toBe(1000);
    await waitFor(() => up.closed, { timeoutMs: 3000, what: 'the upstream socket to close' });
    expect(up.socket.readyState).toBe(WebSocket.CLOSED);
  });

  it('closes the upstream socket when the client goes away without a close frame', async () => {
    const ws = await open(`${proxy.url.replace('http://', 'ws://')}/chat/gone`);
    const up = upgrades.at(-1)!;
    expect(up.url).toBe('/echo/gone');
    ws.terminate();
    await waitFor(() => up.closed, { timeoutMs: 3000, what: 'the upstream socket to close' });
  });

  it('closes the client when the upstream closes', async () => {
    const ws = await open(`${proxy.url.replace('http://', 'ws://')}/chat/kick`);
    const up = upgrades.at(-1)!;
    const clientClosed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    up.socket.close(4001, 'kicked');
    expect(await clientClosed).toEqual({ code: 4001, reason: 'kicked' });
  });

  it('proxies wss:// on the https listener, telling the upstream the scheme was https', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${proxy.httpsPort}/chat/secure`, { rejectUnauthorized: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const up = upgrades.at(-1)!;
    expect(up.url).toBe('/echo/secure');
    expect(up.headers['x-forwarded-proto']).toBe('https');
    expect((await roundTrip(ws, 'over tls')).data.toString()).toBe('over tls');
    ws.close();
  });

  it('answers an upgrade to an unknown path with an HTTP 404', async () => {
    const before = upgrades.length;
    const reply = await refused(`${proxy.url.replace('http://', 'ws://')}/nowhere`);
    expect(reply.status).toBe(404);
    expect(reply.body.split('\n')[0]).toBe('no Route matched with those values');
    expect(upgrades.length).toBe(before);
  });

  // Kong answers a WebSocket request no route matches like any other request (kong.response.error):
  // body {"message","request_id"} and an X-Kong-Request-Id header. proxy/websocket.ts `reject()` writes
  // only {"message"} and no request id.
  it('gives the 404 to an upgrade a request_id and X-Kong-Request-Id, like any 404', async () => {
    const reply = await refused(`${proxy.url.replace('http://', 'ws://')}/nowhere`, { accept: 'application/json' });
    const body = JSON.parse(reply.body) as { message: string; request_id?: string };
    expect(body.request_id).toMatch(/^[0-9a-f]+$/);
    expect(reply.headers['x-kong-request-id']).toBe(body.request_id);
  });
});

// Plugins, protocols and the upstream Host for upgrade requests: the upgrade is an HTTP request and
// Kong runs it through the same access phase (auth plugins protect WebSocket routes too).
describe('WebSocket upgrades and the rest of the request path', () => {
  let wss: WebSocketServer;
  let upstreamPort: number;
  const upgrades: Array<{ url: string; headers: IncomingMessage['headers'] }> = [];
  let proxy: ProxyHarness;

  const gate = definePlugin({
    schema: definePluginSchema({ name: 'test-ws-gate', version: '1.0.0', priority: 1000, config: Type.Object({}, { additionalProperties: false }) }),
    handlers: {
      access(ctx) {
        if (ctx.request.header('x-pass') !== 'yes') return ctx.response.exit(403, { message: 'gate closed' });
      },
    },
  });

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    upstreamPort = (wss.address() as AddressInfo).port;
    wss.on('connection', (socket, req) => {
      upgrades.push({ url: req.url!, headers: req.headers });
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    proxy = await startProxy(
      {
        _format_version: '3.0',
        upstreams: [{ name: 'ws-pool', targets: [{ target: `127.0.0.1:${upstreamPort}` }] }],
        services: [
          {
            name: 'direct',
            url: `http://127.0.0.1:${upstreamPort}`,
            routes: [
              { name: 'gated', paths: ['/gated'], plugins: [{ name: 'test-ws-gate' }] },
              { name: 'tls-only', paths: ['/tls-only'], protocols: ['https'] },
            ],
          },
          { name: 'pooled', host: 'ws-pool', routes: [{ name: 'pooled', paths: ['/pooled'] }] },
        ],
      },
      { plugins: [gate] },
    );
  });
  afterAll(async () => {
    await proxy.close();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });

  it('the plain HTTP request path enforces the plugin and the protocol (baseline)', async () => {
    expect((await rawRequest(`${proxy.url}/gated`)).status).toBe(403);
    expect((await rawRequest(`${proxy.url}/tls-only`)).status).toBe(426);
  });

  it('lets an upgrade through a gated route when the plugin allows it', async () => {
    const ws = new WebSocket(`${proxy.url.replace('http://', 'ws://')}/gated`, { headers: { 'x-pass': 'yes' } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect((await roundTrip(ws, 'hi')).data.toString()).toBe('hi');
    ws.close();
  });

  // proxy/websocket.ts `proxyUpgrade` goes from the router straight to the upstream: the route's plugin
  // chain (rewrite/access) never runs for an upgrade, so an access plugin that answers 403 to plain HTTP
  // lets the same request through once it carries `Upgrade: websocket`.
  it('runs the route’s access plugins on the upgrade request', async () => {
    const before = upgrades.length;
    const reply = await refused(`${proxy.url.replace('http://', 'ws://')}/gated`);
    expect(reply.status).toBe(403);
    expect(upgrades.length).toBe(before);
  });

  // An upgrade goes through the same protocol check as any request: an https-only route is not
  // served over plain ws:// on the http port.
  it('refuses a plain ws:// upgrade on an https-only route with 426', async () => {
    const reply = await refused(`${proxy.url.replace('http://', 'ws://')}/tls-only`);
    expect(reply.status).toBe(426);
  });

  // For a service backed by an upstream entity (no host_header), Kong sends the picked target's
  // host:port as Host, and so does the HTTP path (UpstreamCall `setHostFromPeer`). proxy/websocket.ts
  // sets `service.hostHeader ?? service.defaultHost`, i.e. the upstream's name.
  it('sends the picked target as Host when the service points at an upstream entity', async () => {
    const ws = await open(`${proxy.url.replace('http://', 'ws://')}/pooled`);
    ws.close();
    expect(upgrades.at(-1)!.headers['host']).toBe(`127.0.0.1:${upstreamPort}`);
  });

});
