// Headers on their way through: hop-by-hop ones removed (RFC 9110 7.6.1), the X-Forwarded-* family and
// Via set as Kong sets them. Copying into a fresh object is cheaper than `delete` on the original, which
// turns it into a slow dictionary-mode object for everything that reads it afterwards.
import type { IncomingHttpHeaders } from 'node:http';
import { VIA_TOKEN } from './tokens.ts';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate'] as const;
const HOP = new Set<string>(HOP_BY_HOP);

/** Names a Connection header lists as hop-by-hop, beyond the standard ones (usually none). */
function connectionListed(connection: unknown): Set<string> | undefined {
  if (typeof connection !== 'string' || connection === 'keep-alive' || connection === 'close' || connection === 'Keep-Alive') return undefined;
  return new Set(connection.split(',').map((n) => n.trim().toLowerCase()));
}

/** A copy of `headers` without hop-by-hop headers. */
export function withoutHopByHop<H extends Record<string, unknown>>(headers: H): H {
  const listed = connectionListed(headers['connection']);
  const out = {} as Record<string, unknown>;
  for (const k in headers) {
    if (HOP.has(k) || (listed !== undefined && listed.has(k))) continue;
    out[k] = headers[k];
  }
  return out as H;
}

export interface ForwardInfo {
  /** The client: the connecting address, or the one a trusted peer names (see real-ip.ts). */
  clientIp: string;
  /** The connecting address. */
  remoteIp: string;
  /** The peer is in trusted_ips: its X-Forwarded-Proto/-Host/-Port/-Path/-Prefix are kept. */
  trusted: boolean;
  scheme: string;
  host: string;
  /** The listener's port, as its string (X-Forwarded-Port). */
  port: string;
  /** The original request path (X-Forwarded-Path). */
  path: string;
  /** What strip_path removed (X-Forwarded-Prefix), or undefined. */
  prefix: string | undefined;
  /** X-Kong-Request-Id, or undefined when headers_upstream is off. */
  requestId: string | undefined;
  /** The Host sent upstream; a retry on another target may replace it (`setUpstreamHost`). */
  upstreamHost: string;
}

/** The headers the proxy sets itself: a client's (or a plugin's) value is replaced, or appended to. */
const SET_BY_PROXY = new Set<string>([
  'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-path', 'x-forwarded-prefix',
  'x-real-ip', 'via', 'x-kong-request-id',
]);

/** A request header list as undici takes it: name, value, name, value… (a repeated name, repeated). */
export type HeaderList = string[];

/**
 * The headers sent upstream, as Kong sends them: the request's (after plugins) without hop-by-hop
 * ones, then X-Forwarded-For (appended), -Proto, -Host, -Port, -Path, -Prefix (a trusted peer's own
 * values, else the proxy's), X-Real-IP, Via (appended), X-Kong-Request-Id and Host, always last.
 * A flat list rather than an object: undici walks it as it is, and building it costs no object shape
 * transitions.
 */
export function upstreamHeaders(headers: IncomingHttpHeaders, info: ForwardInfo): HeaderList {
  const listed = connectionListed(headers['connection']);
  const out: HeaderList = [];
  for (const k in headers) {
    if (HOP.has(k) || SET_BY_PROXY.has(k) || (listed !== undefined && listed.has(k))) continue;
    const v = headers[k];
    if (typeof v === 'string') out.push(k, v);
    else if (v !== undefined) for (const one of v) out.push(k, one);
  }
  const xff = headers['x-forwarded-for'];
  const via = headers['via'];
  // As Kong: a client's X-Forwarded-For gets the connecting address appended; without one, the client.
  out.push('x-forwarded-for', xff === undefined ? info.clientIp : `${xff}, ${info.remoteIp}`);
  if (info.trusted) {
    out.push(
      'x-forwarded-proto', forwarded(headers['x-forwarded-proto'], info.scheme),
      'x-forwarded-host', forwarded(headers['x-forwarded-host'], info.host),
      'x-forwarded-port', forwarded(headers['x-forwarded-port'], info.port),
      'x-forwarded-path', forwarded(headers['x-forwarded-path'], info.path),
    );
    const prefix = forwarded(headers['x-forwarded-prefix'], info.prefix);
    if (prefix !== undefined) out.push('x-forwarded-prefix', prefix);
  } else {
    out.push('x-forwarded-proto', info.scheme, 'x-forwarded-host', info.host, 'x-forwarded-port', info.port, 'x-forwarded-path', info.path);
    if (info.prefix !== undefined) out.push('x-forwarded-prefix', info.prefix);
  }
  out.push('x-real-ip', info.clientIp, 'via', via === undefined ? VIA_TOKEN : `${via}, ${VIA_TOKEN}`);
  // headers_upstream off: the proxy sets none, and one the client sent goes through, as in Kong.
  const requestId = info.requestId ?? headers['x-kong-request-id'];
  if (requestId !== undefined) out.push('x-kong-request-id', Array.isArray(requestId) ? requestId.join(', ') : requestId);
  out.push('host', info.upstreamHost);
  return out;
}

/** A trusted peer's value of an X-Forwarded-* header, else the proxy's own. */
export function forwarded<T extends string | undefined>(sent: string | string[] | undefined, own: T): string | T {
  return sent === undefined ? own : Array.isArray(sent) ? sent.join(', ') : sent;
}

/** X-Forwarded-Prefix: what strip_path removed, unless nothing or only `/` (as Kong: `match_t.prefix ~= "/"`). */
export function forwardedPrefix(stripPath: boolean, matchedPath: string): string | undefined {
  return stripPath && matchedPath !== '' && matchedPath !== '/' ? matchedPath : undefined;
}

/** Where `upstreamHeaders` put the Host value: the last entry. */
export function setUpstreamHost(list: HeaderList, host: string): void {
  list[list.length - 1] = host;
}

/** The Host header without its port. */
export function hostWithoutPort(host: string | undefined): string {
  if (host === undefined) return '';
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** The client address without the IPv4-mapped IPv6 prefix. */
export function clientAddress(remote: string | undefined): string {
  if (remote === undefined) return '';
  return remote.startsWith('::ffff:') ? remote.slice(7) : remote;
}

/** The Host sent to a picked target: its name, with the port unless it is the scheme's default. */
export function targetHost(scheme: 'http' | 'https', hostname: string, port: number): string {
  return port === (scheme === 'https' ? 443 : 80) ? hostname : `${hostname}:${port}`;
}
