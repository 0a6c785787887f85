// rate-limiting: counts requests in fixed windows aligned to the UTC calendar (second, minute, hour,
// day, month, year) and answers `error_code` (429) over a limit (kong/plugins/rate-limiting/handler.lua).
//
// LIMITATION: only the `local` policy is implemented, and "local" here means THIS PROCESS: counters
// live in a Map in memory and are NOT shared between worker processes or data plane nodes (Kong's
// `local` shares them between the workers of a node through shared memory). The `cluster` and `redis`
// policies are not implemented: such configs are counted locally too, and a warning is logged once.
import type { Headers, PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
type Period = (typeof PERIODS)[number];

/** Kong's EXPIRATION table: the window length in seconds used for RateLimit-Reset. */
const EXPIRATION: Record<Period, number> = { second: 1, minute: 60, hour: 3600, day: 86400, month: 2592000, year: 31536000 };

interface Limit {
  period: Period;
  limit: number;
  limitHeader: string;
  remainingHeader: string;
}

export interface RateLimitingConfig {
  limits: Limit[];
  limit_by: 'consumer' | 'credential' | 'ip' | 'service' | 'header' | 'path';
  headerName: string | undefined;
  path: string | undefined;
  policy: string;
  hide_client_headers: boolean;
  error_code: number;
  error_message: string;
}

const capitalize = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

export function prepareRateLimiting(config: Record<string, unknown>): RateLimitingConfig {
  const limits: Limit[] = [];
  for (const period of PERIODS) {
    const limit = config[period];
    if (typeof limit === 'number') {
      limits.push({ period, limit, limitHeader: `X-RateLimit-Limit-${capitalize(period)}`, remainingHeader: `X-RateLimit-Remaining-${capitalize(period)}` });
    }
  }
  return {
    limits,
    limit_by: (config['limit_by'] as RateLimitingConfig['limit_by']) ?? 'consumer',
    headerName: typeof config['header_name'] === 'string' ? config['header_name'].toLowerCase() : undefined,
    path: typeof config['path'] === 'string' ? config['path'] : undefined,
    policy: typeof config['policy'] === 'string' ? config['policy'] : 'local',
    hide_client_headers: config['hide_client_headers'] === true,
    error_code: typeof config['error_code'] === 'number' ? config['error_code'] : 429,
    error_message: typeof config['error_message'] === 'string' ? config['error_message'] : 'API rate limit exceeded',
  };
}

/** Start of the calendar period (UTC) containing `now`, and the start of the next one, in ms. */
export function periodBounds(period: Period, now: number): [number, number] {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  switch (period) {
    case 'second': {
      const s = Math.floor(now / 1000) * 1000;
      return [s, s + 1000];
    }
    case 'minute': {
      const s = Math.floor(now / 60000) * 60000;
      return [s, s + 60000];
    }
    case 'hour': {
      const s = Math.floor(now / 3600000) * 3600000;
      return [s, s + 3600000];
    }
    case 'day': {
      const s = Date.UTC(y, mo, d.getUTCDate());
      return [s, s + 86400000];
    }
    case 'month':
      return [Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1)];
    case 'year':
      return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)];
  }
}

/**
 * The in-process counter store: key → count, expiring at the end of its window. Expired windows are
 * swept at most once a second; above MAX_ENTRIES the oldest entries are dropped, so memory is bounded.
 */
interface Counter {
  count: number;
  expiresAt: number;
}
const MAX_ENTRIES = 200_000;
const counters = new Map<string, Counter>();
let nextSweep = 0;

function sweep(now: number): void {
  if (now < nextSweep && counters.size < MAX_ENTRIES) return;
  nextSweep = now + 1000;
  for (const [key, c] of counters) if (c.expiresAt <= now) counters.delete(key);
  // Still too many live windows: drop the oldest inserted (Map keeps insertion order).
  for (const key of counters.keys()) {
    if (counters.size < MAX_ENTRIES) break;
    counters.delete(key);
  }
}

function usage(key: string, now: number): number {
  const c = counters.get(key);
  return c === undefined || c.expiresAt <= now ? 0 : c.count;
}

function increment(key: string, expiresAt: number, now: number): void {
  const c = counters.get(key);
  if (c === undefined || c.expiresAt <= now) counters.set(key, { count: 1, expiresAt });
  else c.count++;
}

/** For tests: the number of live counter entries. */
export function counterEntries(): number {
  return counters.size;
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

let warnedPolicy = false;

export const rateLimitingHandlers: PluginHandlers<RateLimitingConfig> = {
  access(ctx) {
    const { config } = ctx;
    if (config.policy !== 'local' && !warnedPolicy) {
      warnedPolicy = true;
      ctx.log.warn(`rate-limiting: policy '${config.policy}' is not implemented; counting in process memory (local)`);
    }
    const now = Date.now();
    sweep(now);
    const id = identifier(ctx);
    const prefix = `ratelimit:${ctx.route?.id ?? ''}:${ctx.service?.id ?? ''}:${id}:`;
    const windows = config.limits.map((l) => {
      const [start, end] = periodBounds(l.period, now);
      const key = `${prefix}${start}:${l.period}`;
      return { l, start, end, key, remaining: l.limit - usage(key, now) };
    });
    // Kong stops at the last period (shortest to longest) whose remaining is <= 0.
    let stop: Period | undefined;
    for (const w of windows) if (w.remaining <= 0) stop = w.l.period;

    let headers: Headers | undefined;
    let reset: number | undefined;
    if (!config.hide_client_headers) {
      headers = {};
      let limit = 0;
      let window = 0;
      let remaining: number | undefined;
      for (const w of windows) {
        let current = w.remaining;
        if (stop === undefined || stop === w.l.period) current -= 1;
        current = Math.max(0, current);
        const length = EXPIRATION[w.l.period];
        // The most restrictive window: fewest remaining, then the longest.
        if (remaining === undefined || current < remaining || (current === remaining && length > window)) {
          limit = w.l.limit;
          window = length;
          remaining = current;
          reset = Math.max(1, window - Math.floor((now - w.start) / 1000));
        }
        headers[w.l.limitHeader] = String(w.l.limit);
        headers[w.l.remainingHeader] = String(current);
      }
      headers['RateLimit-Limit'] = String(limit);
      headers['RateLimit-Remaining'] = String(remaining ?? 0);
      if (reset !== undefined) headers['RateLimit-Reset'] = String(reset);
    }
    if (stop !== undefined) {
      const exitHeaders: Headers = headers ?? {};
      if (reset !== undefined) exitHeaders['Retry-After'] = String(reset);
      ctx.response.exit(config.error_code, { message: config.error_message }, exitHeaders);
      return;
    }
    if (headers !== undefined) for (const [name, value] of Object.entries(headers)) ctx.response.setHeader(name, value!);
    for (const w of windows) increment(w.key, w.end, now);
  },
};
