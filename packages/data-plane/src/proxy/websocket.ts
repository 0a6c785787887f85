// WebSocket (and any HTTP/1.1 Upgrade) proxying. The upgrade request is routed, protocol-checked and
// run through the route's access plugins by the ProxyHandler like any request; this file sends it
// upstream through the same balancer and pools, then splices the two sockets together.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RouteTarget } from '../config/compile.ts';
import { upstreamPath, type RouteMatch } from '../router/index.ts';
import { errorAnswer } from './error-format.ts';
import { MESSAGES } from './errors.ts';
import type { KongHeaders } from './kong-headers.ts';
import { VIA_TOKEN } from './tokens.ts';
import { forwardedPrefix, hostWithoutPort, targetHost, upstreamHeaders } from './headers.ts';
import type { PoolRegistry } from './pools.ts';

/** Writes a complete HTTP/1.1 response on a socket that was never handed to node:http, and closes it. */
export function writeRawResponse(socket: Duplex, status: number, headers: OutgoingHttpHeaders, body: string | Buffer = ''): void {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  const all: OutgoingHttpHeaders = { ...headers, 'content-length': Buffer.byteLength(body), connection: headers['connection'] ?? 'close' };
  for (const [k, v] of Object.entries(all)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) head += `${k}: ${value}\r\n`;
  }
  socket.end(head + '\r\n' + body.toString());
}

/** A gateway error on an upgrade request: the same `{message, request_id}` body as any other. */
/** Answers an upgrade request with an error, formatted as `sendError` formats it. */
export function rejectUpgrade(req: IncomingMessage, socket: Duplex, kong: KongHeaders, status: number, message: string, requestId: string, headers: OutgoingHttpHeaders = {}): void {
  const { contentType, body } = errorAnswer(req.headers, kong.errorDefault, message, requestId);
  writeRawResponse(socket, status, { 'content-type': contentType, ...kong.forAnswer(requestId), ...headers }, body);
}

export interface UpgradeRequest {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  target: RouteTarget;
  match: RouteMatch;
  scheme: 'http' | 'https';
  rawQuery: string | undefined;
  path: string;
  requestId: string;
  consumerId: string | undefined;
  /** The client, the connecting address and whether it is trusted (see real-ip.ts). */
  clientIp: string;
  remoteIp: string;
  trusted: boolean;
  kong: KongHeaders;
}

export function forwardUpgrade(pools: PoolRegistry, u: UpgradeRequest): void {
  const { req, socket, head, target, match, requestId } = u;
  const service = target.service!;
  const hostHeader = req.headers.host ?? '';
  const upgrade = req.headers.upgrade ?? 'websocket';
  const { clientIp, remoteIp, trusted } = u;
  const pick = service.balancer.pick(() => ({ clientIp, headers: req.headers, path: match.normalizedPath, query: u.rawQuery ?? '', consumerId: u.consumerId, uriCaptures: match.captures }));
  if (pick === null) return rejectUpgrade(req, socket, u.kong, 503, MESSAGES.noPeer, requestId);
  const peer = pick.peer;
  const preserve = target.route.preserve_host && hostHeader !== '';
  const headers = upstreamHeaders(req.headers, {
    clientIp, remoteIp, trusted, scheme: u.scheme, host: hostWithoutPort(hostHeader), port: String(req.socket.localPort ?? 0), path: u.path,
    prefix: forwardedPrefix(target.route.strip_path, match.matchedPath), requestId: u.kong.requestIdUpstream ? requestId : undefined,
    upstreamHost: (preserve ? req.headers.host : undefined) ?? (service.hostFromPeer ? targetHost(service.scheme, service.hostHeader ?? peer.hostname, peer.port) : service.defaultHost),
  });
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
      if (u.kong.via) head101 += `via: ${VIA_TOKEN}\r\n`;
      if (u.kong.requestId) head101 += `x-kong-request-id: ${requestId}\r\n`;
      head101 += '\r\n';
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
      rejectUpgrade(req, socket, u.kong, timedOut ? 504 : 502, timedOut ? MESSAGES.timeout : MESSAGES.badGateway, requestId);
    },
  };
  pools.get(service, peer).dispatch(
    { path: upstreamPath(target.route, service.path, match, u.rawQuery), method: 'GET', headers, upgrade, body: null },
    handler,
  );
}
