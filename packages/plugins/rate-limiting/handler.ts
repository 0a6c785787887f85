// rate-limiting: counts requests in fixed windows aligned to the UTC calendar (second, minute, hour,
// day, month, year) and answers `error_code` (429) over a limit (kong/plugins/rate-limiting/handler.lua).
//
// Where counters live (`policy`):
// - `local`: the node's counters (`ctx.counters`), shared by all of its worker processes as Kong's
//   workers share a shared dict. In one process they answer synchronously: no Promise per request.
// - `redis`: counters in Redis (./redis.ts), shared by every data plane that points at it, under
//   Kong's keys, so Kong and Tollgate nodes can even share one Redis. `sync_rate` is not implemented:
//   every request counts in Redis at once (what -1 means), and a warning is logged once.
// - `cluster`: Kong keeps these counters in its database and refuses the policy in DB-less and hybrid
//   mode. A Tollgate data plane has no database, so such configs count as `local`, with a one-time
//   warning, rather than leaving routes unlimited.
// When the store fails, `fault_tolerant` (the default) logs and lets the request through without
// rate-limit headers; otherwise the client gets Kong's 500 "An unexpected error occurred". Failures
// are logged at most once a second per plugin config, however many requests hit them.
//
// The request is counted without waiting for the store to confirm it, as Kong increments from a
// timer (`ngx.timer.at(0, ...)`): a failed increment is logged, never seen by the client.
//
// As in Kong, keys carry the route and service the plugin *instance* is attached to, not the ones the
// request matched: a global instance counts a client across all routes, a service's across its routes.
import { createHash } from 'node:crypto';
import type { CounterStore, Headers, PluginContext, PluginHandlers, PluginInstance } from '@tollgate/plugin-sdk';
import { LogThrottle } from '../log-throttle.ts';
import { redisCounters, redisSettings, type RedisSettings } from './redis.ts';

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
type Period = (typeof PERIODS)[number];

/** Kong's EXPIRATION table: the window length in seconds used for RateLimit-Reset. */
const EXPIRATION: Record<Period, number> = { second: 1, minute: 60, hour: 3600, day: 86400, month: 2592000, year: 31536000 };

/** Kong's stand-in for the route or service id of an instance not attached to one. */
const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Identifiers longer than this are hashed in the node's counter keys. The client chooses a header
 * identifier: 8-16 KB values would make each of the node's 200,000 counters that large. Header values
 * arrive as latin1 strings, one byte per character.
 */
const MAX_PLAIN_IDENTIFIER = 64;
/** A fixed-length stand-in for a long identifier (sha256, 43 characters of base64url). */
const hashed = (id: string): string => createHash('sha256').update(id).digest('base64url');

/** How often a failing store may write to the log, per plugin config. */
const LOG_EVERY_MS = 1000;

/** The end of a throttled failure line: how many failures it stands for ('' when only itself). */
const heldNote = (held: number): string => (held === 0 ? '' : ` (${held} more failures since the last line)`);

interface Limit {
  period: Period;
  limit: number;
  /** The limit as sent in headers, and the header names, made once per config (lower-case, as sent). */
  limitValue: string;
  limitHeader: string;
  remainingHeader: string;
}

export interface RateLimitingConfig {
  limits: Limit[];
  /** `ratelimit:<route_id>:<service_id>:` of the instance; the identifier and window follow. */
  keyScope: string;
  limit_by: 'consumer' | 'credential' | 'ip' | 'service' | 'header' | 'path';
  headerName: string | undefined;
  path: string | undefined;
  policy: 'local' | 'cluster' | 'redis';
  fault_tolerant: boolean;
  /** Set with the `redis` policy only. */
  redis: RedisSettings | undefined;
  hide_client_headers: boolean;
  error_code: number;
  error_message: string;
  /** Logged once per process when this config first runs. */
  warning: string | undefined;
  /** Store failures of this config share one line a second. */
  failures: LogThrottle;
}

export function prepareRateLimiting(config: Record<string, unknown>, instance?: PluginInstance): RateLimitingConfig {
  const limits: Limit[] = [];
  for (const period of PERIODS) {
    const limit = config[period];
    if (typeof limit === 'number') {
      limits.push({ period, limit, limitValue: String(limit), limitHeader: `x-ratelimit-limit-${period}`, remainingHeader: `x-ratelimit-remaining-${period}` });
    }
  }
  const policy = (config['policy'] as RateLimitingConfig['policy'] | undefined) ?? 'local';
  const syncRate = typeof config['sync_rate'] === 'number' ? config['sync_rate'] : -1;
  let warning: string | undefined;
  if (policy === 'cluster') warning = "rate-limiting: policy 'cluster' needs a database, which a data plane does not have; counting with the 'local' policy (node-wide) instead";
  else if (policy === 'redis' && syncRate > 0) warning = `rate-limiting: sync_rate ${syncRate} is not implemented; every request is counted in Redis as it arrives (sync_rate -1)`;
  return {
    limits,
    keyScope: `ratelimit:${instance?.routeId ?? EMPTY_UUID}:${instance?.serviceId ?? EMPTY_UUID}:`,
    limit_by: (config['limit_by'] as RateLimitingConfig['limit_by']) ?? 'consumer',
    headerName: typeof config['header_name'] === 'string' ? config['header_name'].toLowerCase() : undefined,
    path: typeof config['path'] === 'string' ? config['path'] : undefined,
    policy,
    fault_tolerant: config['fault_tolerant'] !== false,
    redis: policy === 'redis' ? redisSettings(config) : undefined,
    hide_client_headers: config['hide_client_headers'] === true,
    error_code: typeof config['error_code'] === 'number' ? config['error_code'] : 429,
    error_message: typeof config['error_message'] === 'string' ? config['error_message'] : 'API rate limit exceeded',
    warning,
    failures: new LogThrottle(LOG_EVERY_MS),
  };
}

/** Start (UTC, ms) of the calendar period containing `now`. */
export function periodStart(period: Period, now: number): number {
  switch (period) {
    case 'second':
      return now - (now % 1000);
    case 'minute':
      return now - (now % 60000);
    case 'hour':
      return now - (now % 3600000);
    case 'day':
      return now - (now % 86400000);
    case 'month': {
      const d = new Date(now);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case 'year':
      return Date.UTC(new Date(now).getUTCFullYear(), 0, 1);
  }
}

/** Start of the period after the one starting at `start`. */
export function periodEnd(period: Period, start: number): number {
  switch (period) {
    case 'second':
      return start + 1000;
    case 'minute':
      return start + 60000;
    case 'hour':
      return start + 3600000;
    case 'day':
      return start + 86400000;
    case 'month': {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    case 'year':
      return Date.UTC(new Date(start).getUTCFullYear() + 1, 0, 1);
  }
}

/** Start of the calendar period (UTC) containing `now`, and the start of the next one, in ms. */
export function periodBounds(period: Period, now: number): [number, number] {
  const start = periodStart(period, now);
  return [start, periodEnd(period, start)];
}

/** Kong's get_identifier: falls back to the client IP when the chosen identifier is missing. */
function identifier(ctx: PluginContext<RateLimitingConfig>): string {
  const { config } = ctx;
  let id: string | undefined;
  switch (config.limit_by) {
    case 'service':
      id = ctx.service?.id;
      break;
    case 'consumer':
      id = ctx.consumer?.id ?? ctx.credential?.id;
      break;
    case 'credential':
      id = ctx.credential?.id;
      break;
    case 'header':
      id = config.headerName !== undefined ? ctx.request.header(config.headerName) : undefined;
      break;
    case 'path':
      if (ctx.request.path === config.path) id = config.path;
      break;
    case 'ip':
      break;
  }
  return id ?? ctx.request.clientIp;
}

/** Warnings already logged by this process, so each shows once rather than per request. */
const warned = new Set<string>();

export const rateLimitingHandlers: PluginHandlers<RateLimitingConfig> = {
  access(ctx) {
    const { config } = ctx;
    if (config.warning !== undefined && !warned.has(config.warning)) {
      warned.add(config.warning);
      ctx.log.warn(config.warning);
    }
    const now = Date.now();
    const limits = config.limits;
    const id = identifier(ctx);
    // Redis keys stay Kong's, verbatim, so Kong and Tollgate nodes can share one Redis.
    const prefix = `${config.keyScope}${config.redis === undefined && id.length > MAX_PLAIN_IDENTIFIER ? hashed(id) : id}:`;
    const keys = new Array<string>(limits.length);
    const starts = new Array<number>(limits.length);
    const ends = new Array<number>(limits.length);
    for (let i = 0; i < limits.length; i++) {
      const period = limits[i]!.period;
      const start = periodStart(period, now);
      starts[i] = start;
      ends[i] = periodEnd(period, start);
      keys[i] = `${prefix}${start}:${period}`;
    }
    const store: CounterStore = config.redis === undefined ? ctx.counters : redisCounters(config.redis, now);
    let usage: readonly number[] | Promise<readonly number[]>;
    try {
      usage = store.get(keys);
    } catch (err) {
      return unavailable(ctx, err);
    }
    if (usage instanceof Promise) {
      return usage.then(
        (used) => enforce(ctx, store, now, keys, starts, ends, used),
        (err: unknown) => unavailable(ctx, err),
      );
    }
    return enforce(ctx, store, now, keys, starts, ends, usage);
  },
};

/** Answers over the limit, or adds the headers and counts the request (without waiting for the count). */
function enforce(
  ctx: PluginContext<RateLimitingConfig>, store: CounterStore, now: number,
  keys: readonly string[], starts: readonly number[], ends: readonly number[], used: readonly number[],
): void {
  const { config } = ctx;
  const limits = config.limits;
  // Kong stops at the last period (shortest to longest) whose remaining is <= 0.
  let stop = -1;
  for (let i = 0; i < limits.length; i++) if (limits[i]!.limit - used[i]! <= 0) stop = i;

  let headers: Headers | undefined;
  let reset: number | undefined;
  if (!config.hide_client_headers) {
    headers = {};
    let limit = 0;
    let window = 0;
    let remaining: number | undefined;
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i]!;
      let current = l.limit - used[i]!;
      if (stop === -1 || stop === i) current -= 1;
      current = Math.max(0, current);
      const length = EXPIRATION[l.period];
      // The most restrictive window: fewest remaining, then the longest.
      if (remaining === undefined || current < remaining || (current === remaining && length > window)) {
        limit = l.limit;
        window = length;
        remaining = current;
        reset = Math.max(1, window - Math.floor((now - starts[i]!) / 1000));
      }
      headers[l.limitHeader] = l.limitValue;
      headers[l.remainingHeader] = String(current);
    }
    headers['ratelimit-limit'] = String(limit);
    headers['ratelimit-remaining'] = String(remaining ?? 0);
    if (reset !== undefined) headers['ratelimit-reset'] = String(reset);
  }
  if (stop !== -1) {
    const exitHeaders: Headers = headers ?? {};
    if (reset !== undefined) exitHeaders['retry-after'] = String(reset);
    ctx.response.error(config.error_code, config.error_message, exitHeaders);
    return;
  }
  if (headers !== undefined) for (const name in headers) ctx.response.setHeader(name, headers[name]!);
  let counted: void | Promise<void>;
  try {
    counted = store.increment(keys, ends);
  } catch (err) {
    return notCounted(ctx, err);
  }
  if (counted instanceof Promise) void counted.catch((err: unknown) => notCounted(ctx, err));
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Kong's get_usage failure: the store could not say how much is used. The increment is skipped
 * too: the store just failed, and a second call would most likely fail as well.
 */
function unavailable(ctx: PluginContext<RateLimitingConfig>, err: unknown): void {
  const { config } = ctx;
  const held = config.failures.take();
  const note = held === undefined ? undefined : heldNote(held);
  if (config.fault_tolerant) {
    if (note !== undefined) ctx.log.error(`rate-limiting: failed to get usage, letting requests through (fault_tolerant): ${messageOf(err)}${note}`);
    return;
  }
  if (note !== undefined) ctx.log.error(`rate-limiting: failed to get usage, answering 500 (fault_tolerant is off): ${messageOf(err)}${note}`);
  ctx.response.error(500, 'An unexpected error occurred');
}

/** The request was allowed but could not be counted (Kong logs this too and carries on). */
function notCounted(ctx: PluginContext<RateLimitingConfig>, err: unknown): void {
  const held = ctx.config.failures.take();
  const note = held === undefined ? undefined : heldNote(held);
  if (note !== undefined) ctx.log.warn(`rate-limiting: incrementing the counters failed, this request is not counted: ${messageOf(err)}${note}`);
}
