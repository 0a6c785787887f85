// WebSocket upgrades through the proxy's http port: routed and stripped like any request, frames
// relayed both ways, closes propagated, and a plain HTTP 404 when no route matches.
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { waitFor } from '../support/upstream.ts';

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
    const ws = new WebSocket(`${proxy.url.replace('http://', 'ws://')}/nowhere`);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.once('open', () => reject(new Error('the upgrade should not succeed')));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      });
    });
    ws.on('error', () => {}); // ws reports the aborted handshake after 'unexpected-response'
    ws.terminate();
    expect(reply.status).toBe(404);
    expect((JSON.parse(reply.body) as { message: string }).message).toBe('no Route matched with those values');
    expect(upgrades.length).toBe(before);
  });
});
