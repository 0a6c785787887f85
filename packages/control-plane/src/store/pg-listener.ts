// LISTEN on one dedicated pg connection that outlives the server: when the connection drops it
// reconnects with exponential backoff and re-subscribes every channel, then calls each onReconnect
// so subscribers can catch up on notifications they missed while it was down.
import pg from 'pg';
import { RetryDelay, type Backoff } from './retry-delay.ts';
import type { ListenOptions } from './types.ts';

export type { Backoff } from './retry-delay.ts';

interface Subscription {
  onMessage: (payload: string) => void;
  onReconnect: (() => void) | undefined;
  /** Was live on a connection, or was registered while down: either way it may have missed messages. */
  mayHaveMissed: boolean;
}

export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #onError: (err: unknown) => void;
  readonly #channels = new Map<string, Set<Subscription>>();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #delay: RetryDelay;
  #closed = false;

  constructor(config: pg.ClientConfig, backoff: Backoff, onError: (err: unknown) => void) {
    this.#config = config;
    this.#delay = new RetryDelay(backoff);
    this.#onError = onError;
  }

  /**
   * Resolves once the subscription is live, or, when the server is down, once it is registered (it goes
   * live, and `onReconnect` fires, when the server comes back).
   */
  async listen(channel: string, onMessage: (payload: string) => void, options: ListenOptions = {}): Promise<() => Promise<void>> {
    const sub: Subscription = { onMessage, onReconnect: options.onReconnect, mayHaveMissed: false };
    let subs = this.#channels.get(channel);
    const first = subs === undefined;
    if (subs === undefined) this.#channels.set(channel, (subs = new Set()));
    subs.add(sub);
    await this.#ensureConnected();
    if (first && this.#client !== undefined) await this.#client.query(`LISTEN ${quoteIdent(channel)}`).catch((err: unknown) => this.#onError(err));
    sub.mayHaveMissed = true;
    return async () => {
      const set = this.#channels.get(channel);
      if (set === undefined || !set.delete(sub) || set.size > 0) return;
      this.#channels.delete(channel);
      await this.#client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#channels.clear();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #ensureConnected(): Promise<void> {
    if (this.#client !== undefined || this.#closed) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = new pg.Client(this.#config);
    // Without a listener, an 'error' on this socket would crash the process.
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, undefined));
    client.on('notification', (msg) => {
      for (const sub of this.#channels.get(msg.channel) ?? []) this.#call(() => sub.onMessage(msg.payload ?? ''));
    });
    try {
      await client.connect();
      for (const channel of this.#channels.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      client.removeAllListeners('end');
      // Not awaited: ending a client whose connect failed need not settle before we retry.
      client.end().catch(() => undefined);
      this.#onError(err);
      this.#schedule();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#delay.reset();
    for (const subs of this.#channels.values()) for (const sub of subs) if (sub.mayHaveMissed) this.#call(() => sub.onReconnect?.());
  }

  /** A subscriber's throw must not take the listener (or the process) down with it. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#onError(err);
    }
  }

  #lost(client: pg.Client, err: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    if (err !== undefined) this.#onError(err);
    client.end().catch(() => undefined);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#channels.size === 0) return;
    const delay = this.#delay.take();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#ensureConnected();
    }, delay);
    this.#timer.unref();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
