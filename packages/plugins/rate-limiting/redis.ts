// The `redis` policy's counter store: Kong's counters in a Redis every data plane shares
// (kong/plugins/rate-limiting/policies/init.lua). One ioredis client per distinct connection config,
// created on first use, shared by every plugin instance and config generation that names the same
// Redis, and closed after it has gone unused for a while (plugins get no dispose hook, so idleness
// is what tells us a config swap left a client behind).
import type { CounterStore } from '@tollgate/plugin-sdk';
import { Redis } from 'ioredis';

/** Where and how to connect: the `redis` record, or Kong's deprecated flat `redis_*` fields. */
export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  /** Connect and command timeout in ms, always positive (a configured 0 is read as 60 s). */
  readonly timeout: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly database: number;
  readonly ssl: boolean;
  readonly sslVerify: boolean;
  readonly serverName: string | undefined;
  /** Identifies the connection: configs with equal settings share one client. */
  readonly key: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/**
 * What a `timeout` of 0 means. Kong hands it to lua-resty-redis's `set_timeouts`, and an nginx
 * cosocket with a zero timeout falls back to `lua_socket_{connect,send,read}_timeout`, 60 s by
 * default; ioredis would read 0 as "no timeout", leaving requests waiting forever on a silent Redis.
 */
const ZERO_TIMEOUT_MS = 60_000;
const positiveTimeout = (ms: number): number => (ms > 0 ? ms : ZERO_TIMEOUT_MS);

/**
 * Kong 3.x reads the `redis` record; the flat `redis_*` fields are shorthands for it, used when the
 * record names no host. Each flat field left unset falls back to the record's (defaulted) value.
 */
export function redisSettings(config: Record<string, unknown>): RedisSettings {
  const rec = (config['redis'] ?? {}) as Record<string, unknown>;
  const flat = str(rec['host']) === undefined;
  const pick = (field: string) => (flat ? (config[`redis_${field}`] ?? rec[field]) : rec[field]);
  const host = str(pick('host'));
  if (host === undefined) throw new Error("the redis policy needs a Redis host: set config.redis.host (or the deprecated config.redis_host)");
  const settings = {
    host,
    port: num(pick('port')) ?? 6379,
    timeout: positiveTimeout(num(pick('timeout')) ?? 2000),
    username: str(pick('username')),
    password: str(pick('password')),
    database: num(pick('database')) ?? 0,
    ssl: bool(pick('ssl')) ?? false,
    sslVerify: bool(pick('ssl_verify')) ?? false,
    serverName: str(pick('server_name')),
  };
  return { ...settings, key: JSON.stringify(settings) };
}

/**
 * Adds 1 to each key; a key this creates expires when its window ends (ARGV[i]: ms until then).
 * Kong instead sets the period's nominal length (30 days for a month), which drops a 31-day month's
 * counter a day early; the keys themselves are Kong's, so both can share one Redis.
 */
const INCREMENT_SCRIPT = `
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
end
return 0`;

type ScriptedRedis = Redis & { tollgateIncrement(numKeys: number, ...args: Array<string | number>): Promise<unknown> };

/** A client unused this long is closed; the next request that needs it opens a new one. */
const IDLE_MS = 60_000;
/** After a failed connection attempt, requests fail at once for this long before one tries again. */
const RECONNECT_INTERVAL_MS = 500;

/**
 * One Redis connection, and what it takes to fail fast while Redis is unreachable. It reconnects on
 * demand (the next request after a loss) rather than on a background timer, and its socket is
 * unref'd like an idle keep-alive socket: neither keeps a draining process alive.
 */
export class RedisCounters implements CounterStore {
  readonly settings: RedisSettings;
  readonly #client: ScriptedRedis;
  readonly #where: string;
  #lastError: Error | undefined;
  #ready: Promise<void> | undefined;
  #nextAttempt = 0;
  #closed = false;
  lastUsed = Date.now();

  constructor(settings: RedisSettings) {
    this.settings = settings;
    this.#where = `Redis ${settings.host}:${settings.port}`;
    this.#client = new Redis({
      host: settings.host,
      port: settings.port,
      username: settings.username,
      password: settings.password,
      db: settings.database,
      tls: settings.ssl ? { rejectUnauthorized: settings.sslVerify, servername: settings.serverName ?? settings.host } : undefined,
      // RESP2 with plain AUTH and SELECT, as Kong talks to Redis: works with Redis 5 too.
      protocol: 2,
      connectTimeout: settings.timeout,
      commandTimeout: settings.timeout,
      lazyConnect: true,
      // Never queue commands while disconnected: a down Redis must answer "no" at once rather than
      // collect every request until it returns; nothing is resent after a reconnect either.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => null,
      scripts: { tollgateIncrement: { lua: INCREMENT_SCRIPT } },
    }) as ScriptedRedis;
    this.#client.on('error', (err: Error) => {
      this.#lastError = err;
    });
    this.#client.on('connect', () => this.#client.stream.unref());
  }

  get closed(): boolean {
    return this.#closed;
  }

  async get(keys: readonly string[]): Promise<readonly number[]> {
    const connecting = this.#usable();
    if (connecting !== undefined) await connecting;
    const values = await this.#client.mget(keys as string[]);
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  async increment(keys: readonly string[], expiresAt: readonly number[]): Promise<void> {
    const connecting = this.#usable();
    if (connecting !== undefined) await connecting;
    const now = Date.now();
    await this.#client.tollgateIncrement(keys.length, ...keys, ...expiresAt.map((at) => Math.max(1, at - now)));
  }

  close(): void {
    this.#closed = true;
    this.#client.disconnect();
  }

  /** Nothing to wait for when connected; else the attempt in progress, a new one, or an error now. */
  #usable(): Promise<void> | undefined {
    const status = this.#client.status;
    if (status === 'ready') return undefined;
    if (status === 'connecting' || status === 'connect') return (this.#ready ??= this.#waitReady());
    const now = Date.now();
    if (this.#closed || (status !== 'wait' && status !== 'end') || now < this.#nextAttempt) {
      const cause = this.#lastError === undefined ? status : this.#lastError.message;
      return Promise.reject(new Error(`${this.#where} is unreachable (${cause}); check the plugin's redis host, port and credentials`));
    }
    this.#nextAttempt = now + RECONNECT_INTERVAL_MS;
    const ready = (this.#ready ??= this.#waitReady());
    this.#client.connect().catch(() => {});
    return ready;
  }

  #waitReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const client = this.#client;
      const done = (err?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('close', onClose);
        this.#ready = undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
      const onReady = () => done();
      const onClose = () => done(new Error(`cannot connect to ${this.#where}: ${this.#lastError?.message ?? 'connection closed'}`));
      const ms = this.settings.timeout;
      const timer = setTimeout(() => done(new Error(`${this.#where} did not become ready within ${ms} ms`)), ms);
      client.once('ready', onReady);
      client.once('close', onClose);
    });
  }
}

/**
 * The live clients, by connection settings. Module state because plugins have no per-node home
 * for resources; it is bounded by the distinct Redis configs in use and emptied as they go idle.
 */
const clients = new Map<string, RedisCounters>();
let sweeper: NodeJS.Timeout | undefined;

/** The shared store for `settings`, created on first use. */
export function redisCounters(settings: RedisSettings, now: number): RedisCounters {
  let store = clients.get(settings.key);
  if (store === undefined || store.closed) {
    store = new RedisCounters(settings);
    clients.set(settings.key, store);
    sweeper ??= setInterval(sweepIdle, IDLE_MS / 2).unref();
  }
  store.lastUsed = now;
  return store;
}

function sweepIdle(): void {
  const cutoff = Date.now() - IDLE_MS;
  for (const [key, store] of clients) {
    if (store.lastUsed > cutoff && !store.closed) continue;
    clients.delete(key);
    store.close();
  }
  if (clients.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** Closes every client (tests, and processes that shut down without exiting). */
export function closeRedisClients(): void {
  for (const store of clients.values()) store.close();
  clients.clear();
  if (sweeper !== undefined) clearInterval(sweeper);
  sweeper = undefined;
}
