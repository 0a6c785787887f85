// The proxy's request path: route, check the protocol, run plugins, send upstream. The common case
// (no plugins on the route) goes straight from the router to the upstream call without awaiting anything.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { CounterStore, Logger } from '@tollgate/plugin-sdk';
import type { BalancerInput } from '../balancer/index.ts';
import type { RouteTarget, RuntimeConfig } from '../config/compile.ts';
import { RequestState } from '../plugins/context.ts';
import { PluginError, runLogPhase, runPhase } from '../plugins/runner.ts';
import { upstreamPath, type RouteMatch } from '../router/index.ts';
import { exitResponse, MESSAGES, sendError } from './errors.ts';
import { KONG_DEFAULT_HEADERS, type KongHeaders } from './kong-headers.ts';
import { clientAddress, forwarded, forwardedPrefix, hostWithoutPort, upstreamHeaders } from './headers.ts';
import type { ClientTrust } from './real-ip.ts';
import type { PoolRegistry } from './pools.ts';
import { applyResponseHeaders, PluginCallHooks, runResponsePhaseSync } from './plugin-hooks.ts';
import { UpstreamCall, type CallHooks } from './upstream-call.ts';
import { forwardUpgrade, rejectUpgrade, writeRawResponse } from './websocket.ts';

const TRUSTED = Symbol('tollgate.trustedPeer');

export interface ProxyDeps {
  /** The config in force; read once per request, so a swap never affects a request in flight. */
  config(): RuntimeConfig | undefined;
  pools: PoolRegistry;
  log: Logger;
  /** The node's counters, handed to plugins as `ctx.counters`. */
  counters: CounterStore;
  /** Which of Kong's headers to add (kong.conf `headers`, `headers_upstream`); default: Kong's. */
  headers?: KongHeaders | undefined;
  /** trusted_ips / real_ip_header / real_ip_recursive; undefined: no peer is trusted (Kong's default). */
  clientTrust?: ClientTrust | undefined;
}

export class ProxyHandler {
  readonly #deps: ProxyDeps;
  readonly #kong: KongHeaders;
  readonly #idPrefix = randomBytes(6).toString('hex');
  #counter = 0;

  constructor(deps: ProxyDeps) {
    this.#deps = deps;
    this.#kong = deps.headers ?? KONG_DEFAULT_HEADERS;
  }

  /** Whether the connecting address may speak for the client (trusted_ips). */
  #trusts(remoteIp: string, socket: Socket): boolean {
    const trust = this.#deps.clientTrust;
    if (trust === undefined) return false;
    // Decided once per connection: its address does not change between keep-alive requests.
    const s = socket as Socket & { [TRUSTED]?: boolean };
    return (s[TRUSTED] ??= trust.trusts(remoteIp));
  }

  /** The client's address: the connecting one, or from a trusted peer the one its real-IP header names. */
  #clientIp(req: IncomingMessage, remoteIp: string, trusted: boolean): string {
    return trusted ? this.#deps.clientTrust!.clientOf(remoteIp, req.headers) : remoteIp;
  }

  nextRequestId(): string {
    return this.#idPrefix + (this.#counter++).toString(16).padStart(8, '0');
  }

  /** node:http `request` listener. */
  handle(req: IncomingMessage, res: ServerResponse, scheme: 'http' | 'https'): void {
    const startedAt = performance.now();
    const requestId = this.nextRequestId();
    const config = this.#deps.config();
    if (config === undefined) return sendError(res, this.#kong, 503, MESSAGES.notReady, requestId, undefined, startedAt);
    const rewrite = config.globalChain.rewrite;
    if (rewrite !== null) return this.#rewrite(req, res, scheme, config, rewrite, requestId, startedAt);
    this.#route(req, res, scheme, config, requestId, startedAt, undefined);
  }

  /**
   * Routes the request and runs it: straight to the upstream when its route has no plugin (the common
   * case), else through the plugin chain, with `early` the state the rewrite phase began.
   */
  #route(req: IncomingMessage, res: ServerResponse, scheme: 'http' | 'https', config: RuntimeConfig, requestId: string, startedAt: number, early: RequestState | undefined): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const hostHeader = req.headers.host ?? '';
    const socket = req.socket;
    const port = socket.localPort ?? 0;
    const match = config.router.match({ method: req.method ?? 'GET', host: hostHeader, path, headers: req.headers, sni: scheme === 'https' ? (socket as TLSSocket).servername || '' : undefined, port });
    if (match === null) {
      const global = config.globalChain;
      if (early === undefined && global.response === null && global.log === null) return sendError(res, this.#kong, 404, MESSAGES.noRoute, requestId, undefined, startedAt);
      // As Kong, the global plugins still see an unrouted request's answer (their response phase, e.g.
      // cors headers on the 404) and log it (metrics count it, logs record it).
      return this.#unrouted(res, global, early ?? this.#state(req, scheme, config, hostHeader, port, path, rawQuery, requestId, startedAt), requestId, startedAt);
    }
    const target = config.routes.get(match.route.id)!;
    if (target.httpsOnly && this.#forwardedProto(req, scheme) !== 'https') return this.#protocolMismatch(req, res, target, hostHeader, url, requestId);

    if (target.blocked !== undefined) return sendError(res, this.#kong, 500, MESSAGES.unexpected, requestId, undefined, startedAt);
    const chain = target.chain;
    // Global plugins are part of every route's chain, so an empty chain means no plugin at all.
    if (early === undefined && chain.access === null && chain.response === null && chain.log === null) {
      if (target.service === undefined) return sendError(res, this.#kong, 503, MESSAGES.noService, requestId, undefined, startedAt);
      this.#forward(req, res, target, match, scheme, hostHeader, port, path, rawQuery, requestId, startedAt, undefined);
      return;
    }
    const state = early ?? this.#state(req, scheme, config, hostHeader, port, path, rawQuery, requestId, startedAt);
    state.route = match.route;
    state.service = target.service?.entity;
    state.captures = match.captures;
    this.#withPlugins(req, res, target, match, scheme, hostHeader, port, path, rawQuery, requestId, startedAt, state);
  }

  /** A request's plugin state before routing: `#route` sets its route, service and captures. */
  #state(req: IncomingMessage, scheme: 'http' | 'https', config: RuntimeConfig, hostHeader: string, port: number, path: string, rawQuery: string, requestId: string, startedAt: number): RequestState {
    const remoteIp = clientAddress(req.socket.remoteAddress);
    return new RequestState({
      req, scheme, host: hostWithoutPort(hostHeader), port, path, rawQuery, clientIp: this.#clientIp(req, remoteIp, this.#trusts(remoteIp, req.socket)), requestId, startedAt,
      route: undefined, service: undefined, entities: config.entities, log: this.#deps.log, counters: this.#deps.counters, captures: null, errorDefault: this.#kong.errorDefault,
    });
  }

  /**
   * Kong's rewrite phase: the rewrite handlers of global plugin instances, before routing (no route or
   * service known yet). They may answer the request themselves; otherwise routing and the rest follow.
   */
  #rewrite(req: IncomingMessage, res: ServerResponse, scheme: 'http' | 'https', config: RuntimeConfig, entries: NonNullable<RouteTarget['chain']['rewrite']>, requestId: string, startedAt: number): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const state = this.#state(req, scheme, config, req.headers.host ?? '', req.socket.localPort ?? 0, q === -1 ? url : url.slice(0, q), q === -1 ? '' : url.slice(q + 1), requestId, startedAt);
    const next = () => {
      if (res.destroyed) return;
      if (state.exit === undefined) return this.#route(req, res, scheme, config, requestId, startedAt, state);
      const chain = config.globalChain;
      if (chain.log !== null) this.#logWhenClosed(res, chain.log, state);
      this.#sendExit(res, state, chain.response, requestId, startedAt);
    };
    let pending: Promise<void> | undefined;
    try {
      pending = runPhase('rewrite', entries, state);
    } catch (err) {
      return this.#accessFailed(res, state, err, requestId);
    }
    if (pending === undefined) next();
    else pending.then(next, (err: unknown) => this.#accessFailed(res, state, err, requestId));
  }

  /** node:http `upgrade` listener: the same routing, protocol check and access plugins as a request. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, scheme: 'http' | 'https'): void {
    socket.on('error', () => socket.destroy());
    const startedAt = performance.now();
    const requestId = this.nextRequestId();
    const config = this.#deps.config();
    if (config === undefined) return rejectUpgrade(req, socket, this.#kong, 503, MESSAGES.notReady, requestId);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? undefined : url.slice(q + 1);
    const hostHeader = req.headers.host ?? '';
    const port = req.socket.localPort ?? 0;
    const sni = scheme === 'https' ? (req.socket as TLSSocket).servername || '' : undefined;
    const match = config.router.match({ method: req.method ?? 'GET', host: hostHeader, path, headers: req.headers, sni, port });
    if (match === null) return rejectUpgrade(req, socket, this.#kong, 404, MESSAGES.noRoute, requestId);
    const target = config.routes.get(match.route.id)!;
    if (target.httpsOnly && this.#forwardedProto(req, scheme) !== 'https') {
      const code = target.route.https_redirect_status_code;
      if (code === 426) return rejectUpgrade(req, socket, this.#kong, 426, 'Please use HTTPS protocol', requestId, { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' });
      return writeRawResponse(socket, code, { location: `https://${this.#forwardedHost(req, hostHeader)}${url}`, ...this.#kong.forAnswer(requestId) });
    }
    const remoteIp = clientAddress(req.socket.remoteAddress);
    const trusted = this.#trusts(remoteIp, req.socket);
    const clientIp = this.#clientIp(req, remoteIp, trusted);
    const forward = (consumerId: string | undefined) => {
      if (target.blocked !== undefined) return rejectUpgrade(req, socket, this.#kong, 500, MESSAGES.unexpected, requestId);
      if (target.service === undefined) return rejectUpgrade(req, socket, this.#kong, 503, MESSAGES.noService, requestId);
      forwardUpgrade(this.#deps.pools, { req, socket, head, target, match, scheme, rawQuery, path, requestId, consumerId, clientIp, remoteIp, trusted, kong: this.#kong });
    };
    const access = target.chain.access;
    if (access === null) return forward(undefined);
    const state = new RequestState({
      req, scheme, host: hostWithoutPort(hostHeader), port, path, rawQuery: rawQuery ?? '', clientIp, requestId, startedAt,
      route: match.route, service: target.service?.entity, entities: config.entities, log: this.#deps.log, counters: this.#deps.counters, captures: match.captures, errorDefault: this.#kong.errorDefault,
    });
    const done = () => {
      const exit = state.exit;
      if (exit === undefined) return forward(state.consumer?.id);
      const { headers, body } = exitResponse(exit, this.#kong.forAnswer(requestId, startedAt));
      writeRawResponse(socket, exit.status, headers, body);
    };
    const failed = (err: unknown) => {
      this.#deps.log.error(err instanceof PluginError ? err.message : 'plugin failure', { requestId });
      rejectUpgrade(req, socket, this.#kong, 500, MESSAGES.unexpected, requestId);
    };
    let pending: Promise<void> | undefined;
    try {
      pending = runPhase('access', access, state);
    } catch (err) {
      return failed(err);
    }
    if (pending === undefined) done();
    else pending.then(done, failed);
  }

  #unrouted(res: ServerResponse, global: RouteTarget['chain'], state: RequestState, requestId: string, startedAt: number): void {
    state.exitWithError(404, MESSAGES.noRoute);
    if (global.log !== null) this.#logWhenClosed(res, global.log, state);
    this.#sendExit(res, state, global.response, requestId, startedAt);
  }

  /**
   * Runs the log phase once the response is over. 'close' rather than 'finish': a client that goes
   * away before its answer is logged too, as Kong logs it (status 499, nginx's "client closed
   * request", when no response had started).
   */
  #logWhenClosed(res: ServerResponse, log: NonNullable<RouteTarget['chain']['log']>, state: RequestState): void {
    res.once('close', () => {
      if (!res.headersSent) state.responseStatus = 499;
      // Sequential requests on a keep-alive connection: the difference is exactly this response.
      state.bytesSent = state.socket.bytesWritten - state.bytesAtStart;
      setImmediate(runLogPhase, log, state);
    });
  }

  /** A request whose route has plugins: the access phase (synchronous unless a handler awaits), then the upstream. */
  #withPlugins(
    req: IncomingMessage, res: ServerResponse, target: RouteTarget, match: RouteMatch, scheme: 'http' | 'https', hostHeader: string, port: number,
    path: string, rawQuery: string, requestId: string, startedAt: number, state: RequestState,
  ): void {
    const chain = target.chain;
    if (chain.log !== null) this.#logWhenClosed(res, chain.log, state);
    if (chain.access === null) return this.#afterAccess(req, res, target, match, scheme, hostHeader, port, path, rawQuery, requestId, startedAt, state);
    let pending: Promise<void> | undefined;
    try {
      pending = runPhase('access', chain.access, state);
    } catch (err) {
      return this.#accessFailed(res, state, err, requestId);
    }
    if (pending === undefined) return this.#afterAccess(req, res, target, match, scheme, hostHeader, port, path, rawQuery, requestId, startedAt, state);
    pending.then(
      () => this.#afterAccess(req, res, target, match, scheme, hostHeader, port, path, rawQuery, requestId, startedAt, state),
      (err: unknown) => this.#accessFailed(res, state, err, requestId),
    );
  }

  #accessFailed(res: ServerResponse, state: RequestState, err: unknown, requestId: string): void {
    this.#deps.log.error(err instanceof PluginError ? err.message : 'plugin failure', { requestId, error: String((err as Error).cause ?? err) });
    state.responseSource = 'gateway';
    state.responseStatus = 500;
    sendError(res, this.#kong, 500, MESSAGES.unexpected, requestId, undefined, state.init.startedAt);
  }

  #afterAccess(
    req: IncomingMessage, res: ServerResponse, target: RouteTarget, match: RouteMatch, scheme: 'http' | 'https', hostHeader: string, port: number,
    path: string, rawQuery: string, requestId: string, startedAt: number, state: RequestState,
  ): void {
    const chain = target.chain;
    if (res.destroyed) return;
    if (state.exit !== undefined) return this.#sendExit(res, state, chain.response, requestId, startedAt);
    if (target.service === undefined) return sendError(res, this.#kong, 503, MESSAGES.noService, requestId, undefined, startedAt);
    const hooks = new PluginCallHooks(chain, state, this.#deps.log);
    this.#forward(req, res, target, match, scheme, hostHeader, port, state.upstreamPath ?? path, state.upstreamQuery ?? rawQuery, requestId, startedAt, state, hooks, state.upstreamPath !== undefined);
  }

  #sendExit(res: ServerResponse, state: RequestState, response: RouteTarget['chain']['response'], requestId: string, startedAt: number): void {
    const exit = state.exit!;
    state.responseSource = 'gateway';
    state.responseStatus = exit.status;
    const { headers, body } = exitResponse(exit, this.#kong.forAnswer(requestId, startedAt));
    state.baseResponseHeaders = headers;
    if (response !== null) runResponsePhaseSync(response, state, this.#deps.log);
    applyResponseHeaders(headers, state.responseHeaders);
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(exit.status, headers);
    res.end(body);
  }

  #forward(
    req: IncomingMessage, res: ServerResponse, target: RouteTarget, match: RouteMatch, scheme: 'http' | 'https', hostHeader: string, port: number,
    path: string, rawQuery: string, requestId: string, startedAt: number, state: RequestState | undefined, hooks?: CallHooks, pathOverridden = false,
  ): void {
    const service = target.service!;
    const route = target.route;
    const upstream = pathOverridden ? (rawQuery === '' ? path : `${path}?${rawQuery}`) : upstreamPath(route, service.path, match, rawQuery === '' && !(req.url ?? '').includes('?') ? undefined : rawQuery);
    const remoteIp = clientAddress(req.socket.remoteAddress);
    const trusted = this.#trusts(remoteIp, req.socket);
    // The client as found before the plugins ran (with plugins, RequestState holds it).
    const clientIp = state?.init.clientIp ?? this.#clientIp(req, remoteIp, trusted);
    const preserve = route.preserve_host && hostHeader !== '';
    const headers = upstreamHeaders(req.headers, {
      // X-Forwarded-Path is the path the client asked for, whatever a plugin sends upstream.
      clientIp, remoteIp, trusted, scheme, host: hostWithoutPort(hostHeader), port: String(port), path: state?.init.path ?? path, prefix: forwardedPrefix(route.strip_path, match.matchedPath),
      requestId: this.#kong.requestIdUpstream ? requestId : undefined, upstreamHost: (preserve ? req.headers.host : undefined) ?? service.hostHeader ?? service.defaultHost,
    });
    const balancerInput = (): BalancerInput => ({ clientIp, headers: req.headers, path: match.normalizedPath, query: rawQuery, consumerId: state?.consumer?.id, uriCaptures: match.captures });
    const method = state?.upstreamMethod ?? req.method ?? 'GET';
    new UpstreamCall(req, res, target, this.#deps.pools, this.#kong, requestId, startedAt, method, upstream, headers, state?.upstreamBody ?? state?.bufferedBody, balancerInput, hooks, !preserve && service.hostFromPeer).start();
  }

  /**
   * The scheme the client used, as Kong decides an https-only route's redirect: a trusted peer's
   * X-Forwarded-Proto (a load balancer that terminated TLS), else the listener's.
   */
  #forwardedProto(req: IncomingMessage, scheme: 'http' | 'https'): string {
    return this.#trusts(clientAddress(req.socket.remoteAddress), req.socket) ? forwarded(req.headers['x-forwarded-proto'], scheme) : scheme;
  }

  /** The host an https redirect names: a trusted peer's X-Forwarded-Host, else the request's, without port. */
  #forwardedHost(req: IncomingMessage, host: string): string {
    const own = hostWithoutPort(host);
    return this.#trusts(clientAddress(req.socket.remoteAddress), req.socket) ? forwarded(req.headers['x-forwarded-host'], own) : own;
  }

  #protocolMismatch(req: IncomingMessage, res: ServerResponse, target: RouteTarget, host: string, url: string, requestId: string): void {
    const code = target.route.https_redirect_status_code;
    if (code === 426) {
      return sendError(res, this.#kong, 426, 'Please use HTTPS protocol', requestId, { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' });
    }
    res.writeHead(code, { location: `https://${this.#forwardedHost(req, host)}${url}`, 'content-length': 0, ...this.#kong.forAnswer(requestId) });
    res.end();
  }
}
