// proxy-cache: answers cacheable requests from stored upstream responses (kong/plugins/proxy-cache/
// handler.lua). Access computes the key and serves a fresh entry without calling the upstream; the
// response phase (with the whole body buffered) stores what the upstream answered, if it may.
//
// Beyond Kong: HEAD is answered from the GET entry and never stored (its upstream answer has no body);
// with `cache_control`, a stale entry is served only to a request whose `max-stale` allows it, and
// `only-if-cached` gets a 504 whenever no stored response can answer (Kong: only when none is stored).
// Like Kong: Set-Cookie is stored and replayed, an `Authorization` header does not bypass the cache
// (the key holds the consumer an auth plugin found), and `Vary` is not looked at.
import type { Headers, PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';
import { forbidsStoring, NO_DIRECTIVES, parseDirectives, requestAccepts, resourceTtl } from './cache-control.ts';
import { cacheKey, type KeyOptions } from './cache-key.ts';
import { ContentTypes } from './content-type.ts';
import type { MemoryStore } from './store.ts';

export interface ProxyCacheConfig {
  readonly methods: ReadonlySet<string>;
  readonly statuses: ReadonlySet<number>;
  readonly contentTypes: ContentTypes;
  /** Seconds an entry is fresh without `cache_control`. */
  readonly cacheTtl: number;
  /** Seconds storage keeps an entry; undefined: as long as it is fresh; 0: until evicted. */
  readonly storageTtl: number | undefined;
  readonly cacheControl: boolean;
  readonly key: KeyOptions;
  /** Which of Age, X-Cache-Status and X-Cache-Key are sent (all of them with a Kong-Debug request header). */
  readonly show: { readonly age: boolean; readonly status: boolean; readonly key: boolean };
  readonly store: MemoryStore;
  /** Wall-clock milliseconds (Date.now, or a test's clock). */
  readonly now: () => number;
}

interface RawConfig {
  response_code: number[];
  request_method: string[];
  content_type: string[];
  cache_ttl: number;
  cache_control: boolean;
  ignore_uri_case: boolean;
  storage_ttl?: number | null;
  memory: { dictionary_name: string };
  vary_query_params?: string[] | null;
  vary_headers?: string[] | null;
  response_headers: { age: boolean; 'X-Cache-Status': boolean; 'X-Cache-Key': boolean };
}

/** Per-request note, in `ctx.shared`, of the key a cacheable miss is to be stored under. */
const PENDING = 'proxy-cache.key';

/**
 * Not replayed from storage: hop-by-hop headers, the length (the gateway sets it), remaining rate-limit
 * counts (as Kong), the cache's own headers, and the gateway's per-request ones.
 */
const NOT_STORED = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
  'content-length', 'age', 'x-cache-status', 'x-cache-key',
  'x-kong-request-id', 'x-kong-upstream-latency', 'x-kong-proxy-latency', 'x-kong-response-latency',
]);

/** Turns the validated config into lookups, and binds the store named by `memory.dictionary_name`. */
export function prepareProxyCache(config: Record<string, unknown>, storeFor: (dictionary: string) => MemoryStore, now: () => number): ProxyCacheConfig {
  const c = config as unknown as RawConfig;
  const varyQuery = c.vary_query_params ?? [];
  const storageTtl = c.storage_ttl ?? undefined;
  return {
    methods: new Set(c.request_method),
    statuses: new Set(c.response_code),
    contentTypes: new ContentTypes(c.content_type),
    cacheTtl: c.cache_ttl,
    // Kong's shared dict keeps an entry set with TTL 0 until it is evicted; a negative one is read the same.
    storageTtl: storageTtl === undefined ? undefined : Math.max(storageTtl, 0),
    cacheControl: c.cache_control,
    key: {
      ignoreUriCase: c.ignore_uri_case,
      // Kong varies on every argument when the list is unset or empty.
      varyQuery: varyQuery.length === 0 ? undefined : new Set(varyQuery),
      varyHeaders: [...new Set((c.vary_headers ?? []).map((h) => h.toLowerCase()))].sort(),
    },
    show: { age: c.response_headers.age, status: c.response_headers['X-Cache-Status'], key: c.response_headers['X-Cache-Key'] },
    store: storeFor(c.memory.dictionary_name),
    now,
  };
}

function access(ctx: PluginContext<ProxyCacheConfig>): void {
  const c = ctx.config;
  const req = ctx.request;
  const method = req.method;
  const debug = req.header('kong-debug') !== undefined;
  const requestCc = c.cacheControl ? parseDirectives(req.header('cache-control')) : NO_DIRECTIVES;
  // An upgrade (WebSocket) is never answered from the cache, and never stored.
  if (!c.methods.has(method) || req.header('upgrade') !== undefined || requestCc.has('no-store') || requestCc.has('no-cache')) {
    if (c.show.status || debug) ctx.response.setHeader('X-Cache-Status', 'Bypass');
    return;
  }
  // HEAD is answered from the GET entry: same headers and Content-Length, the body left out by HTTP.
  const key = cacheKey(ctx.consumer?.id, ctx.route?.id, method === 'HEAD' ? 'GET' : method, req, c.key);
  if (c.show.key || debug) ctx.response.setHeader('X-Cache-Key', key);
  const now = c.now();
  const entry = c.store.get(key, now);
  const age = entry === undefined ? 0 : now - entry.storedAt;
  const usable = entry !== undefined && (c.cacheControl ? requestAccepts(requestCc, age, entry.ttl) : age <= c.cacheTtl * 1000);
  if (!usable) {
    // RFC 9111 §5.2.1.7: a client that wants only cached data gets a 504 rather than an upstream call.
    if (requestCc.has('only-if-cached')) {
      ctx.response.exit(504, { message: 'No stored response can answer this request (Cache-Control: only-if-cached)' });
      return;
    }
    if (method !== 'HEAD') ctx.shared.set(PENDING, key);
    if (c.show.status || debug) ctx.response.setHeader('X-Cache-Status', entry === undefined ? 'Miss' : 'Refresh');
    return;
  }
  if (c.show.age || debug) ctx.response.setHeader('Age', String(Math.floor(age / 1000)));
  if (c.show.status || debug) ctx.response.setHeader('X-Cache-Status', 'Hit');
  ctx.response.exit(entry.status, entry.body, entry.headers);
}

/** How long the upstream's response may be kept, in seconds; 0 when it may not be stored. */
function storableFor(ctx: PluginContext<ProxyCacheConfig>, now: number): number {
  const c = ctx.config;
  const res = ctx.response;
  if (!c.statuses.has(res.status) || !c.contentTypes.admits(res.header('content-type'))) return 0;
  if (!c.cacheControl) return c.cacheTtl;
  const responseCc = parseDirectives(res.header('cache-control'));
  const ttl = resourceTtl(responseCc, res.header('expires'), now);
  return forbidsStoring(responseCc) ? 0 : Math.max(0, ttl);
}

/**
 * Whether the proxy should hold this response's body for `response` (Kong collects the body only of
 * cacheable responses): everything else, a bypassed request or an uncacheable answer, streams.
 */
export function wantsBody(ctx: PluginContext<ProxyCacheConfig>): boolean {
  return ctx.shared.get(PENDING) !== undefined && ctx.response.source === 'upstream' && storableFor(ctx, ctx.config.now()) > 0;
}

function response(ctx: PluginContext<ProxyCacheConfig>): void {
  const key = ctx.shared.get(PENDING) as string | undefined;
  // Nothing to store for requests that bypassed the cache or were answered from it, nor for answers
  // the gateway made itself (another plugin's exit after this one looked up).
  if (key === undefined || ctx.response.source !== 'upstream') return;
  const c = ctx.config;
  const res = ctx.response;
  const now = c.now();
  const ttl = storableFor(ctx, now);
  const body = res.body;
  if (ttl === 0 || body === undefined) {
    if (c.show.status || ctx.request.header('kong-debug') !== undefined) res.setHeader('X-Cache-Status', 'Bypass');
    return;
  }
  const storageTtl = c.storageTtl ?? ttl;
  c.store.set(
    key,
    { status: res.status, headers: storedHeaders(res.headers()), body: owned(body), storedAt: now, ttl, expiresAt: storageTtl === 0 ? Infinity : now + storageTtl * 1000 },
    now,
  );
}

function storedHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || NOT_STORED.has(name) || name.includes('ratelimit-remaining')) continue;
    out[name] = value;
  }
  return out;
}

/**
 * A body that owns its memory: a small Buffer is usually a view of a shared 8 KiB pool slab, and
 * keeping the view would keep the whole slab alive, unaccounted for by the memory bound.
 */
function owned(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.buffer.byteLength === body.length) return body;
  const copy = Buffer.allocUnsafeSlow(body.length);
  body.copy(copy);
  return copy;
}

export const proxyCacheHandlers: PluginHandlers<ProxyCacheConfig> = { access, response };
