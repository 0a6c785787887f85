// http-log: queues each request's log entry and POSTs batches of them to an HTTP endpoint
// (kong/plugins/http-log/handler.lua with kong/tools/queue.lua). The queue is bounded, its timers are
// unref'd, and delivery happens entirely outside the request: a slow or dead endpoint never slows
// the proxy, it only makes the queue drop its oldest entries once `max_entries` is reached.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger, PluginHandlers } from '@tollgate/plugin-sdk';
import { markAccess, markResponse, serialize, type LogEntry } from './serializer.ts';

export interface QueueParams {
  max_batch_size: number;
  /** Seconds. */
  max_coalescing_delay: number;
  max_entries: number;
  /** Seconds; -1 (or any negative) means a failed batch is not retried. */
  max_retry_time: number;
  /** Seconds. */
  initial_retry_delay: number;
  /** Seconds. */
  max_retry_delay: number;
}

export interface HttpLogConfig {
  http_endpoint: string;
  method: 'POST' | 'PUT' | 'PATCH';
  content_type: string;
  timeout: number;
  keepalive: number;
  headers: Record<string, string> | null;
  queue: QueueParams;
  /** Identifies the queue: instances with identical delivery settings share one. */
  queueKey: string;
}

const QUEUE_DEFAULTS: QueueParams = {
  max_batch_size: 1,
  max_coalescing_delay: 1,
  max_entries: 10000,
  max_retry_time: 60,
  initial_retry_delay: 0.01,
  max_retry_delay: 60,
};

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Turns the stored config into the handler's: queue defaults filled, legacy fields read as Kong does. */
export function prepareHttpLog(raw: Record<string, unknown>): HttpLogConfig {
  const q = (raw['queue'] ?? {}) as Record<string, unknown>;
  const queue: QueueParams = {
    max_batch_size: Math.max(1, Math.floor(num(q['max_batch_size'], QUEUE_DEFAULTS.max_batch_size))),
    max_coalescing_delay: Math.max(0, num(q['max_coalescing_delay'], QUEUE_DEFAULTS.max_coalescing_delay)),
    max_entries: Math.max(1, Math.floor(num(q['max_entries'], QUEUE_DEFAULTS.max_entries))),
    max_retry_time: num(q['max_retry_time'], QUEUE_DEFAULTS.max_retry_time),
    initial_retry_delay: Math.max(0.001, num(q['initial_retry_delay'], QUEUE_DEFAULTS.initial_retry_delay)),
    max_retry_delay: Math.max(0.001, num(q['max_retry_delay'], QUEUE_DEFAULTS.max_retry_delay)),
  };
  // Kong's Queue.get_plugin_params: a legacy field counts only while its `queue` counterpart is at
  // its default; `retry_count` is ignored.
  const queueSize = raw['queue_size'];
  if (typeof queueSize === 'number' && queueSize > 1 && queue.max_batch_size === QUEUE_DEFAULTS.max_batch_size) queue.max_batch_size = Math.floor(queueSize);
  const flushTimeout = raw['flush_timeout'];
  if (typeof flushTimeout === 'number' && flushTimeout >= 0 && queue.max_coalescing_delay === QUEUE_DEFAULTS.max_coalescing_delay) queue.max_coalescing_delay = flushTimeout;

  const endpoint = String(raw['http_endpoint']);
  new URL(endpoint); // refuse a config whose endpoint cannot be parsed
  const config: Omit<HttpLogConfig, 'queueKey'> = {
    http_endpoint: endpoint,
    method: (raw['method'] as HttpLogConfig['method'] | undefined) ?? 'POST',
    content_type: (raw['content_type'] as string | undefined) ?? 'application/json',
    timeout: num(raw['timeout'], 10000),
    keepalive: num(raw['keepalive'], 60000),
    headers: (raw['headers'] as Record<string, string> | null | undefined) ?? null,
    queue,
  };
  return { ...config, queueKey: JSON.stringify(config) };
}

interface Sent {
  ok: boolean;
  error?: string;
}

/** One POST of a payload; resolves (never rejects) with whether the endpoint accepted it. */
function send(config: HttpLogConfig, agent: HttpAgent, payload: string): Promise<Sent> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Sent) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    let url: URL;
    try {
      url = new URL(config.http_endpoint);
    } catch (err) {
      return done({ ok: false, error: (err as Error).message });
    }
    const headers: Record<string, string> = { ...(config.headers ?? {}) };
    headers['content-type'] = config.content_type;
    headers['content-length'] = String(Buffer.byteLength(payload));
    if (url.username !== '' || url.password !== '') {
      const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers['authorization'] = `Basic ${Buffer.from(userinfo).toString('base64')}`;
    }
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = requestFn(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: config.method,
        headers,
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { ok: true } : { ok: false, error: `request to ${url.host} returned status code ${status}` });
        });
        res.on('error', (err) => done({ ok: false, error: err.message }));
      },
    );
    req.setTimeout(config.timeout, () => {
      req.destroy(new Error(`timeout after ${config.timeout} ms`));
    });
    req.on('error', (err) => done({ ok: false, error: `failed request to ${url.host}: ${err.message}` }));
    req.end(payload);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Counters of one queue, for tests and diagnostics. */
export interface QueueStats {
  queued: number;
  inFlight: number;
  sent: number;
  dropped: number;
  batches: number;
  failedAttempts: number;
}

/** Kong's queue: bounded, batching, one delivery loop (concurrency_limit 1), retries with backoff. */
export class LogQueue {
  readonly config: HttpLogConfig;
  readonly stats: QueueStats = { queued: 0, inFlight: 0, sent: 0, dropped: 0, batches: 0, failedAttempts: 0 };
  readonly #pending: string[] = [];
  #inFlight = 0;
  #running = false;
  #wake: (() => void) | undefined;
  #full = false;
  readonly #log: Logger;
  readonly #agent: HttpAgent;
  readonly #onExpire: () => void;
  #idleTimer: NodeJS.Timeout | undefined;

  /** `onExpire` runs once the queue has stayed empty for `keepalive` ms (its connection would be closed anyway). */
  constructor(config: HttpLogConfig, log: Logger, onExpire: () => void) {
    this.config = config;
    this.#log = log;
    this.#onExpire = onExpire;
    const options = { keepAlive: true, timeout: config.keepalive, maxSockets: 1 };
    this.#agent = config.http_endpoint.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
  }

  get size(): number {
    return this.#pending.length + this.#inFlight;
  }

  /** Adds an (already encoded) entry; drops the oldest waiting one when the queue is full. */
  add(entry: string): void {
    const { max_entries } = this.config.queue;
    if (this.size >= max_entries) {
      if (!this.#full) {
        this.#full = true;
        this.#log.error('http-log queue full, dropping old entries until processing is successful again', { endpoint: redact(this.config.http_endpoint), max_entries });
      }
      if (this.#pending.length > 0) this.#pending.shift();
      else {
        this.stats.dropped++;
        this.#sync();
        return;
      }
      this.stats.dropped++;
    }
    this.#pending.push(entry);
    this.#sync();
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    if (this.#pending.length >= this.config.queue.max_batch_size) this.#wake?.();
    if (!this.#running) void this.#run();
  }

  #sync(): void {
    this.stats.queued = this.#pending.length;
    this.stats.inFlight = this.#inFlight;
  }

  /** Waits up to `ms` for a full batch (or forever-ish until woken). */
  #waitForBatch(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      const q = this.config.queue;
      while (this.#pending.length > 0) {
        if (this.#pending.length < q.max_batch_size && q.max_coalescing_delay > 0) await this.#waitForBatch(q.max_coalescing_delay * 1000);
        const batch = this.#pending.splice(0, q.max_batch_size);
        if (batch.length === 0) continue;
        this.#inFlight = batch.length;
        this.#sync();
        await this.#deliver(batch);
        this.#inFlight = 0;
        this.#sync();
      }
    } catch (err) {
      this.#log.error('http-log queue failed', { error: (err as Error).message });
    } finally {
      this.#running = false;
      if (this.#pending.length > 0) void this.#run();
      else this.#idle();
    }
  }

  #idle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (!this.#running && this.size === 0) this.#onExpire();
    }, Math.max(1000, this.config.keepalive));
    this.#idleTimer.unref();
  }

  async #deliver(batch: string[]): Promise<void> {
    const q = this.config.queue;
    // Kong encodes a single object when batching is off, an array otherwise.
    const payload = q.max_batch_size === 1 ? batch[0]! : `[${batch.join(',')}]`;
    const started = Date.now();
    let delay = q.initial_retry_delay * 1000;
    for (;;) {
      const result = await send(this.config, this.#agent, payload);
      if (result.ok) {
        this.stats.sent += batch.length;
        this.stats.batches++;
        if (this.#full && this.size - batch.length < q.max_entries) this.#full = false;
        return;
      }
      this.stats.failedAttempts++;
      const elapsed = Date.now() - started;
      if (q.max_retry_time < 0 || elapsed + delay > q.max_retry_time * 1000) {
        this.stats.dropped += batch.length;
        this.#log.error('http-log could not send entries, giving up after retries', {
          endpoint: redact(this.config.http_endpoint),
          entries: batch.length,
          error: result.error,
        });
        return;
      }
      this.#log.warn('http-log failed to send entries, will retry', { endpoint: redact(this.config.http_endpoint), error: result.error, retry_in_ms: Math.round(delay) });
      await sleep(delay);
      delay = Math.min(delay * 2, q.max_retry_delay * 1000);
    }
  }

  destroy(): void {
    this.#agent.destroy();
  }
}

function redact(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '(invalid url)';
  }
}

/** Live queues, keyed by delivery settings; a queue removes itself once it has drained. */
export const queues = new Map<string, LogQueue>();

function queueFor(config: HttpLogConfig, log: Logger): LogQueue {
  let queue = queues.get(config.queueKey);
  if (queue === undefined) {
    const created: LogQueue = new LogQueue(config, log, () => {
      if (queues.get(config.queueKey) === created) queues.delete(config.queueKey);
      created.destroy();
    });
    queue = created;
    queues.set(config.queueKey, queue);
  }
  return queue;
}

export const httpLogHandlers: PluginHandlers<HttpLogConfig> = {
  access(ctx) {
    markAccess(ctx);
  },
  response(ctx) {
    markResponse(ctx);
  },
  log(ctx) {
    queueFor(ctx.config, ctx.log).add(JSON.stringify(serialize(ctx)));
  },
};
