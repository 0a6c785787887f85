// Who the client is when Tollgate sits behind other proxies or load balancers: Kong's `trusted_ips`,
// `real_ip_header` and `real_ip_recursive` (nginx's realip module). A request from a trusted address may
// name the real client in the real-IP header, and its X-Forwarded-Proto/-Host/-Port/-Path/-Prefix are
// forwarded as sent; from anyone else the connecting address is the client and those headers are
// replaced. With no trusted addresses (the default) none of this runs.
import type { IncomingHttpHeaders } from 'node:http';
import { CidrSet, parseIp } from '@tollgate/plugin-sdk';

export interface RealIpSettings {
  /** Addresses and ranges believed about the client (`0.0.0.0/0,::/0`: everyone). */
  trustedIps: readonly string[];
  /** The header naming the client; default X-Real-IP (X-Forwarded-For behind most load balancers). */
  header?: string;
  /** Take the last untrusted address of the header's list rather than its last address. */
  recursive?: boolean;
}

export class ClientTrust {
  readonly #trusted: CidrSet;
  readonly #header: string;
  readonly #recursive: boolean;

  /** Throws naming the first entry of `trustedIps` that is not an address or range. */
  constructor(settings: RealIpSettings) {
    this.#trusted = new CidrSet(settings.trustedIps);
    this.#header = (settings.header ?? 'X-Real-IP').toLowerCase();
    this.#recursive = settings.recursive ?? false;
  }

  /** Whether a connection from `peer` may speak for the client. */
  trusts(peer: string): boolean {
    return this.#trusted.has(peer);
  }

  /**
   * The client of a request from a trusted peer: the header's last address, or with `recursive` the
   * last one that is not itself trusted (all trusted: the first). The peer when the header is absent
   * or its address is not an address.
   */
  clientOf(peer: string, headers: IncomingHttpHeaders): string {
    const value = headers[this.#header];
    if (value === undefined) return peer;
    const list = (Array.isArray(value) ? value.join(',') : value).split(',');
    for (let i = list.length - 1; i >= 0; i--) {
      const ip = withoutPort(list[i]!.trim());
      if (parseIp(ip) === undefined) return peer;
      if (!this.#recursive || i === 0 || !this.#trusted.has(ip)) return ip;
    }
    return peer;
  }
}

/** `1.2.3.4:80` → `1.2.3.4`, `[::1]:80` → `::1`; a bare IPv6 address stays as it is. */
function withoutPort(address: string): string {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end === -1 ? address : address.slice(1, end);
  }
  const colon = address.indexOf(':');
  return colon !== -1 && address.indexOf(':', colon + 1) === -1 ? address.slice(0, colon) : address;
}
