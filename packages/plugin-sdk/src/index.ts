// @tollgate/plugin-sdk: everything a plugin sees. A plugin is a schema (what the control plane validates)
// plus handlers for the phases it takes part in; the data plane calls them with a per-request context.
import type { PluginSchema } from '@tollgate/schema';

export type { PluginSchema } from '@tollgate/schema';
export { definePluginSchema } from '@tollgate/schema';
export { CidrSet, matchesCidr, parseCidr, parseIp, type CidrRule } from './ip.ts';

/**
 * The phases a plugin can act in, in request order:
 * - `rewrite`: before routing; global plugins only (no route or service is known yet).
 * - `access`: after routing, before the upstream call; may answer early with `ctx.response.exit()`.
 * - `response`: when the upstream's status and headers are known, before they are sent; with
 *   `bufferResponseBody`, the whole body is available too.
 * - `log`: after the response has been sent; never delays the client.
 */
export type Phase = 'rewrite' | 'access' | 'response' | 'log';

export type Headers = Record<string, string | string[] | undefined>;

/** An entity the request was matched to, as the Admin API shows it. */
export type EntityView = Readonly<Record<string, unknown>> & { readonly id: string };

export interface RequestView {
  readonly method: string;
  /** `http` or `https`, as the client connected. */
  readonly scheme: string;
  /** The Host header without the port. */
  readonly host: string;
  readonly port: number;
  /** The path as the client sent it (no query string). */
  readonly path: string;
  /** The raw query string, without `?` ('' when none). */
  readonly rawQuery: string;
  /** Parsed query (first value per name); built on first use. */
  query(): URLSearchParams;
  readonly clientIp: string;
  /** Request header (lower-case name); several values joined as node:http joins them. */
  header(name: string): string | undefined;
  readonly headers: Readonly<Headers>;
  /** Reads (and keeps, so it is still forwarded) the whole request body. */
  body(): Promise<Buffer>;
  /** Declared Content-Length, or undefined for a chunked body. */
  readonly contentLength: number | undefined;
  /**
   * Kong's `uri_captures` when the route matched by a regex path: `'0'` is the whole match, then the
   * numbered and named groups (`{ '0': '/users/42', '1': '42', id: '42' }`); null otherwise.
   */
  readonly uriCaptures: Readonly<Record<string, string>> | null;
}

/** Changes to what is sent upstream. */
export interface UpstreamRequest {
  /** The method sent upstream (the client's unless a plugin changed it). */
  readonly method: string;
  /** Sends the request upstream with another method (Kong's `kong.service.request.set_method`). */
  setMethod(method: string): void;
  setHeader(name: string, value: string | string[]): void;
  removeHeader(name: string): void;
  header(name: string): string | string[] | undefined;
  /** Replaces the path sent upstream (after strip_path). */
  setPath(path: string): void;
  readonly path: string;
  /** Replaces the query string sent upstream (without `?`). */
  setQuery(rawQuery: string): void;
  readonly rawQuery: string;
  /** Replaces the body sent upstream. */
  setBody(body: Buffer | string): void;
}

export interface ResponseApi {
  /** Ends the request with this response; later access handlers are skipped, log handlers still run. */
  exit(status: number, body?: unknown, headers?: Headers): void;
  /**
   * Ends the request with an error, as Kong's `kong.response.error`: the message and the request id in
   * the format the client asks for (JSON, text, HTML or XML by its Accept header; see the README).
   */
  error(status: number, message: string, headers?: Headers): void;
  /** Adds or replaces a header on the response to the client. */
  setHeader(name: string, value: string | string[]): void;
  removeHeader(name: string): void;
  /**
   * A response header as the client will get it: the upstream's (or the gateway answer's) with the
   * plugins' changes so far applied. Known from the `response` phase on.
   */
  header(name: string): string | string[] | undefined;
  /** Every response header as the client will get it (a copy, lower-case names); `{}` before the response phase. */
  headers(): Headers;
  /** The status that is or will be sent (upstream status in the response phase). */
  readonly status: number;
  /**
   * In the response phase with `bufferResponseBody`: the full upstream body, replaceable. Undefined
   * when the response was not held: no body (HEAD, 204, 304), `wantsResponseBody` said no, or the
   * body was larger than the proxy holds (16 MiB); it then streamed to the client unchanged.
   */
  body: Buffer | undefined;
  /**
   * In the `log` phase: bytes written to the client for this response, status line and headers
   * included (Kong's `bytes_sent`); undefined before.
   */
  readonly bytesSent: number | undefined;
  /** Where the response came from: the upstream, or the gateway itself (exit, error). */
  readonly source: 'upstream' | 'gateway' | undefined;
}

export interface Consumer {
  readonly id: string;
  readonly username?: string | null;
  readonly custom_id?: string | null;
  readonly [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Read access to the configuration's entities, indexed at config time. */
export interface EntityLookup {
  /** Finds one entity by a unique field, e.g. `('keyauth_credentials', 'key', k)`. */
  find(entity: string, field: string, value: string): EntityView | undefined;
  /** All entities of a type whose field equals value, e.g. a consumer's acls. */
  list(entity: string, field: string, value: string): readonly EntityView[];
  get(entity: string, id: string): EntityView | undefined;
}

/**
 * Counters shared by every worker process of one node, the role of Kong's `kong_rate_limiting_counters`
 * shared dict. In a single process the calls answer synchronously (no Promise on the hot path); when
 * the counters live in another process they return Promises, so callers handle both. A failing store
 * throws or rejects. Key names are the caller's; prefix them with the plugin name.
 * @example
 *   const got = ctx.counters.get([key]);
 *   const [used] = got instanceof Promise ? await got : got;
 *   if (used! < limit) await ctx.counters.increment([key], [windowEnd]);
 */
export interface CounterStore {
  /** The value of each key, in the order asked: 0 for a key that is absent or expired. */
  get(keys: readonly string[]): readonly number[] | Promise<readonly number[]>;
  /** Adds 1 to each key; a key created by this call expires at `expiresAt[i]` (ms since the epoch). */
  increment(keys: readonly string[], expiresAt: readonly number[]): void | Promise<void>;
}

/** What every handler receives. `C` is the plugin's config type. */
export interface PluginContext<C = Record<string, unknown>> {
  readonly config: C;
  readonly phase: Phase;
  readonly request: RequestView;
  readonly upstream: UpstreamRequest;
  readonly response: ResponseApi;
  readonly route: EntityView | undefined;
  readonly service: EntityView | undefined;
  /** The authenticated consumer, if an auth plugin set one. */
  readonly consumer: Consumer | undefined;
  readonly credential: EntityView | undefined;
  /** Sets the consumer (auth plugins); later plugins see consumer-scoped configs for it. */
  authenticate(consumer: Consumer | undefined, credential?: EntityView): void;
  /** Per-request storage shared by all plugins. */
  readonly shared: Map<string, unknown>;
  readonly entities: EntityLookup;
  readonly log: Logger;
  /** The request id sent as X-Kong-Request-Id. */
  readonly requestId: string;
  /** Milliseconds since the request arrived. */
  elapsed(): number;
  /** Counters shared by every worker process of this node (rate limits, quotas). */
  readonly counters: CounterStore;
}

export type PhaseHandler<C> = (ctx: PluginContext<C>) => void | Promise<void>;

export interface PluginHandlers<C> {
  rewrite?: PhaseHandler<C>;
  access?: PhaseHandler<C>;
  response?: PhaseHandler<C>;
  log?: PhaseHandler<C>;
}

/** A configured plugin instance: its id and the scope it is attached to (null = any). */
export interface PluginInstance {
  readonly id: string;
  readonly routeId: string | null;
  readonly serviceId: string | null;
  readonly consumerId: string | null;
}

/** A plugin with its runtime: the schema, the handlers, and per-instance setup. */
export interface PluginDefinition<C = any> {
  readonly schema: PluginSchema;
  /**
   * Needs the whole upstream response body in the `response` phase. Buffering costs memory and holds
   * the response until the upstream has finished, so a function may decide per plugin instance from
   * its prepared config: a route whose instances all answer false keeps streaming.
   * @example bufferResponseBody: (config) => config.json !== undefined
   */
  readonly bufferResponseBody?: boolean | ((config: C) => boolean);
  /**
   * With `bufferResponseBody`: asked per response once the upstream's status and headers are known
   * (`ctx.response.status`, `ctx.response.header()`), whether this response's body is needed. Say no
   * for what the plugin will not touch (an uncacheable response, a non-JSON one) so it streams.
   * Without it, every response with a body is held. Must not await.
   * @example wantsResponseBody: (ctx) => ctx.response.status === 200
   */
  wantsResponseBody?(ctx: PluginContext<C>): boolean;
  /**
   * Called once per plugin instance when a config is applied: turn the config into whatever the
   * handlers need (compiled regexes, parsed sizes). The result is the `config` handlers receive.
   * `instance` tells where the instance is attached (Kong's `conf.route_id`, `conf.service_id`…).
   */
  prepare?(config: Record<string, unknown>, instance: PluginInstance): C;
  readonly handlers: PluginHandlers<C>;
  /**
   * Commands an operator sends through the Admin API (Kong's plugin `api.lua`, e.g. proxy-cache's purge),
   * run in every proxy process of the node with this plugin's instances in the config in force and their
   * prepared configs. Answers plain data (or a promise of it), one answer per process; undefined for a
   * command it does not know. A command that throws is answered with its error; the proxy keeps running.
   * @example control(command, args, instances) { if (command === 'purge') return instances.map((i) => i.config.store.clear()).length; }
   */
  control?(command: string, args: Readonly<Record<string, string>>, instances: ReadonlyArray<{ readonly id: string; readonly config: C }>): unknown;
}

/**
 * Declares a plugin.
 * @example
 *   export default definePlugin({
 *     schema: mySchema,
 *     handlers: { access(ctx) { if (!ctx.request.header('x-ok')) ctx.response.exit(403, { message: 'no' }); } },
 *   });
 */
export function definePlugin<C = Record<string, unknown>>(definition: PluginDefinition<C>): PluginDefinition<C> {
  return definition;
}
