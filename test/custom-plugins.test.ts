// Custom plugins given by path (`--plugins bundled,./header-stamp`), loaded by the real CLI from a folder
// outside this repository, as a user keeps them: the Admin API validates their config with their own
// schema, and the proxy runs them (one worker and node:cluster workers).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, runCli, startNode, type RunningNode } from './support/cli.ts';
import { startControlPlane, startDataPlane, until, writeClusterCerts, type ClusterFiles, type ControlPlaneNode, type DataPlaneNode } from './support/hybrid.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

const outside = mkdtempSync(join(tmpdir(), 'tollgate-custom-plugin-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

// The example, copied where no node_modules can resolve @tollgate/plugin-sdk for it.
const pluginDir = join(outside, 'header-stamp');
cpSync(join(REPO_ROOT, 'examples/header-stamp/index.ts'), join(pluginDir, 'index.ts'), { recursive: true });

let up: Upstream;
beforeAll(async () => {
  up = await startUpstream('backend');
});
afterAll(async () => {
  await up?.close();
});

function declarative(config: Record<string, unknown>): string {
  const file = join(outside, `kong-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 's', url: up.url, routes: [{ name: 'r', paths: ['/'] }] }],
      plugins: [{ name: 'header-stamp', config }],
    }),
  );
  return file;
}

describe('tollgate config validate with a custom plugin', () => {
  it('accepts a valid config of the plugin, with the path relative to the working directory', async () => {
    const file = declarative({ value: 'hi' });
    const res = await runCli(['config', 'validate', file, '--plugins', 'bundled,./header-stamp'], { cwd: outside });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it("refuses an invalid config, naming the plugin's field", async () => {
    const res = await runCli(['config', 'validate', declarative({ value: '' }), '--plugins', `bundled,${pluginDir}`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/value/);
  });

  it('refuses the plugin when --plugins does not load it', async () => {
    const res = await runCli(['config', 'validate', declarative({ value: 'hi' })]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/header-stamp/);
  });
});

describe('bad --plugins paths say what is wrong', () => {
  it('names a path that does not exist', async () => {
    const res = await runCli(['config', 'validate', declarative({ value: 'hi' }), '--plugins', 'bundled,./nowhere'], { cwd: outside });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`./nowhere does not exist (looked for ${join(outside, 'nowhere')})`);
  });

  it('names a module that is not a plugin', async () => {
    mkdirSync(join(outside, 'not-a-plugin'), { recursive: true });
    writeFileSync(join(outside, 'not-a-plugin', 'index.ts'), 'export const x = 1;\n');
    const res = await runCli(['config', 'validate', declarative({ value: 'hi' }), '--plugins', './not-a-plugin'], { cwd: outside });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/not-a-plugin\/index\.ts is not a plugin \(no default export\).*definePlugin/);
  });

  it('refuses a custom plugin named like a bundled one', async () => {
    mkdirSync(join(outside, 'fake-key-auth'), { recursive: true });
    writeFileSync(
      join(outside, 'fake-key-auth', 'index.ts'),
      "import { Type } from '@sinclair/typebox';\nimport { definePlugin } from '@tollgate/plugin-sdk';\n" +
        "export default definePlugin({ schema: { name: 'key-auth', version: '1.0.0', priority: 1, config: Type.Object({}) }, handlers: {} });\n",
    );
    const res = await runCli(['config', 'validate', declarative({ value: 'hi' }), '--plugins', 'bundled,./fake-key-auth'], { cwd: outside });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("is named 'key-auth' like a bundled plugin");
  });
});

describe.each([1, 2])('a DB-less data plane with %i worker(s) runs the custom plugin', (workers) => {
  let node: RunningNode;
  let proxy: string;
  beforeAll(async () => {
    const [p, s] = [await freePort(), await freePort()];
    proxy = `http://127.0.0.1:${p}`;
    node = await startNode(
      ['--role', 'data_plane', '--declarative-config', declarative({ value: 'from-outside', require: 'x-client' }), '--plugins', `bundled,${pluginDir}`,
        '--proxy-listen', `127.0.0.1:${p}`, '--status-listen', `127.0.0.1:${s}`, '--workers', String(workers), '--prefix', join(outside, `dp-${workers}`)],
      `http://127.0.0.1:${s}/status/ready`,
    );
  });
  afterAll(async () => {
    expect(await node?.stop()).toBe(0);
  });

  it('stamps the request upstream and the response', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${proxy}/x`, { headers: { 'x-client': 'me', connection: 'close' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-stamp')).toBe('from-outside');
      expect(((await res.json()) as { headers: Record<string, string> }).headers['x-stamp']).toBe('from-outside');
    }
  });

  it('answers early from its access handler', async () => {
    const res = await fetch(`${proxy}/x`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: 'missing header x-client' });
  });
});

describe('a traditional node validates and runs the custom plugin through the Admin API', () => {
  let node: RunningNode;
  let admin: string;
  let proxy: string;
  beforeAll(async () => {
    const [a, p] = [await freePort(), await freePort()];
    admin = `http://127.0.0.1:${a}`;
    proxy = `http://127.0.0.1:${p}`;
    node = await startNode(
      ['--prefix', join(outside, 'traditional'), '--admin-listen', `127.0.0.1:${a}`, '--proxy-listen', `127.0.0.1:${p}`, '--workers', '1', '--plugins', 'bundled,./header-stamp'],
      `${admin}/status`,
      {},
      outside,
    );
  });
  afterAll(async () => {
    expect(await node?.stop()).toBe(0);
  });

  const post = (path: string, body: unknown) => fetch(admin + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('lists it as enabled and serves its schema', async () => {
    const enabled = (await (await fetch(`${admin}/plugins/enabled`)).json()) as { enabled_plugins: string[] };
    expect(enabled.enabled_plugins).toContain('header-stamp');
    expect(enabled.enabled_plugins).toContain('key-auth');
    expect((await fetch(`${admin}/schemas/plugins/header-stamp`)).status).toBe(200);
  });

  it('answers 400 naming the field for an invalid config, 201 for a valid one, and the proxy runs it', async () => {
    expect((await post('/services', { name: 's', url: up.url })).status).toBe(201);
    expect((await post('/services/s/routes', { name: 'r', paths: ['/'] })).status).toBe(201);
    const bad = await post('/plugins', { name: 'header-stamp', config: { value: '' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: { config: Record<string, unknown> } }).fields.config).toHaveProperty('value');
    expect((await post('/plugins', { name: 'header-stamp', config: { value: 'admin-made' } })).status).toBe(201);
    let res: Response | undefined;
    for (const deadline = Date.now() + 3000; Date.now() < deadline; ) {
      res = await fetch(`${proxy}/y`);
      if (res.headers.get('x-stamp') === 'admin-made') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(res?.headers.get('x-stamp')).toBe('admin-made');
  });
});

describe('hybrid mode: the control plane validates the custom plugin, the data plane runs it', () => {
  let files: ClusterFiles;
  let cp: ControlPlaneNode;
  let dp: DataPlaneNode;
  beforeAll(async () => {
    files = await writeClusterCerts();
    const tls = ['--cluster-cert', files.shared.cert, '--cluster-cert-key', files.shared.key];
    const plugins = ['--plugins', `bundled,${pluginDir}`];
    cp = await startControlPlane(join(outside, 'cp'), tls, plugins);
    dp = await startDataPlane(join(outside, 'dp'), cp.clusterPort, tls, plugins);
  });
  afterAll(async () => {
    expect(await dp?.node.stop()).toBe(0);
    expect(await cp?.node.stop()).toBe(0);
    files?.cleanup();
  });

  const post = (path: string, body: unknown) => fetch(cp.admin + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('refuses an invalid config at the Admin API and runs a valid one on the data plane', async () => {
    expect((await post('/services', { name: 'hs', url: up.url })).status).toBe(201);
    expect((await post('/services/hs/routes', { name: 'hr', paths: ['/hybrid'] })).status).toBe(201);
    const bad = await post('/plugins', { name: 'header-stamp', config: { value: '' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: { config: Record<string, unknown> } }).fields.config).toHaveProperty('value');
    expect((await post('/services/hs/plugins', { name: 'header-stamp', config: { value: 'via-cp' } })).status).toBe(201);
    const res = await until(() => fetch(`${dp.proxy}/hybrid/x`), (r) => r.headers.get('x-stamp') === 'via-cp');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-stamp')).toBe('via-cp');
  });
});
