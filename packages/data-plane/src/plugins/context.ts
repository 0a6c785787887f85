// The per-request object plugins see. One per request (only when a chain has plugins); each handler
// gets a thin view of it carrying that plugin's config, so async handlers never see another's config.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Consumer, EntityLookup, EntityView, Headers, Logger, Phase, PluginContext, RequestView, ResponseApi, UpstreamRequest } from '@tollgate/plugin-sdk';

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
  bufferedBody: Buffer | undefined;
  /** Response headers plugins set (undefined value = remove), applied when the response is written. */
  responseHeaders: OutgoingHttpHeaders | undefined;
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
    header: (name) => state.responseHeaders?.[name.toLowerCase()] as string | string[] | undefined,
    get status() { return state.status; },
    get body() { return state.responseBody; },
    set body(b) { state.responseBody = b; },
    get source() { return state.responseSource; },
  };
  const upstream: UpstreamRequest = {
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
  };
}
