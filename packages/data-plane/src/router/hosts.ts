// Host and SNI patterns: exact, `*.example.com` (suffix) and `example.*` (prefix), optionally `host:port`.
//
// Case: DNS names are case-insensitive (RFC 4343), so both the route's hosts and the request's Host are
// lower-cased. Kong's ATC router compares the raw Host header byte for byte (kong/router/atc.lua), so
// `Host: API.example.com` misses a route for `api.example.com` there and matches here.

export type HostPatternKind = 'exact' | 'suffix' | 'prefix';

export interface HostPattern {
  readonly kind: HostPatternKind;
  /** Lower-cased, without the `*`: `.example.com` for `*.example.com`, `example.` for `example.*`. */
  readonly value: string;
  /** The port a `host:port` entry requires (compared with the port the client connected to), or null. */
  readonly port: number | null;
}

/**
 * Splits `host[:port]` (also `[v6addr][:port]`). The port is null when absent or not a number, as in
 * Kong's split_host_port (then the whole entry is the host).
 */
export function splitHostPort(value: string): { host: string; port: number | null } {
  let colon: number;
  if (value.charCodeAt(0) === 91 /* [ */) {
    const end = value.indexOf(']');
    colon = end === -1 ? -1 : value.indexOf(':', end);
  } else {
    colon = value.indexOf(':');
  }
  if (colon === -1) return { host: value, port: null };
  const portText = value.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return { host: value, port: null };
  return { host: value.slice(0, colon), port: Number(portText) };
}

/**
 * The request's host as the router compares it: the Host header (or :authority) without its port,
 * lower-cased. `[::1]:8000` → `[::1]`. Allocation-free for the common lower-case, port-less Host.
 */
export function requestHost(hostHeader: string): string {
  let end: number;
  if (hostHeader.charCodeAt(0) === 91 /* [ */) {
    const close = hostHeader.indexOf(']');
    end = close === -1 ? hostHeader.length : close + 1;
  } else {
    end = hostHeader.indexOf(':');
    if (end === -1) end = hostHeader.length;
  }
  const host = end === hostHeader.length ? hostHeader : hostHeader.slice(0, end);
  return host.toLowerCase();
}

/** The TLS server name as matched: lower-cased, a trailing dot dropped (Kong: sni_val_transform). */
export function normalizeSni(sni: string): string {
  const lower = sni.toLowerCase();
  return lower.length > 1 && lower.charCodeAt(lower.length - 1) === 46 /* . */ ? lower.slice(0, -1) : lower;
}

/** Parses one entry of a route's `hosts` (or, with `isSni`, `snis`). */
export function parseHostPattern(entry: string, isSni = false): HostPattern {
  const split = isSni ? { host: normalizeSni(entry), port: null } : splitHostPort(entry.toLowerCase());
  const host = split.host;
  // As kong/router/transform.lua: a leading `*` is a suffix match of the rest, a trailing one a prefix
  // match; a `*` anywhere else is a literal character (the schema refuses it anyway).
  if (host.charCodeAt(0) === 42 /* * */) return { kind: 'suffix', value: host.slice(1), port: split.port };
  if (host.charCodeAt(host.length - 1) === 42) return { kind: 'prefix', value: host.slice(0, -1), port: split.port };
  return { kind: 'exact', value: host, port: split.port };
}

export function hostPatternMatches(p: HostPattern, host: string, port: number): boolean {
  if (p.port !== null && p.port !== port) return false;
  switch (p.kind) {
    case 'exact':
      return host === p.value;
    case 'suffix':
      return host.endsWith(p.value);
    case 'prefix':
      return host.startsWith(p.value);
  }
}

/** A route's `hosts` (or `snis`), any one of which must match. */
export class HostMatcher {
  readonly patterns: readonly HostPattern[];
  /** Some entry carries a port, so finding the host in an index does not settle the match. */
  readonly hasPort: boolean;
  /** Kong's "plain hosts only" priority bit: no entry is a wildcard. */
  readonly plainOnly: boolean;

  constructor(entries: readonly string[], isSni = false) {
    this.patterns = entries.map((e) => parseHostPattern(e, isSni));
    this.hasPort = this.patterns.some((p) => p.port !== null);
    this.plainOnly = entries.every((e) => !e.includes('*'));
  }

  matches(host: string, port: number): boolean {
    for (const p of this.patterns) if (hostPatternMatches(p, host, port)) return true;
    return false;
  }
}
