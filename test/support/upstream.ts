// Real upstream servers on 127.0.0.1 for proxy tests: an echo server that reports what it received,
// and helpers to make one slow, failing or silent.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Upstream {
  port: number;
  url: string;
  server: Server;
  seen: SeenRequest[];
  /** Replaces the handler (default: echo as JSON). */
  handle(fn: (req: IncomingMessage, res: ServerResponse, body: string) => void): void;
  close(): Promise<void>;
}

export interface Listening {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops the server, dropping kept-alive connections so it closes at once. */
  close(): Promise<void>;
}

/** Starts `server` on 127.0.0.1 (`port` 0: a free one), for test upstreams and log servers. */
export async function listenLoopback(server: Server, port = 0): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Echoes `{method, url, headers, body, server: name}` as JSON. */
export async function startUpstream(name = 'upstream', port = 0): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  let custom: ((req: IncomingMessage, res: ServerResponse, body: string) => void) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (custom !== undefined) return custom(req, res, body);
      const payload = JSON.stringify({ server: name, method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name, connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      res.end(payload);
    });
  });
  server.keepAliveTimeout = 10_000;
  const listening = await listenLoopback(server, port);
  return {
    ...listening,
    server,
    seen,
    handle: (fn) => {
      custom = fn;
    },
  };
}

export interface RawReply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A request through node:http, for headers fetch() will not send (Host, Connection). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Polls `check` until it returns a truthy value and returns it; throws after `timeoutMs`.
 * For proxy tests that wait for a condition (a health flip, a close) instead of sleeping.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; everyMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 5000} ms waiting for ${options.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 20));
  }
}
