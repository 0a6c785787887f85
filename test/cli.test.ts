// The `tollgate` command end to end: start on the embedded store, persistence across restarts,
// config validate/import/export, and migrations on a real Postgres.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startNode } from './support/cli.ts';
import { createTestDatabase, postgresAvailable } from './support/postgres.ts';

const FIXTURES = join(import.meta.dirname, '../../shared/fixtures/kong-configs');
const haveFixtures = existsSync(FIXTURES);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('tollgate start (embedded store)', () => {
  it('serves the Admin API, keeps data across a restart, and guards the store with a lock', async () => {
    const prefix = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = ['--prefix', prefix, '--admin-listen', `127.0.0.1:${port}`];
    let node = await startNode(args, `${url}/status`);
    const created = await fetch(`${url}/services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kept', url: 'http://kept.internal' }) });
    expect(created.status).toBe(201);

    writeFileSync(join(prefix, 'x.yml'), '_format_version: "3.0"\n');
    const locked = await runCli(['config', 'import', join(prefix, 'x.yml'), '--prefix', prefix]);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(/in use by process \d+/);

    expect(await node.stop()).toBe(0);
    node = await startNode(args, `${url}/status`);
    const again = await fetch(`${url}/services/kept`);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { host: string }).host).toBe('kept.internal');
    expect(await node.stop()).toBe(0);
    expect(existsSync(join(prefix, 'store.lock'))).toBe(false);
  });

  it('requires the admin token when TOLLGATE_ADMIN_TOKEN is set', async () => {
    const prefix = tempDir();
    const port = await freePort();
    const node = await startNode(['--prefix', prefix, '--admin-listen', `127.0.0.1:${port}`], `http://127.0.0.1:${port}/status`, { TOLLGATE_ADMIN_TOKEN: 'tok' });
    expect((await fetch(`http://127.0.0.1:${port}/services`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/services`, { headers: { authorization: 'Bearer tok' } })).status).toBe(200);
    await node.stop();
  });

  it('explains a bad option', async () => {
    const res = await runCli(['start', '--admin-listen', 'nowhere']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/invalid listen address 'nowhere'/);
    expect((await runCli(['start', '--frobnicate'])).stderr).toMatch(/unknown option --frobnicate/);
  });
});

describe.skipIf(!haveFixtures)('tollgate config (Kong fixtures; skipped where ../shared/fixtures is absent)', () => {
  it('validates a clean Kong file without a server', async () => {
    const res = await runCli(['config', 'validate', join(FIXTURES, '02-supabase-selfhosted.yml')]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/is valid: .*13 services/);
  });

  it('refuses a file using plugins Tollgate lacks, naming each and where it is used', async () => {
    const res = await runCli(['config', 'validate', join(FIXTURES, '11-healthy-cameras-auth-plugins.yml')]);
    expect(res.code).toBe(1);
    for (const plugin of ['hmac-auth', 'ldap-auth', 'statsd']) expect(res.stderr).toContain(plugin);
  });

  it('imports into a stopped node’s store and exports it back', async () => {
    const prefix = tempDir();
    const imported = await runCli(['config', 'import', join(FIXTURES, '05-digit-core-keyauth-ratelimit.yml'), '--prefix', prefix]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/18 services/);
    const out = join(prefix, 'export.yml');
    const exported = await runCli(['config', 'export', out, '--prefix', prefix]);
    expect(exported.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/_format_version: "?3\.0"?/);
    expect(text).toContain('workflow-service');
    const roundTrip = await runCli(['config', 'validate', out]);
    expect(roundTrip.code).toBe(0);
  });
});

describe.skipIf(!postgresAvailable())('tollgate on Postgres', () => {
  it('refuses to start on an unmigrated database and says what to run, then starts after migrations up', async () => {
    const pgUrl = await createTestDatabase();
    const port = await freePort();
    const refused = await runCli(['start', '--pg-url', pgUrl, '--admin-listen', `127.0.0.1:${port}`], { timeoutMs: 30_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/tollgate migrations up/);
    const status = await runCli(['migrations', 'status', '--pg-url', pgUrl]);
    expect(status.stdout).toMatch(/pending: .*001/);
    expect((await runCli(['migrations', 'up', '--pg-url', pgUrl])).code).toBe(0);
    expect((await runCli(['migrations', 'up', '--pg-url', pgUrl])).stdout).toMatch(/up to date/);
    const node = await startNode(['--pg-url', pgUrl, '--admin-listen', `127.0.0.1:${port}`, '--role', 'control_plane'], `http://127.0.0.1:${port}/status`);
    const root = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { database: string; role: string };
    expect(root).toMatchObject({ database: 'postgres', role: 'control_plane' });
    expect(await node.stop()).toBe(0);
  });
});
