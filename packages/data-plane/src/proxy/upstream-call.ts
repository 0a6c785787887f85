// One proxied request's trip upstream: pick a peer, stream the request, stream the response back,
// retry safely (connection failures and timeouts, and only when the body can be replayed).
// The object is its own undici dispatch handler, so a request costs one allocation here.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import type { Peer, PickResult, BalancerInput } from '../balancer/index.ts';
import type { RouteTarget, ServiceTarget } from '../config/compile.ts';
import { MESSAGES, sendError } from './errors.ts';
import type { KongHeaders } from './kong-headers.ts';
import { setUpstreamHost, targetHost, withoutHopByHop, type HeaderList } from './headers.ts';
import type { PoolRegistry } from './pools.ts';

/** What the call reports when it is over, for plugins' response and log phases. */
export interface CallHooks {
  /** Whether `bufferResponse` may be used: a plugin on this route may want a whole body. */
  readonly canHold?: boolean;
  /**
   * Called with the upstream status and headers before they are written; may change them. Returns
   * true to hold the body for `bufferResponse` (only asked when that hook is set and a body follows).
   */
  onResponseHeaders?(status: number, headers: OutgoingHttpHeaders, mayHold: boolean): boolean | void;
  onDone?(outcome: { status: number; source: 'upstream' | 'gateway'; upstreamLatencyMs: number }): void;
  /**
   * Set when a plugin may need the whole response body: a held response waits until it has arrived,
   * then this may change headers and body before anything is written to the client.
   */
  bufferResponse?(status: number, headers: OutgoingHttpHeaders, body: Buffer): Promise<Buffer>;
  /**
   * A held body grew past MAX_HELD_BYTES: the response streams after all. Called before its headers
   * are written, with the body undefined, to run what `onResponseHeaders` skipped when it held.
   */
  onHoldAbandoned?(status: number, headers: OutgoingHttpHeaders): void;
}

/** The largest response body held for plugins; a larger one is streamed to the client unchanged. */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;

/** The largest whole body sent as one string with its headers (see onResponseData). */
const ONE_WRITE_MAX = 4096;

/** Statuses that never carry a body (RFC 9110 §6.4.1). */
const bodiless = (status: number): boolean => status === 204 || status === 304 || status < 200;

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);
const TIMEOUT_ERRORS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

const CURRENT = Symbol('tollgate.currentCall');
type ClientSocket = Socket & { [CURRENT]?: UpstreamCall | undefined };

function onClientClose(this: ClientSocket): void {
  this[CURRENT]?.clientGone();
}

/**
 * One close listener per client connection (not per request: keep-alive connections carry thousands
 * of requests), pointing at the call in flight on it.
 */
function watchClient(socket: ClientSocket, call: UpstreamCall): void {
  if (!(CURRENT in socket)) socket.once('close', onClientClose);
  socket[CURRENT] = call;
}

export class UpstreamCall implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #service: ServiceTarget;
  readonly #pools: PoolRegistry;
  readonly #kong: KongHeaders;
  readonly #requestId: string;
  readonly #startedAt: number;
  readonly #method: string;
  readonly #path: string;
  readonly #headers: HeaderList;
  readonly #body: Buffer | IncomingMessage | null;
  readonly #balancerInput: () => BalancerInput;
  readonly #hooks: CallHooks | undefined;
  readonly #setHost: boolean;
  #controller: Dispatcher.DispatchController | undefined;
  #peer: Peer | undefined;
  #pick: PickResult | null = null;
  #tries = 0;
  #tried: Set<string> | undefined;
  #tryStartedAt = 0;
  #upstreamLatency = 0;
  #status = 0;
  #done = false;
  /** Body bytes still to come by the response's Content-Length, or -1 when it has none. */
  #bodyLeft = -1;
  /** The client response has been ended (with the chunk that completed the body). */
  #ended = false;
  /** Some of the body has been written to the client (and with it, the headers). */
  #wroteBody = false;
  /** The upstream response, held back while a plugin needs its whole body. */
  #held: { headers: OutgoingHttpHeaders; chunks: Buffer[]; bytes: number } | undefined;
  /** Fires when a streamed request body stalls longer than the service's write_timeout. */
  #writeTimer: NodeJS.Timeout | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    target: RouteTarget,
    pools: PoolRegistry,
    kong: KongHeaders,
    requestId: string,
    startedAt: number,
    method: string,
    path: string,
    headers: HeaderList,
    body: Buffer | null | undefined,
    balancerInput: () => BalancerInput,
    hooks?: CallHooks,
    setHostFromPeer = false,
  ) {
    this.#setHost = setHostFromPeer;
    this.#req = req;
    this.#res = res;
    this.#service = target.service!;
    this.#pools = pools;
    this.#kong = kong;
    this.#requestId = requestId;
    this.#startedAt = startedAt;
    this.#path = path;
    this.#headers = headers;
    this.#balancerInput = balancerInput;
    this.#hooks = hooks;
    this.#method = method;
    const hasBody = body !== undefined && body !== null ? true : req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    this.#body = body ?? (hasBody && method !== 'GET' && method !== 'HEAD' ? req : null);
    watchClient(req.socket as ClientSocket, this);
  }

  /** The client's connection closed: stop the upstream request if it is still running. */
  clientGone(): void {
    if (!this.#done) this.#controller?.abort(new Error('client closed the connection'));
  }

  start(): void {
    const balancer = this.#service.balancer;
    this.#pick = balancer.pick(this.#balancerInput, this.#tried);
    if (this.#pick === null) {
      // A config just applied: its hostname targets' first DNS answers are on their way (usually
      // milliseconds). The request waits for them, as Kong's first request waits for its DNS queries,
      // rather than answering 503 for a service about to work; no longer than connect_timeout.
      if (balancer.resolving && this.#tries === 0) return this.#awaitFirstResolution(balancer.ready);
      return this.#fail(503, this.#noPeerMessage());
    }
    const peer = (this.#peer = this.#pick.peer);
    this.#tries++;
    this.#tryStartedAt = performance.now();
    balancer.started(peer);
    const service = this.#service;
    if (this.#setHost) setUpstreamHost(this.#headers, targetHost(service.scheme, service.hostHeader ?? peer.hostname, peer.port));
    const timeout = service.readTimeout;
    this.#pools.get(service, peer).dispatch(
      {
        path: this.#path,
        method: this.#method as Dispatcher.HttpMethod,
        headers: this.#headers,
        body: this.#body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      },
      this,
    );
  }

  /**
   * Kong's two 503s: a service's own hostname that does not resolve is "name resolution failed"; an
   * upstream entity (or a resolved host) with no usable target is "failure to get a peer …".
   */
  #noPeerMessage(): string {
    const service = this.#service;
    return !service.hostFromPeer && service.balancer.health()[0]?.health === 'DNS_ERROR' ? MESSAGES.dnsFailed : MESSAGES.noPeer;
  }

  #awaitFirstResolution(ready: Promise<void>): void {
    let settled = false;
    const go = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (this.#res.destroyed) return;
      if (this.#service.balancer.resolving) return this.#fail(503, this.#noPeerMessage()); // timed out
      this.start();
    };
    const timer = setTimeout(go, this.#service.connectTimeout);
    ready.then(go, go);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#res.destroyed) controller.abort(new Error('client closed the connection'));
    else if (this.#body !== null && !Buffer.isBuffer(this.#body)) this.#armWriteTimeout();
  }

  /** Kong's write_timeout: the longest pause between two writes of the request body upstream. */
  #armWriteTimeout(): void {
    clearTimeout(this.#writeTimer);
    this.#writeTimer = setTimeout(() => {
      const err = Object.assign(new Error('request body write timed out'), { code: 'TG_WRITE_TIMEOUT' });
      this.#controller?.abort(err);
    }, this.#service.writeTimeout);
    this.#writeTimer.unref();
  }

  onBodySent(): void {
    if (this.#writeTimer !== undefined) this.#armWriteTimeout();
  }

  onRequestSent(): void {
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, upstreamHeaders: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx informational: wait for the final response
    clearTimeout(this.#writeTimer);
    const now = performance.now();
    this.#upstreamLatency = now - this.#tryStartedAt;
    this.#status = statusCode;
    const headers = withoutHopByHop(upstreamHeaders);
    this.#kong.addToProxied(headers, statusCode, this.#requestId, this.#upstreamLatency, this.#tryStartedAt - this.#startedAt);
    if (this.#pick?.setCookie !== undefined) {
      const existing = headers['set-cookie'];
      headers['set-cookie'] = existing === undefined ? this.#pick.setCookie : [...(Array.isArray(existing) ? existing : [existing]), this.#pick.setCookie];
    }
    const hooks = this.#hooks;
    if (hooks !== undefined) {
      const length = headers['content-length'];
      const mayHold = hooks.canHold === true && this.#method !== 'HEAD' && !bodiless(statusCode) && !(typeof length === 'string' && Number(length) > MAX_HELD_BYTES);
      if (hooks.onResponseHeaders?.(statusCode, headers as OutgoingHttpHeaders, mayHold) === true && mayHold) {
        this.#held = { headers: headers as OutgoingHttpHeaders, chunks: [], bytes: 0 };
        return;
      }
    }
    const length = headers['content-length'];
    this.#bodyLeft = typeof length === 'string' && this.#method !== 'HEAD' ? Number(length) : -1;
    this.#res.writeHead(statusCode, headers as OutgoingHttpHeaders);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const held = this.#held;
    if (held !== undefined) {
      held.chunks.push(chunk);
      held.bytes += chunk.length;
      if (held.bytes <= MAX_HELD_BYTES) return;
      // Too big to hold: let plugins see the headers only, then stream what came and what follows.
      this.#held = undefined;
      this.#hooks!.onHoldAbandoned?.(this.#status, held.headers);
      this.#res.writeHead(this.#status, held.headers);
      for (let i = 0; i < held.chunks.length - 1; i++) this.#res.write(held.chunks[i]);
      this.#wroteBody = held.chunks.length > 1;
      chunk = held.chunks[held.chunks.length - 1]!;
    }
    if (this.#bodyLeft > 0 && (this.#bodyLeft -= chunk.length) === 0) {
      // The chunk that completes the body: one end(chunk) is one write and no extra ticks in node.
      this.#ended = true;
      // A whole small body (headers not sent yet) goes as a latin1 string: node joins it to the header
      // text and sends one string, where a Buffer makes a writev of string + buffer (~6% of a small
      // proxied GET's CPU, side by side). latin1 maps each byte to one char and back, so any bytes
      // pass unchanged; past a few KiB the extra copies would cost more than the writev.
      if (chunk.length <= ONE_WRITE_MAX && !this.#wroteBody) this.#res.end(chunk.toString('latin1'), 'latin1');
      else this.#res.end(chunk);
      return;
    }
    this.#wroteBody = true;
    if (!this.#res.write(chunk)) {
      // The client reads slower than the upstream sends: stop reading upstream until it catches up.
      controller.pause();
      this.#res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#done = true;
    const held = this.#held;
    if (held !== undefined) void this.#releaseHeld(held);
    else if (!this.#ended) this.#res.end();
    const latency = this.#upstreamLatency;
    this.#service.balancer.finished(this.#peer!, { kind: 'response', status: this.#status }, latency);
    this.#hooks?.onDone?.({ status: this.#status, source: 'upstream', upstreamLatencyMs: latency });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    clearTimeout(this.#writeTimer);
    const code = (err as { code?: string }).code ?? '';
    const peer = this.#peer;
    const timedOut = TIMEOUT_ERRORS.has(code) || code === 'TG_WRITE_TIMEOUT';
    if (peer !== undefined && !this.#res.destroyed) {
      this.#service.balancer.finished(peer, timedOut ? { kind: 'timeout' } : { kind: 'tcp-error' }, performance.now() - this.#tryStartedAt);
    }
    if (this.#res.destroyed || this.#res.headersSent) {
      this.#done = true;
      this.#res.destroy();
      return;
    }
    if (this.#canRetry(code)) {
      (this.#tried ??= new Set()).add(peer!.address);
      this.start();
      return;
    }
    if (timedOut) this.#fail(504, MESSAGES.timeout);
    else this.#fail(502, MESSAGES.badGateway);
  }

  /** Kong retries only connection errors and timeouts, and never resends a body it cannot replay. */
  #canRetry(code: string): boolean {
    if (this.#tries > this.#service.retries) return false;
    if (!CONNECT_ERRORS.has(code) && !TIMEOUT_ERRORS.has(code)) return false;
    if (this.#body === null || Buffer.isBuffer(this.#body)) return IDEMPOTENT.has(this.#method) || code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT';
    // A streamed body is only safe to resend if not a byte of it has been read.
    return (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') && this.#req.readableFlowing === null;
  }

  /** Writes a held (buffered) response once the plugins have seen the whole body. */
  async #releaseHeld(held: { headers: OutgoingHttpHeaders; chunks: Buffer[]; bytes: number }): Promise<void> {
    let body: Buffer = Buffer.concat(held.chunks);
    try {
      body = await this.#hooks!.bufferResponse!(this.#status, held.headers, body);
    } catch {
      return sendError(this.#res, this.#kong, 500, MESSAGES.unexpected, this.#requestId);
    }
    if (this.#res.destroyed) return;
    delete held.headers['transfer-encoding'];
    held.headers['content-length'] = body.length;
    this.#res.writeHead(this.#status, held.headers);
    this.#res.end(body);
  }

  #fail(status: number, message: string): void {
    this.#done = true;
    this.#status = status;
    sendError(this.#res, this.#kong, status, message, this.#requestId, undefined, this.#startedAt);
    this.#hooks?.onDone?.({ status, source: 'gateway', upstreamLatencyMs: this.#upstreamLatency });
  }
}
