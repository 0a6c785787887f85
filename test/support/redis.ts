// Throwaway Redis servers for tests: `redis-server` on a free 127.0.0.1 port, no persistence, in a
// temp folder removed on stop. Without the binary the tests that need it are skipped locally; under
// CI=true a missing binary fails the run (.ci/run installs it).
//
//   describe.skipIf(!redisAvailable())(`redis policy${redisSkipReason()}`, () => {
//     let redis: RedisServer;
//     beforeAll(async () => { redis = await startRedis(); });
//     afterAll(() => redis?.close());
//   });
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './pg-cluster.ts';

const BIN = 'redis-server';

let found: boolean | undefined;

/** True when `redis-server` runs; under CI=true its absence throws instead. */
export function redisAvailable(): boolean {
  found ??= spawnSync(BIN, ['--version'], { stdio: 'ignore' }).status === 0;
  if (!found && process.env['CI'] === 'true') throw new Error(`CI needs ${BIN} for the Redis tests: install it (apt-get install redis-server) or put it on PATH`);
  return found;
}

/** A suffix for skipped test names that says why they were skipped. */
export function redisSkipReason(): string {
  return redisAvailable() ? '' : ` (skipped: no ${BIN} on PATH)`;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  /** A client for checking what the gateway wrote, one per database (named `tollgate-test`; closed by `close`). */
  client(database?: number): Redis;
  /** Stops the server, as an outage would (its data is gone: nothing is persisted). */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  close(): Promise<void>;
}

/** Starts a server; `password` turns on `requirepass`. */
export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice'];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const clients = new Map<number, Redis>();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${BIN} did not start within 10 s:\n${output}`));
      }, 10_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${BIN} exited with ${code} during start:\n${output}`));
      });
    });
    // Keep draining its output so a chatty server never blocks on a full pipe.
    proc.stdout!.resume();
    proc.stderr!.resume();
  };

  const stopServer = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  const killSync = () => child?.kill('SIGKILL');
  process.once('exit', killSync);

  await start();
  return {
    host: '127.0.0.1',
    port,
    password: options.password,
    client(database = 0) {
      let client = clients.get(database);
      if (client === undefined) {
        client = new Redis({ host: '127.0.0.1', port, password: options.password, db: database, connectionName: 'tollgate-test', maxRetriesPerRequest: 1 });
        client.on('error', () => {});
        clients.set(database, client);
      }
      return client;
    },
    start,
    stop: stopServer,
    async close() {
      for (const c of clients.values()) c.disconnect();
      clients.clear();
      await stopServer();
      process.off('exit', killSync);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
