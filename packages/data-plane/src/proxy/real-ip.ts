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
  /** IPv4 and IPv6 ranges apart: as in nginx, an IPv6 range (even ::/0) never trusts an IPv4 peer. */
  readonly #trustedV4: CidrSet;
  readonly #trustedV6: CidrSet;
  readonly #header: string;
  readonly #recursive: boolean;

  /** Throws naming the first entry of `trustedIps` that is not an address or range. */
  constructor(settings: RealIpSettings) {
    const v6 = (entry: string) => entry.includes(':');
    this.#trustedV4 = new CidrSet(settings.trustedIps.filter((e) => !v6(e)));
    this.#trustedV6 = new CidrSet(settings.trustedIps.filter(v6));
    this.#header = (settings.header ?? 'X-Real-IP').toLowerCase();
    this.#recursive = settings.recursive ?? false;
  }

  /** Whether a connection from `peer` may speak for the client. */
  trusts(peer: string): boolean {
    return (peer.includes(':') ? this.#trustedV6 : this.#trustedV4).has(peer);
  }

  /**
   * The client of a request from a trusted peer, as nginx's realip module finds it: the header's last
   * address, or with `recursive` the last one that is not itself trusted (all trusted: the first).
   * Empty entries are skipped; an entry that is not an address ends the search at the last address
   * reached (the peer when there is none).
   */
  clientOf(peer: string, headers: IncomingHttpHeaders): string {
    const value = headers[this.#header];
    if (value === undefined) return peer;
    const list = (Array.isArray(value) ? value.join(',') : value).split(',');
    let found = peer;
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i]!.trim();
      if (entry === '') continue;
      const ip = withoutPort(entry);
      if (parseIp(ip) === undefined) return found;
      found = ip;
      if (!this.#recursive || !this.trusts(ip)) return ip;
    }
    return found;
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
