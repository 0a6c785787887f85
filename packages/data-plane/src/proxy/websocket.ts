// WebSocket (and any HTTP/1.1 Upgrade) proxying: the upgrade request goes through the same router,
// balancer and pools, then the two sockets are spliced together.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { RuntimeConfig } from '../config/compile.ts';
import { upstreamPath } from '../router/index.ts';
import { MESSAGES, VIA_TOKEN } from './errors.ts';
import { clientAddress, hostWithoutPort, setForwardedHeaders, stripHopByHop } from './headers.ts';
import type { PoolRegistry } from './pools.ts';

function reject(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 503 ? 'Service Unavailable' : 'Bad Gateway'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export function proxyUpgrade(config: RuntimeConfig | undefined, pools: PoolRegistry, req: IncomingMessage, socket: Duplex, head: Buffer, scheme: 'http' | 'https'): void {
  socket.on('error', () => socket.destroy());
  if (config === undefined) return reject(socket, 503, MESSAGES.notReady);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  const hostHeader = req.headers.host ?? '';
  const port = req.socket.localPort ?? 0;
  const sni = scheme === 'https' ? (req.socket as TLSSocket).servername || undefined : undefined;
  const match = config.router.match({ method: req.method ?? 'GET', host: hostHeader, path, headers: req.headers, sni, port });
  if (match === null) return reject(socket, 404, MESSAGES.noRoute);
  const target = config.routes.get(match.route.id)!;
  const service = target.service;
  if (service === undefined) return reject(socket, 503, MESSAGES.noService);
  const upgrade = req.headers.upgrade ?? 'websocket';
  const headers = req.headers;
  stripHopByHop(headers);
  const clientIp = clientAddress(req.socket.remoteAddress);
  setForwardedHeaders(headers, { clientIp, scheme, host: hostWithoutPort(hostHeader), port, path, prefix: target.route.strip_path && match.matchedPath !== '' ? match.matchedPath : undefined });
  if (!target.route.preserve_host) headers.host = service.hostHeader ?? service.defaultHost;
  const pick = service.balancer.pick(() => ({ clientIp, headers, path: match.normalizedPath, query: rawQuery, uriCaptures: match.captures }));
  if (pick === null) return reject(socket, 503, MESSAGES.noPeer);
  const peer = pick.peer;
  service.balancer.started(peer);
  const startedAt = performance.now();
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart() {},
    onRequestUpgrade(_controller, statusCode, resHeaders, upstream) {
      service.balancer.finished(peer, { kind: 'response', status: statusCode }, performance.now() - startedAt);
      let head101 = `HTTP/1.1 ${statusCode} Switching Protocols\r\n`;
      for (const [k, v] of Object.entries(resHeaders)) {
        if (v === undefined) continue;
        for (const value of Array.isArray(v) ? v : [v]) head101 += `${k}: ${value}\r\n`;
      }
      head101 += `via: ${VIA_TOKEN}\r\n\r\n`;
      socket.write(head101);
      if (head.length > 0) upstream.write(head);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.pipe(socket);
      socket.pipe(upstream);
    },
    onResponseError(_controller, err) {
      const timedOut = (err as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT';
      service.balancer.finished(peer, timedOut ? { kind: 'timeout' } : { kind: 'tcp-error' }, performance.now() - startedAt);
      reject(socket, 502, MESSAGES.badGateway);
    },
  };
  pools.get(service, peer).dispatch(
    {
      path: upstreamPath(target.route, service.path, match, q === -1 ? undefined : rawQuery),
      method: 'GET',
      headers: headers as Record<string, string>,
      upgrade,
      body: null,
    },
    handler,
  );
}
