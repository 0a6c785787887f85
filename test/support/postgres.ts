// Real Postgres for tests. As a vitest globalSetup (see vitest.config.ts) it starts one throwaway
// cluster per run, unless TOLLGATE_TEST_PG_URL already names a server, and provides its URL to tests.
// TOLLGATE_TEST_PG=skip skips Postgres tests locally; under CI=true a missing Postgres fails the run.
// Test files then take a fresh database each, so files run in parallel without sharing state:
//
//   import { createTestDatabase, postgresAvailable, postgresSkipReason } from '<root>/test/support/postgres.ts';
//   describe.skipIf(!postgresAvailable())(`orders on postgres${postgresSkipReason()}`, () => {
//     let url: string;
//     beforeAll(async () => { url = await createTestDatabase(); });
//   });
//
// Tests that stop the server (outages) start a private one with startPrivatePostgres(), so they never
// take the shared server away from files running beside them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { findPgBin, startPgCluster, type PgCluster } from './pg-cluster.ts';

export { findPgBin, type PgCluster } from './pg-cluster.ts';

interface ProvidedPostgres {
  /** Admin URL of the shared server, or null when there is none. */
  url: string | null;
  /** Why there is none (shown in skipped test names). */
  skipReason: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    tollgatePostgres: ProvidedPostgres;
  }
}

// ---- global setup (runs once, in the vitest main process) ----

let shared: PgCluster | undefined;

export async function setup(project: { provide(key: 'tollgatePostgres', value: ProvidedPostgres): void }): Promise<void> {
  const given = process.env['TOLLGATE_TEST_PG_URL'];
  if (given !== undefined && given !== '') {
    project.provide('tollgatePostgres', { url: given, skipReason: null });
    return;
  }
  const optedOut = process.env['TOLLGATE_TEST_PG'] === 'skip';
  if (optedOut || findPgBin() === undefined) {
    const reason = optedOut ? 'TOLLGATE_TEST_PG=skip' : 'no Postgres server binaries (initdb, pg_ctl) found and TOLLGATE_TEST_PG_URL is not set';
    if (process.env['CI'] === 'true') throw new Error(`CI needs Postgres for the store tests: ${reason}`);
    console.warn(`[tollgate tests] Postgres tests are skipped: ${reason}`);
    project.provide('tollgatePostgres', { url: null, skipReason: reason });
    return;
  }
  shared = await startPgCluster();
  // Ctrl-C or a crash skips teardown; never leave a server behind.
  process.once('exit', shared.destroySync);
  project.provide('tollgatePostgres', { url: shared.url, skipReason: null });
}

export async function teardown(): Promise<void> {
  if (shared === undefined) return;
  process.off('exit', shared.destroySync);
  await shared.destroy();
  shared = undefined;
}

// ---- helpers for test files (run in the workers) ----

function provided(): ProvidedPostgres {
  let value: ProvidedPostgres | undefined;
  try {
    value = inject('tollgatePostgres');
  } catch {
    value = undefined;
  }
  const env = process.env['TOLLGATE_TEST_PG_URL'];
  if (value === undefined) return env ? { url: env, skipReason: null } : { url: null, skipReason: 'the Postgres global setup did not run (see vitest.config.ts)' };
  return value;
}

/** True when a Postgres server is available to this run. */
export function postgresAvailable(): boolean {
  return provided().url !== null;
}

/** `''` when Postgres is available, else ` (skipped: <why>)`, to append to a describe name. */
export function postgresSkipReason(): string {
  const { skipReason } = provided();
  return skipReason === null ? '' : ` (skipped: ${skipReason})`;
}

/** The shared server's admin URL (database `postgres`); prefer createTestDatabase() for tests. */
export function postgresAdminUrl(): string {
  const { url, skipReason } = provided();
  if (url === null) throw new Error(`no Postgres server for this test run: ${skipReason}`);
  return url;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty database `tg_<random>` on the shared server and returns its URL. */
export async function createTestDatabase(adminUrl: string = postgresAdminUrl()): Promise<string> {
  const name = `tg_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/** Drops a database made by createTestDatabase (closing its connections); optional on a throwaway server. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** True when this machine can start private clusters (outage tests need Postgres binaries). */
export function privatePostgresAvailable(): boolean {
  return process.env['TOLLGATE_TEST_PG'] !== 'skip' && findPgBin() !== undefined;
}

/**
 * A cluster of the test's own, to stop and restart; destroy() it in afterAll.
 *
 * @example
 *   const server = await startPrivatePostgres();
 *   await server.stop(); ... await server.start(); ... await server.destroy();
 */
export async function startPrivatePostgres(): Promise<PgCluster> {
  const cluster = await startPgCluster();
  process.once('exit', cluster.destroySync);
  return cluster;
}
