// Kong's upstream defaults (kong/db/schema/entities/upstreams.lua), for plain-host balancers and tests.
import type { Healthchecks, TargetEntity, UpstreamEntity } from './types.ts';

/** Kong's default `healthchecks`: every check off. A fresh object each call (callers may tweak it). */
export function defaultHealthchecks(): Healthchecks {
  return {
    threshold: 0,
    active: {
      type: 'http',
      timeout: 1,
      concurrency: 10,
      http_path: '/',
      https_sni: null,
      https_verify_certificate: true,
      headers: null,
      healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
      unhealthy: { interval: 0, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505], tcp_failures: 0, timeouts: 0, http_failures: 0 },
    },
    passive: {
      type: 'http',
      healthy: {
        http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
        successes: 0,
      },
      unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
    },
  };
}

/**
 * An upstream entity with Kong's defaults, overridden by `fields`.
 * @example defaultUpstream({ name: 'api', algorithm: 'least-connections' })
 */
export function defaultUpstream(fields: Partial<UpstreamEntity> = {}): UpstreamEntity {
  return {
    id: fields.id ?? fields.name ?? 'upstream',
    name: 'upstream',
    algorithm: 'round-robin',
    hash_on: 'none',
    hash_fallback: 'none',
    hash_on_cookie_path: '/',
    slots: 10000,
    healthchecks: defaultHealthchecks(),
    ...fields,
  };
}

/** A target entity (weight 100 as Kong's default). */
export function defaultTarget(target: string, weight = 100, upstreamId = 'upstream'): TargetEntity {
  return { id: `${upstreamId}/${target}`, target, weight, upstream: { id: upstreamId } };
}
