// Cache-Control directives (RFC 9111 §5.2) as proxy-cache reads them with `cache_control: true`: the
// request's decide whether a stored response may answer it, the response's whether and how long it
// may be stored (kong/tools/http.lua `parse_directive_header` and `calculate_resource_ttl`).

/** Directive name (lower-case) → its number, its text (unquoted), or true when it has no value. */
export type Directives = ReadonlyMap<string, number | string | true>;

export const NO_DIRECTIVES: Directives = new Map();

/**
 * Parses a Cache-Control header.
 * @example parseDirectives('public, max-age=60') // Map { 'public' => true, 'max-age' => 60 }
 */
export function parseDirectives(header: string | string[] | undefined): Directives {
  if (header === undefined) return NO_DIRECTIVES;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === '') return NO_DIRECTIVES;
  const out = new Map<string, number | string | true>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === '') continue;
    if (eq === -1) {
      out.set(name, true);
      continue;
    }
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1);
    const n = value === '' ? NaN : Number(value);
    out.set(name, Number.isFinite(n) ? n : value);
  }
  return out;
}

/** A directive's number of seconds; a value that is not a number counts as absent. */
function seconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  return typeof v === 'number' ? v : undefined;
}

/** The response forbids shared caches from storing it. */
export function forbidsStoring(response: Directives): boolean {
  return response.has('private') || response.has('no-store') || response.has('no-cache');
}

/**
 * How many seconds a response stays fresh: `s-maxage`, else `max-age`, else `Expires` minus now
 * (the last one when there are several); 0 when none says (Kong then does not store it).
 */
export function resourceTtl(response: Directives, expires: string | string[] | undefined, now: number): number {
  const maxAge = seconds(response, 's-maxage') ?? seconds(response, 'max-age');
  if (maxAge !== undefined) return Math.max(maxAge, 0);
  const last = Array.isArray(expires) ? expires[expires.length - 1] : expires;
  if (last === undefined) return 0;
  const at = Date.parse(last);
  return Number.isNaN(at) ? 0 : Math.max((at - now) / 1000, 0);
}

/**
 * Whether a stored response `ageMs` old, fresh for `ttl` seconds, satisfies the request's directives:
 * `max-age` (whole seconds of age, as the Age header shows it), `min-fresh`, and `max-stale`. A stale
 * response is served only to a request whose `max-stale` allows it (RFC 9111 §4.2.4); Kong serves it to
 * any request while storage keeps it, which `storage_ttl` then turns into serving stale data to everyone.
 */
export function requestAccepts(request: Directives, ageMs: number, ttl: number): boolean {
  const maxAge = seconds(request, 'max-age');
  if (maxAge !== undefined && Math.floor(ageMs / 1000) > maxAge) return false;
  const remaining = ttl - ageMs / 1000;
  const minFresh = seconds(request, 'min-fresh');
  if (minFresh !== undefined && remaining < minFresh) return false;
  if (remaining >= 0) return true;
  const maxStale = request.get('max-stale');
  if (maxStale === undefined) return false;
  // `max-stale` without a number accepts any staleness.
  return typeof maxStale !== 'number' || -remaining <= maxStale;
}
