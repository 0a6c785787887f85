// One active health probe on its own short-lived connection (never the proxy's pools), as
// lua-resty-healthcheck's run_single_check: connect, for http(s) send GET http_path, read the status.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { ProbeOutcome } from './health.ts';
import type { PeerState } from './peer.ts';
import type { Healthchecks, ProbeTls } from './types.ts';

export interface ProbeOptions {
  config: Healthchecks['active'];
  /** The upstream's host_header, else the target's hostname. */
  hostHeader: string;
  /** https_sni, else the target's hostname (as lua-resty-healthcheck's handshake). */
  sni: string;
  tls?: ProbeTls | undefined;
}

/** Probes `peer` once; never rejects. */
export function probe(peer: PeerState, options: ProbeOptions): Promise<ProbeOutcome> {
  const { config } = options;
  const timeoutMs = (config.timeout > 0 ? config.timeout : 1) * 1000;
  switch (config.type) {
    case 'http':
    case 'https':
      return probeHttp(peer, options, timeoutMs);
    case 'tcp':
    case 'grpc':
      // No gRPC health protocol: a gRPC peer counts as healthy when it accepts connections.
      return probeConnect(peer, timeoutMs, undefined);
    case 'grpcs':
      return probeConnect(peer, timeoutMs, tlsOptions(options));
  }
}

function tlsOptions(options: ProbeOptions): tls.ConnectionOptions {
  const { sni } = options;
  return {
    // SNI must be a name (RFC 6066 §3), never an IP literal.
    ...(net.isIP(sni) === 0 ? { servername: sni } : {}),
    rejectUnauthorized: options.config.https_verify_certificate,
    ...options.tls,
  };
}

/**
 * One probe connection: `open` starts it and reports through `finish`; the first outcome wins (or a
 * timeout), then the timer is cleared and the connection destroyed.
 */
function settleOnce(timeoutMs: number, open: (finish: (outcome: ProbeOutcome) => void) => { destroy(): void }): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let connection: { destroy(): void } | undefined;
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection?.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    timer.unref();
    connection = open(finish);
  });
}

function probeHttp(peer: PeerState, options: ProbeOptions, timeoutMs: number): Promise<ProbeOutcome> {
  const { config } = options;
  const secure = config.type === 'https';
  const headers: Record<string, string | string[]> = { ...(config.headers ?? {}) };
  headers['host'] = options.hostHeader;
  headers['connection'] = 'close';
  return settleOnce(timeoutMs, (finish) => {
    const request = secure ? https.request : http.request;
    const req = request({
      host: peer.ip,
      port: peer.port,
      method: 'GET',
      path: config.http_path,
      headers,
      agent: false,
      ...(secure ? tlsOptions(options) : {}),
    });
    // Only the status matters; the connection is dropped without reading the body.
    req.on('response', (res) => {
      res.resume();
      finish({ kind: 'status', status: res.statusCode ?? 0 });
    });
    req.on('socket', (socket) => socket.unref());
    // A failed TLS handshake is a TCP failure in lua-resty-healthcheck too.
    req.on('error', () => finish({ kind: 'tcp-error' }));
    req.end();
    return req;
  });
}

function probeConnect(peer: PeerState, timeoutMs: number, secure: tls.ConnectionOptions | undefined): Promise<ProbeOutcome> {
  return settleOnce(timeoutMs, (finish) => {
    const socket =
      secure === undefined
        ? net.connect({ host: peer.ip, port: peer.port }, () => finish({ kind: 'connected' }))
        : tls.connect({ host: peer.ip, port: peer.port, ...secure }, () => finish({ kind: 'connected' }));
    socket.unref();
    socket.on('error', () => finish({ kind: 'tcp-error' }));
    return socket;
  });
}
