// The value consistent hashing hashes: hash_on, then hash_fallback when absent (Kong's get_value_to_hash in
// kong/runloop/balancer/init.lua). Decided per upstream at build time; run once per pick.
import { randomUUID } from 'node:crypto';
import type { BalancerInput, HashOn, UpstreamEntity } from './types.ts';

export interface HashValue {
  value: string;
  /** Set when hashing on a cookie the request did not carry. */
  setCookie?: string;
}

type Extract = (input: BalancerInput) => string | undefined;

/**
 * Builds the per-request hash-value function for an upstream.
 * @example compileHashValue(upstream)(input) // { value: 'user-42' }
 */
export function compileHashValue(upstream: UpstreamEntity): (input: BalancerInput) => HashValue {
  const hashOn = upstream.hash_on ?? 'none';
  if (hashOn === 'cookie') return cookieHash(upstream.hash_on_cookie ?? '', upstream.hash_on_cookie_path ?? '/');
  const primary = extractor(hashOn, upstream.hash_on_header, upstream.hash_on_query_arg, upstream.hash_on_uri_capture);
  const fallback = extractor(upstream.hash_fallback ?? 'none', upstream.hash_fallback_header, upstream.hash_fallback_query_arg, upstream.hash_fallback_uri_capture);
  // Kong hashes "" when neither yields a value: such requests all land on one peer.
  return (input) => ({ value: primary(input) ?? fallback(input) ?? '' });
}

function extractor(on: HashOn, header?: string | null, queryArg?: string | null, uriCapture?: string | null): Extract {
  switch (on) {
    case 'none':
      return () => undefined;
    case 'consumer':
      return (input) => input.consumerId ?? undefined;
    case 'ip':
      return (input) => input.clientIp;
    case 'header': {
      const name = (header ?? '').toLowerCase();
      return (input) => {
        const value = input.headers[name];
        return Array.isArray(value) ? value.join(', ') : value;
      };
    }
    case 'path':
      return (input) => input.path;
    case 'query_arg': {
      const name = queryArg ?? '';
      return (input) => queryValue(input.query, name);
    }
    case 'uri_capture': {
      const name = uriCapture ?? '';
      return (input) => input.uriCaptures?.[name] ?? undefined;
    }
    case 'cookie':
      return () => undefined; // the schema allows cookie only as hash_on
  }
}

/**
 * Cookie hashing: with no cookie, hash a fresh UUID and ask the proxy to set it (Kong's behaviour). The
 * generated value is remembered per input object, so a retry that passes the same input keeps it.
 */
function cookieHash(name: string, path: string): (input: BalancerInput) => HashValue {
  const generated = new WeakMap<BalancerInput, HashValue>();
  return (input) => {
    const value = cookieValue(input.headers.cookie, name);
    if (value !== undefined) return { value };
    let made = generated.get(input);
    if (made === undefined) {
      const id = randomUUID();
      // Kong writes "Same-Site=Lax", which browsers ignore; this is the attribute's real name.
      made = { value: id, setCookie: `${name}=${id}; Path=${path}; SameSite=Lax; HttpOnly` };
      generated.set(input, made);
    }
    return made;
  };
}

/** The raw value of cookie `name` (nginx's $cookie_NAME: first match, not decoded). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Query argument `name` as Kong normalises it: decoded, a bare `?flag` is "true", repeated values are
 * sorted and joined with ",".
 */
export function queryValue(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  let found: string[] | undefined;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (decode(eq < 0 ? part : part.slice(0, eq)) !== name) continue;
    (found ??= []).push(eq < 0 ? 'true' : decode(part.slice(eq + 1)));
  }
  if (found === undefined) return undefined;
  return found.length === 1 ? found[0] : found.sort().join(',');
}

function decode(s: string): string {
  const plus = s.replaceAll('+', ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus; // malformed %-escape: keep it as sent
  }
}
