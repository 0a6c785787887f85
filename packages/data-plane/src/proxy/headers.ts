// Headers on their way through: hop-by-hop ones removed (RFC 9110 7.6.1), the X-Forwarded-* family and
// Via set as Kong sets them. Copying into a fresh object is cheaper than `delete` on the original, which
// turns it into a slow dictionary-mode object for everything that reads it afterwards.
import type { IncomingHttpHeaders } from 'node:http';
import { VIA_TOKEN } from './errors.ts';

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
  clientIp: string;
  scheme: string;
  host: string;
  port: number;
  /** The original request path (X-Forwarded-Path). */
  path: string;
  /** What strip_path removed (X-Forwarded-Prefix), or undefined. */
  prefix: string | undefined;
}

/** Sets X-Forwarded-For (appended), -Proto, -Host, -Port, -Path, -Prefix, X-Real-IP and Via. */
export function setForwardedHeaders(headers: IncomingHttpHeaders, info: ForwardInfo): void {
  const xff = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff === undefined ? info.clientIp : `${xff}, ${info.clientIp}`;
  // No trusted_ips yet: every client-supplied X-Forwarded-* value is replaced, as Kong does by default.
  headers['x-forwarded-proto'] = info.scheme;
  headers['x-forwarded-host'] = info.host;
  headers['x-forwarded-port'] = String(info.port);
  headers['x-forwarded-path'] = info.path;
  if (info.prefix !== undefined) headers['x-forwarded-prefix'] = info.prefix;
  else delete headers['x-forwarded-prefix'];
  headers['x-real-ip'] = info.clientIp;
  const via = headers['via'];
  headers['via'] = via === undefined ? VIA_TOKEN : `${via}, ${VIA_TOKEN}`;
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
