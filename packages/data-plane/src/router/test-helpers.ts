// Builders for router tests: a route entity with Kong's defaults, and a request.
import type { MatchInput, RouteEntity } from './types.ts';

let counter = 0;

/** A route with Kong's defaults; `id` defaults to a readable, increasing value. */
export function route(fields: Partial<RouteEntity> & { name?: string }): RouteEntity {
  counter++;
  return {
    id: fields.id ?? `r-${String(counter).padStart(6, '0')}`,
    protocols: ['http', 'https'],
    regex_priority: 0,
    strip_path: true,
    preserve_host: false,
    path_handling: 'v0',
    https_redirect_status_code: 426,
    service: { id: 'svc' },
    ...fields,
  };
}

/** A request; only the fields given differ from `GET example.com /`. */
export function req(fields: Partial<MatchInput> = {}): MatchInput {
  return { method: 'GET', host: 'example.com', path: '/', headers: {}, port: 8000, ...fields };
}

/** mulberry32: a seeded PRNG, so a generated route set (and a failure found with it) reproduces. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
