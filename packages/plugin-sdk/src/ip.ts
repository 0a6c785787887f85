// IP addresses and CIDR ranges for plugins and the proxy (Kong's kong.ip): addresses are parsed into 16
// bytes with IPv4 held as IPv4-mapped IPv6 (::ffff:a.b.c.d, prefix + 96), so an IPv4 range also matches
// a client seen as ::ffff:a.b.c.d and the other way round.

/** A range as a 16-byte address with its host bits zeroed, and a prefix length in bits (0–128). */
export interface CidrRule {
  bytes: Uint8Array;
  prefix: number;
}

function parseIpv4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/** Parses an IPv4 or IPv6 address into 16 bytes (IPv4 as ::ffff:a.b.c.d); undefined when invalid. */
export function parseIp(input: string): { bytes: Uint8Array; v4: boolean } | undefined {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const bytes = new Uint8Array(16);
  if (!text.includes(':')) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return parseIpv4(text, bytes, 12) ? { bytes, v4: true } : undefined;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An embedded IPv4 tail takes two groups.
  const last = halves.length === 2 ? tail : head;
  let v4Tail: string | undefined;
  if (last.length > 0 && last[last.length - 1]!.includes('.')) v4Tail = last.pop();
  const words = head.length + tail.length + (v4Tail !== undefined ? 2 : 0);
  if (halves.length === 1 ? words !== 8 : words > 7) return undefined;
  const setWord = (index: number, group: string): boolean => {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return false;
    const n = parseInt(group, 16);
    bytes[index * 2] = n >> 8;
    bytes[index * 2 + 1] = n & 0xff;
    return true;
  };
  for (let i = 0; i < head.length; i++) if (!setWord(i, head[i]!)) return undefined;
  const tailStart = 8 - tail.length - (v4Tail !== undefined ? 2 : 0);
  for (let i = 0; i < tail.length; i++) if (!setWord(tailStart + i, tail[i]!)) return undefined;
  if (v4Tail !== undefined && !parseIpv4(v4Tail, bytes, 12)) return undefined;
  return { bytes, v4: false };
}

/** Parses `ip` or `ip/prefix`; throws on invalid input (the schema has already checked it). */
export function parseCidr(entry: string): CidrRule {
  const slash = entry.indexOf('/');
  const ip = parseIp(slash >= 0 ? entry.slice(0, slash) : entry);
  if (ip === undefined) throw new Error(`invalid ip or cidr range: ${entry}`);
  const max = ip.v4 ? 32 : 128;
  const prefix = slash >= 0 ? Number(entry.slice(slash + 1)) : max;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`invalid ip or cidr range: ${entry}`);
  const bits = ip.v4 ? prefix + 96 : prefix;
  // Zero the host bits so matching is a plain prefix compare.
  const bytes = ip.bytes;
  for (let bit = bits; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { bytes, prefix: bits };
}

/** Whether `address` (16 bytes, from `parseIp`) lies in the range. */
export function matchesCidr(rule: CidrRule, address: Uint8Array): boolean {
  const whole = rule.prefix >> 3;
  for (let i = 0; i < whole; i++) if (rule.bytes[i] !== address[i]) return false;
  const rest = rule.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole]! & mask) === rule.bytes[whole];
}

/** A set of ranges (`ip` or `ip/prefix` entries), parsed once. */
export class CidrSet {
  readonly #rules: readonly CidrRule[];

  /** Throws on the first invalid entry, naming it. */
  constructor(entries: readonly string[]) {
    this.#rules = entries.map(parseCidr);
  }

  get size(): number {
    return this.#rules.length;
  }

  /** Whether the address is in one of the ranges; false for text that is not an address. */
  has(ip: string): boolean {
    const parsed = parseIp(ip);
    return parsed !== undefined && this.hasBytes(parsed.bytes);
  }

  hasBytes(address: Uint8Array): boolean {
    for (const rule of this.#rules) if (matchesCidr(rule, address)) return true;
    return false;
  }
}
