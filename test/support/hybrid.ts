// A hybrid-mode cluster of real processes: control planes and data planes started through the CLI,
// with certificates made on the fly in a temp folder.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClusterCertificates } from '@tollgate/data-plane';
import { freePort, startNode, type RunningNode } from './cli.ts';

export interface ClusterFiles {
  dir: string;
  shared: { cert: string; key: string };
  pki: { ca: string; cpCert: string; cpKey: string; dpCert: string; dpKey: string };
  cleanup(): void;
}

export async function writeClusterCerts(): Promise<ClusterFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-hybrid-'));
  const certs = await generateClusterCertificates({ serverName: 'tollgate-control-plane' });
  const w = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  return {
    dir,
    shared: { cert: w('cluster.crt', certs.shared.cert), key: w('cluster.key', certs.shared.key) },
    pki: {
      ca: w('ca.crt', certs.ca.cert),
      cpCert: w('cp.crt', certs.controlPlane.cert),
      cpKey: w('cp.key', certs.controlPlane.key),
      dpCert: w('dp.crt', certs.dataPlane.cert),
      dpKey: w('dp.key', certs.dataPlane.key),
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ControlPlaneNode {
  node: RunningNode;
  admin: string;
  clusterPort: number;
}

export async function startControlPlane(prefix: string, tlsArgs: string[], extra: string[] = [], clusterPort?: number): Promise<ControlPlaneNode> {
  const adminPort = await freePort();
  const port = clusterPort ?? (await freePort());
  const node = await startNode(
    ['--role', 'control_plane', '--prefix', prefix, '--admin-listen', `127.0.0.1:${adminPort}`, '--cluster-listen', `127.0.0.1:${port}`, ...tlsArgs, ...extra],
    `http://127.0.0.1:${adminPort}/status`,
  );
  return { node, admin: `http://127.0.0.1:${adminPort}`, clusterPort: port };
}

export interface DataPlaneNode {
  node: RunningNode;
  proxy: string;
  status: string;
}

export async function startDataPlane(prefix: string, clusterPort: number, tlsArgs: string[], extra: string[] = []): Promise<DataPlaneNode> {
  const [p, s] = [await freePort(), await freePort()];
  const node = await startNode(
    ['--role', 'data_plane', '--prefix', prefix, '--cluster-control-plane', `127.0.0.1:${clusterPort}`, '--proxy-listen', `127.0.0.1:${p}`, '--status-listen', `127.0.0.1:${s}`, '--workers', '1', ...tlsArgs, ...extra],
    `http://127.0.0.1:${s}/status`,
  );
  return { node, proxy: `http://127.0.0.1:${p}`, status: `http://127.0.0.1:${s}` };
}

/** Polls until `ok(value)` or the deadline; returns the last value. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    let value: T | undefined;
    try {
      value = await fn();
      if (ok(value)) return value;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      if (value === undefined) throw new Error('condition never became true');
      return value;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const statusOf = async (url: string) => (await fetch(url)).status;

// ---- helpers for the failure and Postgres hybrid tests ----

/** One entry of GET /clustering/data-planes, as a client sees it. */
export interface DataPlaneEntry {
  id: string;
  hostname: string;
  ip: string;
  connected: boolean;
  sync_status: string;
  config_version: number;
  config_hash: string;
  error: string | null;
  cert_expiry: number | null;
  last_sync: { kind: 'delta' | 'snapshot'; version: number; bytes: number } | null;
}

/** GET /clustering/data-planes on a control plane's Admin API. */
export async function listDataPlanes(admin: string): Promise<DataPlaneEntry[]> {
  const res = await fetch(`${admin}/clustering/data-planes`);
  if (res.status !== 200) throw new Error(`GET /clustering/data-planes answered ${res.status}`);
  return ((await res.json()) as { data: DataPlaneEntry[] }).data;
}

/** The id a node keeps in PREFIX/node_id (written on its first start). */
export function nodeIdOf(prefix: string): string {
  return readFileSync(join(prefix, 'node_id'), 'utf8').trim();
}

/** An Admin API call with a JSON body. */
export function adminRequest(admin: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(admin + path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
}

/** The control plane's config version (GET /status), or null when its database is unreachable. */
export async function configVersionOf(admin: string): Promise<number | null> {
  return ((await (await fetch(`${admin}/status`)).json()) as { configuration_version: number | null }).configuration_version;
}

/** A data plane's GET /status. */
export async function dataPlaneStatus(dp: DataPlaneNode): Promise<{ configuration_version: number | null; configuration_hash: string | null; control_plane: { link: string; version: number | null } | null }> {
  return (await fetch(`${dp.status}/status`)).json() as Promise<never>;
}

/** Waits until the control plane lists data plane `id` in sync at its current config version. */
export async function untilInSync(admin: string, id: string, ms = 10_000): Promise<DataPlaneEntry | undefined> {
  return until(
    async () => {
      const version = await configVersionOf(admin);
      const entry = (await listDataPlanes(admin)).find((d) => d.id === id);
      return { entry, ok: entry !== undefined && entry.sync_status === 'in_sync' && entry.config_version === version };
    },
    (v) => v.ok,
    ms,
  ).then((v) => v.entry);
}

/** Writes PEM text into `dir` (mode 0600) and returns the path. */
export function writePem(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, name), text, { mode: 0o600 });
  return join(dir, name);
}

/** A temp-folder maker whose folders are all removed by `cleanup()` (call it in afterAll). */
export function tempDirs(prefix: string): { make(): string; cleanup(): void } {
  const dirs: string[] = [];
  return {
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
