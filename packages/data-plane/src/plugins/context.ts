// The per-request object plugins see. One per request (only when a chain has plugins); each handler
// gets a thin view of it carrying that plugin's config, so async handlers never see another's config.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { errorAnswer, type ErrorFormat } from '../proxy/error-format.ts';
import type { Consumer, CounterStore, EntityLookup, EntityView, Headers, Logger, Phase, PluginContext, RequestView, ResponseApi, UpstreamRequest } from '@tollgate/plugin-sdk';

export interface ExitResponse {
  status: number;
  body: unknown;
  headers: Headers | undefined;
}

export interface ContextInit {
  req: IncomingMessage;
  scheme: string;
  host: string;
  port: number;
  path: string;
  rawQuery: string;
  clientIp: string;
  requestId: string;
  startedAt: number;
  route: EntityView | undefined;
  service: EntityView | undefined;
  entities: EntityLookup;
  log: Logger;
  /** The router's regex captures (Kong's uri_captures), null when no regex path matched. */
  captures: Record<string, string> | null;
  /** The node's counters (DataPlaneOptions.counters), handed to plugins as `ctx.counters`. */
  counters: CounterStore;
  /** kong.conf `error_default_type`, for `ctx.response.error`. */
  errorDefault: ErrorFormat;
}

export class RequestState implements RequestView {
  readonly init: ContextInit;
  /** `ctx.shared`, made on first use. */
  sharedMap: Map<string, unknown> | undefined;
  upstreamView: UpstreamRequest | undefined;
  responseView: ResponseApi | undefined;
  consumer: Consumer | undefined;
  credential: EntityView | undefined;
  exit: ExitResponse | undefined;
  /** Upstream path and query overrides set by plugins (undefined = computed from the route). */
  upstreamPath: string | undefined;
  upstreamQuery: string | undefined;
  upstreamBody: Buffer | undefined;
  upstreamMethod: string | undefined;
  bufferedBody: Buffer | undefined;
  /** Response headers plugins set (undefined value = remove), applied when the response is written. */
  responseHeaders: OutgoingHttpHeaders | undefined;
  /** The response's own headers (the upstream's, or a gateway answer's), for `ctx.response.header`. */
  baseResponseHeaders: OutgoingHttpHeaders | undefined;
  responseStatus = 0;
  responseSource: 'upstream' | 'gateway' | undefined;
  responseBody: Buffer | undefined;
  /** The client connection (kept: node:http detaches it from `req` once the response is done). */
  readonly socket: Socket;
  /** The client connection's byte count when this request arrived, and what this response added. */
  readonly bytesAtStart: number;
  bytesSent: number | undefined;
  /** The matched route, its service and regex captures: set by routing (none yet in the rewrite phase). */
  route: EntityView | undefined;
  service: EntityView | undefined;
  captures: Record<string, string> | null;
  #query: URLSearchParams | undefined;

  constructor(init: ContextInit) {
    this.init = init;
    this.socket = init.req.socket;
    this.bytesAtStart = this.socket.bytesWritten;
    this.route = init.route;
    this.service = init.service;
    this.captures = init.captures;
  }

  /** Ends the request with an error in the format the client asks for (Kong's kong.response.error). */
  exitWithError(status: number, message: string, headers?: Headers): void {
    const { contentType, body } = errorAnswer(this.init.req.headers, this.init.errorDefault, message, this.init.requestId);
    this.exit = { status, body, headers: { ...headers, 'content-type': contentType } };
  }

  get method() { return this.init.req.method ?? 'GET'; }
  get scheme() { return this.init.scheme; }
  get host() { return this.init.host; }
  get port() { return this.init.port; }
  get path() { return this.init.path; }
  get rawQuery() { return this.init.rawQuery; }
  get clientIp() { return this.init.clientIp; }
  get uriCaptures() { return this.captures; }
  get headers(): Readonly<Headers> { return this.init.req.headers; }
  get contentLength(): number | undefined {
    const v = this.init.req.headers['content-length'];
    return v === undefined ? undefined : Number(v);
  }
  get status(): number { return this.exit?.status ?? this.responseStatus; }
  query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.init.rawQuery));
  }
  header(name: string): string | undefined {
    const v = this.init.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }
  async body(): Promise<Buffer> {
    if (this.bufferedBody !== undefined) return this.bufferedBody;
    const chunks: Buffer[] = [];
    for await (const chunk of this.init.req as AsyncIterable<Buffer>) chunks.push(chunk);
    this.bufferedBody = Buffer.concat(chunks);
    return this.bufferedBody;
  }
  setBody(body: Buffer | string): void {
    this.upstreamBody = typeof body === 'string' ? Buffer.from(body) : body;
    this.init.req.headers['content-length'] = String(this.upstreamBody.length);
    delete this.init.req.headers['transfer-encoding'];
  }
}

// The views below are classes with their methods on the prototype: a chain of plugins builds one
// small object per handler call instead of a fresh set of closures, which showed up in profiles.

/** `ctx.response`: one per request, shared by every handler's context. */
class ResponseView implements ResponseApi {
  readonly #s: RequestState;
  constructor(state: RequestState) {
    this.#s = state;
  }
  exit(status: number, body?: unknown, headers?: Headers): void {
    this.#s.exit = { status, body, headers };
  }
  error(status: number, message: string, headers?: Headers): void {
    this.#s.exitWithError(status, message, headers);
  }
  setHeader(name: string, value: string | string[]): void {
    (this.#s.responseHeaders ??= {})[name.toLowerCase()] = value;
  }
  removeHeader(name: string): void {
    (this.#s.responseHeaders ??= {})[name.toLowerCase()] = undefined;
  }
  /** What the client will get: a plugin's change (removal included) wins over the response's own header. */
  header(name: string): string | string[] | undefined {
    const key = name.toLowerCase();
    const changes = this.#s.responseHeaders;
    const value = changes !== undefined && Object.hasOwn(changes, key) ? changes[key] : this.#s.baseResponseHeaders?.[key];
    return typeof value === 'number' ? String(value) : value;
  }
  headers(): Headers {
    const out: Headers = {};
    const base = this.#s.baseResponseHeaders;
    if (base !== undefined) for (const k in base) { const v = base[k]; if (v !== undefined) out[k] = typeof v === 'number' ? String(v) : v; }
    const changes = this.#s.responseHeaders;
    if (changes !== undefined) for (const k in changes) { const v = changes[k]; if (v === undefined) delete out[k]; else out[k] = typeof v === 'number' ? String(v) : v; }
    return out;
  }
  get status(): number { return this.#s.status; }
  get body(): Buffer | undefined { return this.#s.responseBody; }
  set body(b: Buffer | undefined) { this.#s.responseBody = b; }
  get source(): 'upstream' | 'gateway' | undefined { return this.#s.responseSource; }
  get bytesSent(): number | undefined { return this.#s.bytesSent; }
}

/** `ctx.upstream`: one per request. Header changes go straight into the headers that are forwarded. */
class UpstreamView implements UpstreamRequest {
  readonly #s: RequestState;
  constructor(state: RequestState) {
    this.#s = state;
  }
  get method(): string { return this.#s.upstreamMethod ?? this.#s.method; }
  setMethod(m: string): void { this.#s.upstreamMethod = m.toUpperCase(); }
  setHeader(n: string, v: string | string[]): void { this.#s.init.req.headers[n.toLowerCase()] = v as string; }
  removeHeader(n: string): void { delete this.#s.init.req.headers[n.toLowerCase()]; }
  header(n: string): string | string[] | undefined { return this.#s.init.req.headers[n.toLowerCase()]; }
  setPath(p: string): void { this.#s.upstreamPath = p; }
  get path(): string { return this.#s.upstreamPath ?? this.#s.init.path; }
  setQuery(q: string): void { this.#s.upstreamQuery = q; }
  get rawQuery(): string { return this.#s.upstreamQuery ?? this.#s.init.rawQuery; }
  setBody(b: Buffer | string): void { this.#s.setBody(b); }
}

/** What one handler sees: the request's shared state plus that plugin's config and the phase. */
class HandlerContext<C> implements PluginContext<C> {
  readonly config: C;
  readonly phase: Phase;
  readonly #s: RequestState;
  constructor(state: RequestState, config: C, phase: Phase) {
    this.#s = state;
    this.config = config;
    this.phase = phase;
  }
  get request(): RequestView { return this.#s; }
  get upstream(): UpstreamRequest { return (this.#s.upstreamView ??= new UpstreamView(this.#s)); }
  get response(): ResponseApi { return (this.#s.responseView ??= new ResponseView(this.#s)); }
  get route(): EntityView | undefined { return this.#s.route; }
  get service(): EntityView | undefined { return this.#s.service; }
  get consumer(): Consumer | undefined { return this.#s.consumer; }
  get credential(): EntityView | undefined { return this.#s.credential; }
  authenticate(consumer: Consumer | undefined, credential?: EntityView): void {
    this.#s.consumer = consumer;
    this.#s.credential = credential;
  }
  get shared(): Map<string, unknown> { return (this.#s.sharedMap ??= new Map()); }
  get entities(): EntityLookup { return this.#s.init.entities; }
  get log(): Logger { return this.#s.init.log; }
  get requestId(): string { return this.#s.init.requestId; }
  elapsed(): number { return performance.now() - this.#s.init.startedAt; }
  get counters(): CounterStore { return this.#s.init.counters; }
}

/** Builds the view one handler sees. */
export function contextFor<C>(state: RequestState, config: C, phase: Phase): PluginContext<C> {
  return new HandlerContext(state, config, phase);
}
