// rate-limiting counters shared beyond one process: the `local` policy across a node's worker
// processes (the real CLI with --workers 2), and the `redis` policy across data planes through a real
// redis-server, with Kong's keys, fault tolerance, timeouts, log throttling, the deprecated flat fields,
// database and password.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeRedisClients } from '../../packages/plugins/rate-limiting/redis.ts';
import { freePort, startNode } from '../support/cli.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { redisAvailable, redisSkipReason, startRedis, type RedisServer } from '../support/redis.ts';
import { rawRequest, startUpstream, waitFor, type RawReply, type Upstream } from '../support/upstream.ts';

const SERVICE_ID = '5d2a0f4e-0c3b-4b8e-9a51-6f1f2f6a0b01';
const ROUTE_ID = '9c8e7d6a-1b2c-4d3e-8f4a-5b6c7d8e9f02';
const HOUR = 3_600_000;
const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';

/** One service and route carrying a rate-limiting instance with `config`. */
const gateway = (upstreamUrl: string, config: Record<string, unknown>) => ({
  _format_version: '3.0',
  services: [{ id: SERVICE_ID, name: 'limited', url: upstreamUrl, routes: [{ id: ROUTE_ID, name: 'limited', paths: ['/limited'], plugins: [{ name: 'rate-limiting', config }] }] }],
});

/** Every request on a fresh connection, as node:cluster hands each new connection to the next worker. */
const hit = (base: string) => rawRequest(`${base}/limited`, { headers: { accept: 'application/json' } });
const limitHeaders = (res: RawReply) => Object.keys(res.headers).filter((h) => h.includes('ratelimit') || h === 'retry-after');

/** Keeps a test's requests inside one hour window: waits out the last seconds of the current hour. */
async function awayFromHourEnd(): Promise<void> {
  const left = HOUR - (Date.now() % HOUR);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 100));
}
const hourStart = () => Date.now() - (Date.now() % HOUR);

/** Lets every promise callback queued so far run (setImmediate is never faked here). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/**
 * A TCP relay to a Redis that can go silent: after `silence()` what clients send is swallowed (their
 * connection stays open), and `swallowed` resolves when the first command goes unanswered that way.
 */
async function silenceableRelay(port: number) {
  const sockets = new Set<Socket>();
  let silent = false;
  let onSwallowed = () => {};
  const swallowed = new Promise<void>((r) => (onSwallowed = r));
  const server = createServer((client) => {
    const redis = connect(port, '127.0.0.1');
    for (const s of [client, redis]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => (s === client ? redis : client).destroy());
    }
    redis.pipe(client);
    client.on('data', (chunk: Buffer) => (silent ? onSwallowed() : redis.write(chunk)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    swallowed,
    silence: () => {
      silent = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let up: Upstream;
beforeAll(async () => {
  up = await startUpstream('limited');
});
afterAll(async () => {
  closeRedisClients();
  await up?.close();
});

describe('local policy across worker processes', () => {
  it('shares one count between the workers of a node (--workers 2)', async () => {
    await awayFromHourEnd();
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-rl-'));
    const file = join(dir, 'kong.yml');
    writeFileSync(file, JSON.stringify(gateway(up.url, { hour: 3, policy: 'local', limit_by: 'ip' })));
    const [p, st] = [await freePort(), await freePort()];
    const node = await startNode(
      ['--role', 'data_plane', '--declarative-config', file, '--prefix', dir, '--proxy-listen', `127.0.0.1:${p}`, '--status-listen', `127.0.0.1:${st}`, '--workers', '2'],
      `http://127.0.0.1:${st}/status/ready`,
    );
    try {
      const replies: RawReply[] = [];
      for (let i = 0; i < 6; i++) replies.push(await hit(`http://127.0.0.1:${p}`));
      // Both workers answered (each worker's request ids carry its own prefix)…
      expect(new Set(replies.map((r) => String(r.headers['x-kong-request-id']).slice(0, 12))).size).toBe(2);
      // …yet exactly the limit got through, counted down across them.
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 429]);
      expect(replies.slice(0, 3).map((r) => r.headers['x-ratelimit-remaining-hour'])).toEqual(['2', '1', '0']);
    } finally {
      expect(await node.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cluster policy on a data plane', () => {
  it('counts as local (there is no database) and says so once', async () => {
    await awayFromHourEnd();
    const proxy = await startProxy(gateway(up.url, { hour: 2, policy: 'cluster', limit_by: 'ip' }));
    try {
      expect((await hit(proxy.url)).status).toBe(200);
      expect((await hit(proxy.url)).status).toBe(200);
      expect((await hit(proxy.url)).status).toBe(429);
      expect(proxy.logs.filter((l) => l.includes("policy 'cluster' needs a database"))).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe.skipIf(!redisAvailable())(`redis policy${redisSkipReason()}`, () => {
  let redis: RedisServer;
  const redisConfig = (extra: Record<string, unknown> = {}) => ({ hour: 3, policy: 'redis', limit_by: 'ip', redis: { host: '127.0.0.1', port: redis.port, ...extra } });

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });
  beforeEach(async () => {
    await redis.client().flushall();
    await awayFromHourEnd();
  });

  it('shares one count between two data planes, under Kong\'s key layout', async () => {
    const [a, b] = [await startProxy(gateway(up.url, redisConfig())), await startProxy(gateway(up.url, redisConfig()))];
    try {
      const replies = [await hit(a.url), await hit(b.url), await hit(a.url), await hit(b.url)];
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(replies.slice(0, 3).map((r) => r.headers['x-ratelimit-remaining-hour'])).toEqual(['2', '1', '0']);
      expect(replies[3]!.headers['retry-after']).toBeDefined();
      // The instance is attached to the route only, so Kong's key has the empty UUID for the service.
      const key = `ratelimit:${ROUTE_ID}:${EMPTY_UUID}:127.0.0.1:${hourStart()}:hour`;
      const inspect = redis.client();
      expect(await inspect.keys('ratelimit:*')).toEqual([key]);
      expect(await inspect.get(key)).toBe('3');
      // It expires when its window ends, not an hour after its first request.
      const ttl = await inspect.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(hourStart() + HOUR - Date.now() + 1000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps a 10 KB header identifier verbatim in Kong\'s Redis key', async () => {
    const long = 't'.repeat(10 * 1024);
    const proxy = await startProxy(gateway(up.url, { ...redisConfig(), hour: 2, limit_by: 'header', header_name: 'X-Tenant' }));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await rawRequest(`${proxy.url}/limited`, { headers: { 'x-tenant': long } })).status);
      expect(statuses).toEqual([200, 200, 429]);
      // The node counters hash long identifiers; Redis keys stay Kong's so both can share one Redis.
      expect(await redis.client().keys('ratelimit:*')).toEqual([`ratelimit:${ROUTE_ID}:${EMPTY_UUID}:${long}:${hourStart()}:hour`]);
    } finally {
      await proxy.close();
    }
  });

  it('logs failed increments at most once a second, not once per request', async () => {
    // A user that may read the counters but not run the increment script (a read-only replica fails alike).
    await redis.client().acl('SETUSER', 'reader', 'on', '>reader-pw', '~*', '+@read', '+@connection', '+info');
    const proxy = await startProxy(gateway(up.url, { ...redisConfig(), redis: { host: '127.0.0.1', port: redis.port, username: 'reader', password: 'reader-pw', timeout: 500 } }));
    try {
      const started = performance.now();
      for (let i = 0; i < 10; i++) expect((await hit(proxy.url)).status).toBe(200);
      const warnings = () => proxy.logs.filter((l) => l.startsWith('warn rate-limiting: incrementing the counters failed'));
      await waitFor(() => warnings().length > 0, { what: 'a warning about the failed increments' });
      expect(warnings()[0]).toContain('NOPERM');
      expect(warnings().length).toBeLessThanOrEqual(1 + Math.floor((performance.now() - started) / 1000));
    } finally {
      await proxy.close();
      closeRedisClients(); // its connection as 'reader' would count in the connection test below
    }
  });

  it('counts a global instance across routes under the empty route and service ids', async () => {
    const proxy = await startProxy({
      _format_version: '3.0',
      services: [{ id: SERVICE_ID, name: 'limited', url: up.url, routes: [{ id: ROUTE_ID, paths: ['/limited'] }, { paths: ['/other'] }] }],
      plugins: [{ name: 'rate-limiting', config: redisConfig() }],
    });
    try {
      const statuses: number[] = [];
      for (const path of ['/limited', '/other', '/limited', '/other']) statuses.push((await rawRequest(`${proxy.url}${path}`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(await redis.client().keys('ratelimit:*')).toEqual([`ratelimit:${EMPTY_UUID}:${EMPTY_UUID}:127.0.0.1:${hourStart()}:hour`]);
    } finally {
      await proxy.close();
    }
  });

  // One worker: its idle Redis connection must not keep the process from exiting after the drain.
  it.each([2, 1])('shares one count between %i worker process(es), each with its own connection, and exits on SIGTERM', async (workers) => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-rl-'));
    const file = join(dir, 'kong.yml');
    writeFileSync(file, JSON.stringify(gateway(up.url, redisConfig())));
    const [p, st] = [await freePort(), await freePort()];
    const node = await startNode(
      ['--role', 'data_plane', '--declarative-config', file, '--prefix', dir, '--proxy-listen', `127.0.0.1:${p}`, '--status-listen', `127.0.0.1:${st}`, '--workers', String(workers)],
      `http://127.0.0.1:${st}/status/ready`,
    );
    try {
      const replies: RawReply[] = [];
      for (let i = 0; i < 6; i++) replies.push(await hit(`http://127.0.0.1:${p}`));
      expect(new Set(replies.map((r) => String(r.headers['x-kong-request-id']).slice(0, 12))).size).toBe(workers);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 429]);
    } finally {
      expect(await node.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps one connection per Redis across requests and config swaps', async () => {
    const proxy = await startProxy(gateway(up.url, redisConfig()));
    const inspect = redis.client();
    const gatewayConnections = async () => String(await inspect.client('LIST')).split('\n').filter((l) => l.includes(' cmd=') && !l.includes('name=tollgate-test')).length;
    try {
      await hit(proxy.url);
      const before = await gatewayConnections();
      expect(before).toBe(1);
      for (let version = 10; version < 13; version++) {
        expect(proxy.apply(gateway(up.url, { ...redisConfig(), hour: 100 + version }), version).ok).toBe(true);
        expect((await hit(proxy.url)).headers['x-ratelimit-limit-hour']).toBe(String(100 + version));
      }
      expect(await gatewayConnections()).toBe(before);
    } finally {
      await proxy.close();
    }
  });

  it('follows the deprecated flat redis_* fields when the redis record names no host', async () => {
    const proxy = await startProxy(gateway(up.url, { hour: 3, policy: 'redis', limit_by: 'ip', redis_host: '127.0.0.1', redis_port: redis.port, redis_database: 2 }));
    try {
      expect((await hit(proxy.url)).headers['x-ratelimit-remaining-hour']).toBe('2');
      expect(await redis.client(2).keys('ratelimit:*')).toHaveLength(1);
      expect(await redis.client(0).keys('ratelimit:*')).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('lets requests through without rate-limit headers when Redis is down and fault_tolerant is on', async () => {
    const closedPort = await freePort();
    const proxy = await startProxy(gateway(up.url, { ...redisConfig(), redis: { host: '127.0.0.1', port: closedPort, timeout: 500 } }));
    try {
      for (let i = 0; i < 5; i++) {
        const res = await hit(proxy.url);
        expect(res.status).toBe(200);
        expect(limitHeaders(res)).toEqual([]);
      }
      expect(proxy.logs.some((l) => l.startsWith('error rate-limiting: failed to get usage') && l.includes(`127.0.0.1:${closedPort}`))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it("answers Kong's 500 when Redis is down and fault_tolerant is off", async () => {
    const proxy = await startProxy(gateway(up.url, { ...redisConfig(), fault_tolerant: false, redis: { host: '127.0.0.1', port: await freePort(), timeout: 500 } }));
    try {
      const res = await hit(proxy.url);
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body)).toEqual({ message: 'An unexpected error occurred', request_id: expect.any(String) });
      expect(up.seen.filter((r) => r.url === '/limited' && r.headers['x-kong-request-id'] === res.headers['x-kong-request-id'])).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a Redis that accepts but never answers after redis.timeout, for every request at once', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const tolerant = await startProxy(gateway(up.url, { ...redisConfig(), redis: { host: '127.0.0.1', port, timeout: 300 } }));
    const strict = await startProxy(gateway(up.url, { ...redisConfig(), fault_tolerant: false, redis: { host: '127.0.0.1', port, timeout: 300, database: 1 } }));
    try {
      const started = performance.now();
      const passed = await Promise.all(Array.from({ length: 20 }, () => hit(tolerant.url)));
      expect(passed.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(passed.flatMap(limitHeaders)).toEqual([]);
      // Twenty failures, logged at most once a second.
      const lines = tolerant.logs.filter((l) => l.includes('failed to get usage'));
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(1 + Math.floor((performance.now() - started) / 1000));
      expect((await hit(strict.url)).status).toBe(500);
    } finally {
      await tolerant.close();
      await strict.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('reads redis.timeout 0 as 60 s, as nginx does: a Redis gone silent fails the request then, not never', async () => {
    const relay = await silenceableRelay(redis.port);
    const strict = await startProxy(gateway(up.url, { ...redisConfig(), fault_tolerant: false, redis: { host: '127.0.0.1', port: relay.port, timeout: 0 } }));
    let pending: Promise<RawReply | Error> | undefined;
    try {
      expect((await hit(strict.url)).status).toBe(200);
      // Redis stops answering on a live connection; the clock is faked so a minute passes at once.
      relay.silence();
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      pending = hit(strict.url).catch((err: Error) => err);
      await relay.swallowed;
      const failures = () => strict.logs.filter((l) => l.includes('failed to get usage'));
      await vi.advanceTimersByTimeAsync(59_999);
      await settle();
      expect(failures()).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await settle();
      expect(failures()).toHaveLength(1);
      vi.useRealTimers();
      const res = await pending;
      expect(res instanceof Error ? res.message : res.status).toBe(500);
    } finally {
      vi.useRealTimers();
      await relay.close();
      await pending;
      await strict.close();
      closeRedisClients();
    }
  });

  it('stops counting while Redis is away and counts again once it is back', async () => {
    const own = await startRedis();
    const proxy = await startProxy(gateway(up.url, { hour: 5, policy: 'redis', limit_by: 'ip', redis: { host: '127.0.0.1', port: own.port, timeout: 500 } }));
    try {
      expect((await hit(proxy.url)).headers['x-ratelimit-remaining-hour']).toBe('4');
      await own.stop();
      const during = await hit(proxy.url);
      expect(during.status).toBe(200);
      expect(limitHeaders(during)).toEqual([]);
      await own.start();
      // A restarted Redis is empty (no persistence): the count starts again from zero.
      const after = await waitFor(async () => (await hit(proxy.url)).headers['x-ratelimit-remaining-hour'], { timeoutMs: 10_000, what: 'rate-limit headers after Redis came back' });
      expect(after).toBe('4');
    } finally {
      await proxy.close();
      await own.close();
    }
  });
});

describe.skipIf(!redisAvailable())(`redis policy with a password${redisSkipReason()}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ password: 's3cret' });
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('authenticates and counts in the configured database', async () => {
    await awayFromHourEnd();
    const proxy = await startProxy(gateway(up.url, { hour: 3, policy: 'redis', limit_by: 'ip', redis: { host: '127.0.0.1', port: redis.port, password: 's3cret', database: 5 } }));
    try {
      expect((await hit(proxy.url)).headers['x-ratelimit-remaining-hour']).toBe('2');
      expect((await hit(proxy.url)).headers['x-ratelimit-remaining-hour']).toBe('1');
      const keys = await redis.client(5).keys('ratelimit:*');
      expect(keys).toHaveLength(1);
      expect(await redis.client(5).get(keys[0]!)).toBe('2');
      expect(await redis.client(0).keys('*')).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('answers 500 with a wrong password when fault_tolerant is off', async () => {
    const proxy = await startProxy(gateway(up.url, { hour: 3, policy: 'redis', fault_tolerant: false, redis: { host: '127.0.0.1', port: redis.port, password: 'wrong', timeout: 500 } }));
    try {
      const res = await hit(proxy.url);
      expect(res.status).toBe(500);
      expect(proxy.logs.some((l) => l.includes('WRONGPASS'))).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
