// Throwaway Postgres clusters for tests: initdb into a temp folder, start on a free 127.0.0.1 port
// with trust auth and fsync off, stop/start at will, delete when done. As root (initdb refuses to run
// as root) every server command runs as the `postgres` user. No vitest imports: the global setup uses it.
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The folder holding initdb and pg_ctl: PATH first, then the newest /usr/lib/postgresql/N/bin. */
export function findPgBin(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] !== undefined ? join(root, versions[0], 'bin') : undefined;
}

/** How to run a server binary: directly, or as `postgres` when we are root. */
function runner(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root, but there is no `postgres` user to run initdb as');
  const hasRunuser = spawnSync('runuser', ['--help']).error === undefined;
  return { prefix: hasRunuser ? ['runuser', '-u', 'postgres', '--'] : ['su', 'postgres', '-s', '/bin/sh', '-c'], uid, gid };
}

function command(prefix: string[], bin: string, args: string[]): [string, string[]] {
  if (prefix[0] === 'su') return ['su', [...prefix.slice(1), [bin, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')]];
  const full = [...prefix, bin, ...args];
  return [full[0]!, full.slice(1)];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown: sessions get 57P01), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  destroy(): Promise<void>;
  /** Synchronous last-resort cleanup for process exit. */
  destroySync(): void;
}

/**
 * Creates and starts a cluster; throws when no Postgres binaries are installed.
 *
 * @example
 *   const pg = await startPgCluster();
 *   await pg.stop(); await pg.start(); await pg.destroy();
 */
export async function startPgCluster(): Promise<PgCluster> {
  const bin = findPgBin();
  if (bin === undefined) throw new Error('no Postgres server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin');
  const { prefix, uid, gid } = runner();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const pgCtl = (...args: string[]) => command(prefix, join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const exec = async ([file, args]: [string, string[]]) => {
    try {
      await run(file, args, { timeout: 120_000 });
    } catch (err) {
      const log = existsSync(join(dir, 'log')) ? spawnSync('tail', ['-n', '20', join(dir, 'log')], { encoding: 'utf8' }).stdout : '';
      throw new Error(`${file} ${args.join(' ')} failed: ${(err as Error).message}\n${log}`);
    }
  };
  let destroyed = false;
  const destroySync = () => {
    if (destroyed) return;
    destroyed = true;
    const [file, args] = pgCtl('-m', 'immediate', '-w', 'stop');
    spawnSync(file, args, { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await exec(command(prefix, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--no-locale']));
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${dir}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'max_connections = 300',
      ].join('\n') + '\n',
    );
    const start = () => exec(pgCtl('-l', join(dir, 'log'), '-w', '-t', '60', 'start'));
    await start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      start,
      stop: () => exec(pgCtl('-m', 'fast', '-w', '-t', '60', 'stop')),
      async destroy() {
        destroySync();
      },
      destroySync,
    };
  } catch (err) {
    destroySync();
    throw err;
  }
}
