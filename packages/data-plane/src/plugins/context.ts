// The per-request object plugins see. One per request (only when a chain has plugins); each handler
// gets a thin view of it carrying that plugin's config, so async handlers never see another's config.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
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
}

export class RequestState implements RequestView {
  readonly init: ContextInit;
  readonly shared = new Map<string, unknown>();
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
  #query: URLSearchParams | undefined;

  constructor(init: ContextInit) {
    this.init = init;
  }

  get method() { return this.init.req.method ?? 'GET'; }
  get scheme() { return this.init.scheme; }
  get host() { return this.init.host; }
  get port() { return this.init.port; }
  get path() { return this.init.path; }
  get rawQuery() { return this.init.rawQuery; }
  get clientIp() { return this.init.clientIp; }
  get uriCaptures() { return this.init.captures; }
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

/** Builds the view one handler sees: the shared state plus that plugin's config and the phase. */
export function contextFor<C>(state: RequestState, config: C, phase: Phase): PluginContext<C> {
  const response: ResponseApi = {
    exit: (status, body, headers) => {
      state.exit = { status, body, headers };
    },
    setHeader: (name, value) => {
      (state.responseHeaders ??= {})[name.toLowerCase()] = value;
    },
    removeHeader: (name) => {
      (state.responseHeaders ??= {})[name.toLowerCase()] = undefined;
    },
    // What the client will get: a plugin's change (removal included) wins over the response's own header.
    header: (name) => {
      const key = name.toLowerCase();
      const changes = state.responseHeaders;
      const value = changes !== undefined && Object.hasOwn(changes, key) ? changes[key] : state.baseResponseHeaders?.[key];
      return typeof value === 'number' ? String(value) : value;
    },
    headers: () => {
      const out: Headers = {};
      const base = state.baseResponseHeaders;
      if (base !== undefined) for (const k in base) { const v = base[k]; if (v !== undefined) out[k] = typeof v === 'number' ? String(v) : v; }
      const changes = state.responseHeaders;
      if (changes !== undefined) for (const k in changes) { const v = changes[k]; if (v === undefined) delete out[k]; else out[k] = typeof v === 'number' ? String(v) : v; }
      return out;
    },
    get status() { return state.status; },
    get body() { return state.responseBody; },
    set body(b) { state.responseBody = b; },
    get source() { return state.responseSource; },
  };
  const upstream: UpstreamRequest = {
    get method() { return state.upstreamMethod ?? state.method; },
    setMethod: (m) => { state.upstreamMethod = m.toUpperCase(); },
    setHeader: (n, v) => { state.init.req.headers[n.toLowerCase()] = v as string; },
    removeHeader: (n) => { delete state.init.req.headers[n.toLowerCase()]; },
    header: (n) => state.init.req.headers[n.toLowerCase()],
    setPath: (p) => { state.upstreamPath = p; },
    get path() { return state.upstreamPath ?? state.init.path; },
    setQuery: (q) => { state.upstreamQuery = q; },
    get rawQuery() { return state.upstreamQuery ?? state.init.rawQuery; },
    setBody: (b) => state.setBody(b),
  };
  return {
    config,
    phase,
    request: state,
    upstream,
    response,
    route: state.init.route,
    service: state.init.service,
    get consumer() { return state.consumer; },
    get credential() { return state.credential; },
    authenticate(consumer, credential) {
      state.consumer = consumer;
      state.credential = credential;
    },
    shared: state.shared,
    entities: state.init.entities,
    log: state.init.log,
    requestId: state.init.requestId,
    elapsed: () => performance.now() - state.init.startedAt,
    counters: state.init.counters,
  };
}
