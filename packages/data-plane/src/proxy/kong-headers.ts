// Which of Kong's own headers the proxy adds: kong.conf's `headers` (to clients) and `headers_upstream`
// (to services). Operators turn them off to hide the gateway (`headers = off`) or to save the bytes.
// With them, `error_default_type`: the format of the gateway's error bodies when the client names none.
import type { OutgoingHttpHeaders } from 'node:http';
import { errorDefaultFormat, type ErrorFormat } from './error-format.ts';
import { SERVER_TOKEN, VIA_TOKEN } from './tokens.ts';

/** kong.conf `headers` default: server_tokens, latency_tokens, X-Kong-Request-Id. */
export const DEFAULT_HEADERS = ['server_tokens', 'latency_tokens', 'X-Kong-Request-Id'] as const;
/** kong.conf `headers_upstream` default. */
export const DEFAULT_HEADERS_UPSTREAM = ['X-Kong-Request-Id'] as const;

type Flag = 'server' | 'via' | 'upstreamLatency' | 'proxyLatency' | 'responseLatency' | 'upstreamStatus' | 'requestId';

/** Each accepted token (lower case) and the headers it turns on. X-Kong-Admin-Latency is the Admin API's: accepted, no proxy effect. */
const TOKENS: Record<string, readonly Flag[]> = {
  server_tokens: ['server', 'via'],
  latency_tokens: ['upstreamLatency', 'proxyLatency', 'responseLatency'],
  server: ['server'],
  via: ['via'],
  'x-kong-upstream-latency': ['upstreamLatency'],
  'x-kong-proxy-latency': ['proxyLatency'],
  'x-kong-response-latency': ['responseLatency'],
  'x-kong-admin-latency': [],
  'x-kong-upstream-status': ['upstreamStatus'],
  'x-kong-request-id': ['requestId'],
};

export class KongHeaders {
  /** `Server: tollgate/<version>` where the upstream sent none, and on the proxy's own answers. */
  readonly server: boolean;
  /** `Via` on proxied responses. */
  readonly via: boolean;
  readonly upstreamLatency: boolean;
  readonly proxyLatency: boolean;
  /** `X-Kong-Response-Latency` on answers the proxy or a plugin produced. */
  readonly responseLatency: boolean;
  /** `X-Kong-Upstream-Status`: the status the upstream answered with (off by default, as in Kong). */
  readonly upstreamStatus: boolean;
  /** `X-Kong-Request-Id` on responses. */
  readonly requestId: boolean;
  /** `X-Kong-Request-Id` on requests to services (`headers_upstream`). */
  readonly requestIdUpstream: boolean;
  /** `error_default_type`: the error body format for a request with neither Accept nor Content-Type. */
  readonly errorDefault: ErrorFormat;

  /**
   * From kong.conf-style token lists (case-insensitive; `off` alone turns all off). Throws naming a
   * token it does not know.
   */
  constructor(headers: readonly string[] = DEFAULT_HEADERS, headersUpstream: readonly string[] = DEFAULT_HEADERS_UPSTREAM, errorDefaultType = 'text/plain') {
    this.errorDefault = errorDefaultFormat(errorDefaultType);
    const on = new Set<Flag>();
    // As Kong: `off` first turns everything off; `off` after other values is ignored.
    const allOff = headers[0]?.toLowerCase() === 'off';
    for (const token of headers) {
      const t = token.toLowerCase();
      if (t === 'off') continue;
      const flags = TOKENS[t];
      if (flags === undefined) throw new Error(`headers: unknown value '${token}' (one of off, ${Object.keys(TOKENS).join(', ')})`);
      if (!allOff) for (const f of flags) on.add(f);
    }
    this.server = on.has('server');
    this.via = on.has('via');
    this.upstreamLatency = on.has('upstreamLatency');
    this.proxyLatency = on.has('proxyLatency');
    this.responseLatency = on.has('responseLatency');
    this.upstreamStatus = on.has('upstreamStatus');
    this.requestId = on.has('requestId');
    let upstream = false;
    for (const token of headersUpstream) {
      const t = token.toLowerCase();
      if (t === 'x-kong-request-id') upstream = true;
      else if (t !== 'off') throw new Error(`headers_upstream: unknown value '${token}' (X-Kong-Request-Id or off)`);
    }
    this.requestIdUpstream = upstream && headersUpstream[0]?.toLowerCase() !== 'off';
  }

  /** The headers of an answer the proxy or a plugin produced (errors, redirects, plugin exits). */
  forAnswer(requestId: string, startedAt?: number): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {};
    if (this.requestId) headers['x-kong-request-id'] = requestId;
    if (this.server) headers['server'] = SERVER_TOKEN;
    if (this.responseLatency && startedAt !== undefined) headers['x-kong-response-latency'] = String(Math.round(performance.now() - startedAt));
    return headers;
  }

  /** Adds the configured headers to a proxied response's headers (the upstream's, hop-by-hop removed). */
  addToProxied(headers: Record<string, unknown>, status: number, requestId: string, upstreamLatencyMs: number, proxyLatencyMs: number): void {
    if (this.via) {
      const via = headers['via'];
      headers['via'] = via === undefined ? VIA_TOKEN : `${via as string}, ${VIA_TOKEN}`;
    }
    if (this.upstreamLatency) headers['x-kong-upstream-latency'] = String(Math.round(upstreamLatencyMs));
    if (this.proxyLatency) headers['x-kong-proxy-latency'] = String(Math.round(proxyLatencyMs));
    if (this.upstreamStatus) headers['x-kong-upstream-status'] = String(status);
    if (this.requestId) headers['x-kong-request-id'] = requestId;
    // Kong's server_tokens: its own Server header only where the upstream sent none.
    if (this.server && headers['server'] === undefined) headers['server'] = SERVER_TOKEN;
  }
}

/** Kong's defaults, for callers that take no settings. */
export const KONG_DEFAULT_HEADERS = new KongHeaders();
