// Hybrid mode when things go wrong, with real processes, real TLS and real files: PKI certificates,
// data planes the control plane must refuse, a damaged disk cache, a config a data plane cannot run,
// and a data plane that comes back a few versions behind and is sent only what changed.
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigCache, deriveCacheKey, generateClusterCertificates, issueCertificate, type ClusterCertificates } from '@tollgate/data-plane';
import {
  adminRequest,
  configVersionOf,
  dataPlaneStatus,
  listDataPlanes,
  nodeIdOf,
  startControlPlane,
  startDataPlane,
  statusOf,
  tempDirs,
  until,
  untilInSync,
  writeClusterCerts,
  writePem,
  type ClusterFiles,
  type ControlPlaneNode,
  type DataPlaneNode,
} from './support/hybrid.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

const temps = tempDirs('tollgate-hybrid-fail-');
const temp = temps.make;
afterAll(temps.cleanup);

const NOT_READY = 'no configuration loaded yet: this data plane has not received a valid config';
const HANDSHAKE_REFUSAL = /refused a data plane from (\S+) at the TLS handshake: (.*)$/gm;

/** The TLS refusals the control plane logged after `mark` (an offset into its output). */
function refusalsSince(cp: ControlPlaneNode, mark: number): string[] {
  return [...cp.node.output().slice(mark).matchAll(HANDSHAKE_REFUSAL)].map((m) => m[0]);
}

describe('hybrid mode with a cluster CA (pki)', () => {
  let certs: ClusterCertificates;
  let caFile: string;
  let cp: ControlPlaneNode;
  let dp: DataPlaneNode;
  let up: Upstream;
  let pki: string[];
  const extra: DataPlaneNode[] = [];
  const dpPrefix = temp();
  const certDir = temp();

  /** Certificate flags of a pki-mode data plane presenting `cert`/`key` and trusting the right CA. */
  const dpTls = (cert: string, key: string) => ['--cluster-mtls', 'pki', '--cluster-ca-cert', caFile, '--cluster-server-name', 'tollgate-control-plane', '--cluster-cert', cert, '--cluster-cert-key', key];
  const startExtra = async (prefix: string, tls: string[], more: string[] = []) => {
    const node = await startDataPlane(prefix, cp.clusterPort, tls, more);
    extra.push(node);
    return node;
  };
  const stopExtra = async (node: DataPlaneNode) => {
    await node.node.stop();
    extra.splice(extra.indexOf(node), 1);
  };

  beforeAll(async () => {
    // Made here rather than with writeClusterCerts: the expired certificate needs the CA's key.
    certs = await generateClusterCertificates({ serverName: 'tollgate-control-plane' });
    caFile = writePem(certDir, 'ca.crt', certs.ca.cert);
    up = await startUpstream('pki-upstream');
    pki = dpTls(writePem(certDir, 'dp.crt', certs.dataPlane.cert), writePem(certDir, 'dp.key', certs.dataPlane.key));
    const cpTls = ['--cluster-cert', writePem(certDir, 'cp.crt', certs.controlPlane.cert), '--cluster-cert-key', writePem(certDir, 'cp.key', certs.controlPlane.key)];
    cp = await startControlPlane(temp(), ['--cluster-mtls', 'pki', '--cluster-ca-cert', caFile, ...cpTls]);
    dp = await startDataPlane(dpPrefix, cp.clusterPort, pki);
  });
  afterAll(async () => {
    for (const node of extra) await node.node.stop();
    await dp?.node.stop();
    await cp?.node.stop();
    await up?.close();
  });

  it('serves a route created on the control plane through a data plane with a CA-signed certificate', async () => {
    expect((await adminRequest(cp.admin, 'POST', '/services', { name: 'orders', url: `${up.url}/v1` })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'POST', '/services/orders/routes', { name: 'orders', paths: ['/orders'] })).status).toBe(201);
    expect(await until(() => statusOf(`${dp.proxy}/orders/7`), (s) => s === 200)).toBe(200);
    const res = await fetch(`${dp.proxy}/orders/7`);
    expect(((await res.json()) as { url: string }).url).toBe('/v1/7');

    const entry = await untilInSync(cp.admin, nodeIdOf(dpPrefix));
    expect(entry).toMatchObject({ connected: true, sync_status: 'in_sync', ip: '127.0.0.1' });
    // The data-plane certificate's expiry (3 years out) is reported from the certificate itself.
    expect(entry!.cert_expiry! * 1000).toBeGreaterThan(Date.now() + 365 * 86_400_000);
    expect((await dataPlaneStatus(dp)).control_plane?.link).toBe('connected');
  });

  describe('refusals at the TLS handshake', () => {
    const caught: Record<string, string[]> = {};

    /** Starts a data plane with `cert`/`key`, waits for two refusals, checks it never got in. */
    async function expectRefused(label: string, cert: string, key: string): Promise<void> {
      const mark = cp.node.output().length;
      const prefix = temp();
      const bad = await startExtra(prefix, dpTls(cert, key));
      // Two refusals: the first attempt and a retry after the backoff.
      const refusals = await until(async () => refusalsSince(cp, mark), (r) => r.length >= 2, 15_000);
      caught[label] = refusals;
      expect(refusals.length, `control plane output:\n${cp.node.output().slice(mark)}`).toBeGreaterThanOrEqual(2);

      const listed = await listDataPlanes(cp.admin);
      expect(listed.map((d) => d.id)).not.toContain(nodeIdOf(prefix));
      expect(listed.map((d) => d.id)).toEqual([nodeIdOf(dpPrefix)]);
      expect((await dataPlaneStatus(bad)).control_plane?.link).not.toBe('connected');
      // It never got a config, so it serves nothing and says why.
      const res = await fetch(`${bad.proxy}/orders/1`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { message: string }).message).toBe(NOT_READY);
      expect((await fetch(`${bad.status}/status/ready`)).status).toBe(503);
      expect(bad.node.output()).toMatch(/control plane link error/);
      await stopExtra(bad);
    }

    it('refuses a data plane whose certificate comes from another CA', async () => {
      const other = await generateClusterCertificates();
      const dir = temp();
      await expectRefused('other CA', writePem(dir, 'dp.crt', other.dataPlane.cert), writePem(dir, 'dp.key', other.dataPlane.key));
    });

    it('refuses a data plane whose certificate, signed by the cluster CA, has expired', async () => {
      const expired = await issueCertificate({ commonName: 'tollgate-data-plane', usages: ['clientAuth'], issuer: certs.ca, days: -1 });
      const dir = temp();
      await expectRefused('expired', writePem(dir, 'dp.crt', expired.cert), writePem(dir, 'dp.key', expired.key));
    });

    it('refuses a client that presents no certificate at all', async () => {
      const mark = cp.node.output().length;
      const before = (await listDataPlanes(cp.admin)).length;
      const outcome = await new Promise<{ opened: boolean; error: string | undefined }>((resolve) => {
        // Trusts the cluster CA and checks the control plane's name, like a data plane, but has no certificate.
        const options: WebSocket.ClientOptions & ConnectionOptions = { ca: certs.ca.cert, servername: 'tollgate-control-plane', handshakeTimeout: 5000 };
        const ws = new WebSocket(`wss://127.0.0.1:${cp.clusterPort}/v1/outlet`, options);
        let opened = false;
        let error: string | undefined;
        ws.on('open', () => (opened = true));
        ws.on('error', (err) => (error = err.message));
        ws.on('close', () => resolve({ opened, error }));
      });
      expect(outcome.opened).toBe(false);
      // Dropped right after the handshake, before any HTTP: the client sees the connection end.
      expect(outcome.error).toMatch(/certificate required|socket hang up|ECONNRESET/);
      const refusals = await until(async () => refusalsSince(cp, mark), (r) => r.length >= 1);
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatch(/refused a data plane from 127\.0\.0\.1 at the TLS handshake: .*peer did not return a certificate/);
      expect(await listDataPlanes(cp.admin)).toHaveLength(before);
    });

    // The control plane checks the certificate itself right after the handshake, so its log names the
    // address and the reason (node's own rejectUnauthorized would only say "socket hang up").
    it('logs why and from where a certificate from another CA was refused', () => {
      expect(caught['other CA']?.[0]).toMatch(/refused a data plane from 127\.0\.0\.1 at the TLS handshake: .*(unable to verify|UNABLE_TO_VERIFY_LEAF_SIGNATURE|unknown ca)/i);
    });

    it('logs why and from where an expired certificate was refused', () => {
      expect(caught['expired']?.[0]).toMatch(/refused a data plane from 127\.0\.0\.1 at the TLS handshake: .*(expired|CERT_HAS_EXPIRED)/i);
    });
  });

  it('keeps serving its last good config when sent a plugin it does not have, and reports it failed until the plugin goes', async () => {
    const prefix = temp();
    expect((await adminRequest(cp.admin, 'POST', '/services', { name: 'limits', url: `${up.url}/limits` })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'POST', '/services/limits/routes', { name: 'limits', paths: ['/limits'] })).status).toBe(201);
    const lean = await startExtra(prefix, pki, ['--plugins', 'correlation-id']);
    const id = nodeIdOf(prefix);
    expect(await until(() => statusOf(`${lean.proxy}/limits`), (s) => s === 200)).toBe(200);
    const good = await untilInSync(cp.admin, id);
    expect(good?.sync_status).toBe('in_sync');
    const goodVersion = (await dataPlaneStatus(lean)).configuration_version;

    const body = 'x'.repeat(100);
    const created = await adminRequest(cp.admin, 'POST', '/plugins', { name: 'request-size-limiting', config: { allowed_payload_size: 10, size_unit: 'bytes' } });
    expect(created.status).toBe(201);
    const pluginId = ((await created.json()) as { id: string }).id;

    // The data plane with every bundled plugin enforces it …
    expect(await until(() => fetch(`${dp.proxy}/limits`, { method: 'POST', body }).then((r) => r.status), (s) => s === 413)).toBe(413);
    // … the lean one refuses the config whole, and the control plane shows why.
    const failed = await until(
      async () => (await listDataPlanes(cp.admin)).find((d) => d.id === id),
      (d) => d?.sync_status === 'failed',
    );
    expect(failed).toMatchObject({ connected: true, sync_status: 'failed' });
    expect(failed!.error).toMatch(/request-size-limiting/);
    expect(lean.node.output()).toMatch(/rejected; keeping version \d+: plugins not available on this data plane: 'request-size-limiting'/);
    // It still serves its last good config: the body passes, the version has not moved.
    const res = await fetch(`${lean.proxy}/limits`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: string }).body).toBe(body);
    expect((await dataPlaneStatus(lean)).configuration_version).toBe(goodVersion);
    expect((await fetch(`${lean.status}/status/ready`)).status).toBe(200);

    expect((await adminRequest(cp.admin, 'DELETE', `/plugins/${pluginId}`)).status).toBe(204);
    const back = await untilInSync(cp.admin, id);
    expect(back).toMatchObject({ connected: true, sync_status: 'in_sync', error: null });
    expect(back!.config_version).toBe(await configVersionOf(cp.admin));
    expect(await until(() => fetch(`${dp.proxy}/limits`, { method: 'POST', body }).then((r) => r.status), (s) => s === 200)).toBe(200);
    expect((await fetch(`${lean.proxy}/limits`, { method: 'POST', body })).status).toBe(200);
    await stopExtra(lean);
  });

  it('serves and acknowledges a config it could not write to its disk cache, and says so', async () => {
    const prefix = temp();
    const node = await startExtra(prefix, pki);
    const id = nodeIdOf(prefix);
    expect((await untilInSync(cp.admin, id))?.sync_status).toBe('in_sync');
    // The cache folder becomes a file: every write into it fails (ENOTDIR), as a full disk's would.
    rmSync(join(prefix, 'cache'), { recursive: true, force: true });
    writeFileSync(join(prefix, 'cache'), 'not a folder');
    expect((await adminRequest(cp.admin, 'POST', '/services', { name: 'uncached', url: `${up.url}/uncached` })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'POST', '/services/uncached/routes', { name: 'uncached', paths: ['/uncached'] })).status).toBe(201);
    expect(await until(() => statusOf(`${node.proxy}/uncached`), (s) => s === 200)).toBe(200);
    const synced = await untilInSync(cp.admin, id);
    expect(synced).toMatchObject({ sync_status: 'in_sync', error: null, config_version: await configVersionOf(cp.admin) });
    expect(node.node.output()).toMatch(/config version \d+ is applied but could not be written to the disk cache/);
    await stopExtra(node);
  });

  it('sends a data plane that restarts a few versions behind only a delta, and a new one the snapshot', async () => {
    // Enough config that two changes are a small part of it: the control plane sends a delta only
    // when it is under half the (deflated) snapshot, so a handful of entities always get a snapshot.
    for (let i = 0; i < 30; i++) {
      expect((await adminRequest(cp.admin, 'POST', '/services', { name: `svc-${i}`, url: `${up.url}/svc-${i}` })).status).toBe(201);
      expect((await adminRequest(cp.admin, 'POST', `/services/svc-${i}/routes`, { name: `svc-${i}`, paths: [`/svc-${i}`] })).status).toBe(201);
    }
    const prefix = temp();
    let behind = await startExtra(prefix, pki);
    const id = nodeIdOf(prefix);
    expect(await until(() => statusOf(`${behind.proxy}/svc-29`), (s) => s === 200)).toBe(200);
    const synced = await untilInSync(cp.admin, id);
    expect(synced?.last_sync?.kind).toBe('snapshot');
    const n = synced!.config_version;
    await stopExtra(behind);

    // Two changes while it is away: a new route, and a service moved to another path.
    expect((await adminRequest(cp.admin, 'POST', '/services/svc-0/routes', { name: 'svc-0-new', paths: ['/delta-new'] })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'PATCH', '/services/svc-1', { path: '/moved' })).status).toBe(200);
    const latest = await configVersionOf(cp.admin);
    expect(latest).toBe(n + 2);

    behind = await startExtra(prefix, pki);
    // From its cache it serves version N at once, then catches up from the delta.
    expect(await until(() => statusOf(`${behind.proxy}/delta-new`), (s) => s === 200)).toBe(200);
    const entry = await untilInSync(cp.admin, id);
    expect(entry).toMatchObject({ connected: true, sync_status: 'in_sync', config_version: latest });
    expect(entry!.last_sync).toMatchObject({ kind: 'delta', version: latest });
    expect(entry!.last_sync!.bytes).toBeLessThan(1024);
    expect(behind.node.output()).toMatch(new RegExp(`serving config version ${n} from the disk cache`));
    const moved = await until(async () => ((await (await fetch(`${behind.proxy}/svc-1/x`)).json()) as { url: string }).url, (u) => u === '/moved/x');
    expect(moved).toBe('/moved/x');

    const freshPrefix = temp();
    const fresh = await startExtra(freshPrefix, pki);
    expect(await until(() => statusOf(`${fresh.proxy}/delta-new`), (s) => s === 200)).toBe(200);
    const freshEntry = await untilInSync(cp.admin, nodeIdOf(freshPrefix));
    expect(freshEntry!.last_sync).toMatchObject({ kind: 'snapshot', version: latest });
    expect(freshEntry!.last_sync!.bytes).toBeGreaterThan(entry!.last_sync!.bytes);
    await stopExtra(fresh);
    await stopExtra(behind);
  });
});

describe('hybrid mode with a damaged disk cache', () => {
  let files: ClusterFiles;
  let cp: ControlPlaneNode;
  let dp: DataPlaneNode | undefined;
  let up: Upstream;
  let tls: string[];
  const cpPrefix = temp();
  const dpPrefix = temp();
  const current = join(dpPrefix, 'cache', 'config.cache');
  const previous = join(dpPrefix, 'cache', 'config.cache.prev');
  let v2: number;

  beforeAll(async () => {
    files = await writeClusterCerts();
    up = await startUpstream('cache-upstream');
    tls = ['--cluster-cert', files.shared.cert, '--cluster-cert-key', files.shared.key];
    cp = await startControlPlane(cpPrefix, tls);
    // Generation 1 (/gen1) is in the data plane's first config, generation 2 adds /gen2: the cache
    // then holds both, config.cache (with /gen2) and config.cache.prev (without).
    expect((await adminRequest(cp.admin, 'POST', '/services', { name: 'cache', url: up.url })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'POST', '/services/cache/routes', { name: 'gen1', paths: ['/gen1'] })).status).toBe(201);
    dp = await startDataPlane(dpPrefix, cp.clusterPort, tls);
    const first = await untilInSync(cp.admin, nodeIdOf(dpPrefix));
    expect(first?.sync_status).toBe('in_sync');
    expect((await adminRequest(cp.admin, 'POST', '/services/cache/routes', { name: 'gen2', paths: ['/gen2'] })).status).toBe(201);
    v2 = (await configVersionOf(cp.admin))!;
    const second = await untilInSync(cp.admin, nodeIdOf(dpPrefix));
    expect(second?.config_version).toBe(v2);
    expect(await statusOf(`${dp.proxy}/gen2`)).toBe(200);
    const cached = await createConfigCache({ dir: join(dpPrefix, 'cache'), key: deriveCacheKey(readFileSync(files.shared.key, 'utf8')) }).read();
    expect(cached).toMatchObject({ ok: true, generation: 'current', entry: { version: v2 } });
    await dp.node.stop();
    dp = undefined;
    await cp.node.stop();
  });
  afterAll(async () => {
    await dp?.node.stop();
    await cp?.node.stop();
    await up?.close();
    files?.cleanup();
  });

  it('falls back to config.cache.prev when config.cache is damaged, and serves it with no control plane', async () => {
    const bytes = readFileSync(current);
    // Flip bytes in the sealed body: the file keeps its length, only the authentication tag can tell.
    for (const at of [bytes.length - 40, bytes.length - 41]) bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(current, bytes);

    dp = await startDataPlane(dpPrefix, cp.clusterPort, tls);
    expect(await until(() => statusOf(`${dp!.proxy}/gen1`), (s) => s === 200, 5000)).toBe(200);
    // The previous generation does not have /gen2.
    expect(await statusOf(`${dp.proxy}/gen2`)).toBe(404);
    expect((await fetch(`${dp.status}/status/ready`)).status).toBe(200);
    const status = await dataPlaneStatus(dp);
    expect(status.configuration_version).toBeLessThan(v2);
    expect(status.control_plane?.link).not.toBe('connected');
    expect(dp.node.output()).toMatch(/serving config version \d+ from the disk cache \(previous generation\)/);
  });

  it('says why config.cache was passed over when it falls back to config.cache.prev', () => {
    expect(dp!.node.output()).toMatch(/config\.cache: corrupted/);
  });

  it('serves nothing from a cache whose two generations are damaged, and says why', async () => {
    await dp!.node.stop();
    dp = undefined;
    truncateSync(previous, Math.floor(readFileSync(previous).length / 2));

    dp = await startDataPlane(dpPrefix, cp.clusterPort, tls);
    const res = await fetch(`${dp.proxy}/gen1`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toBe(NOT_READY);
    const ready = await fetch(`${dp.status}/status/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { message: string }).message).toBe('no configuration loaded yet');
    expect((await dataPlaneStatus(dp)).configuration_version).toBeNull();
    const out = dp.node.output();
    expect(out).toMatch(/no usable disk cache: config\.cache: corrupted: authentication failed[^\n]*; config\.cache\.prev: truncated: \d+ of \d+ bytes/);
    expect(out).not.toMatch(/from the disk cache/);
  });

  it('recovers once the control plane is back, and rewrites a good cache', async () => {
    cp = await startControlPlane(cpPrefix, tls, [], cp.clusterPort);
    expect(await until(() => statusOf(`${dp!.proxy}/gen2`), (s) => s === 200, 30_000)).toBe(200);
    expect((await fetch(`${dp!.status}/status/ready`)).status).toBe(200);
    expect((await untilInSync(cp.admin, nodeIdOf(dpPrefix)))?.sync_status).toBe('in_sync');
    const cached = await createConfigCache({ dir: join(dpPrefix, 'cache'), key: deriveCacheKey(readFileSync(files.shared.key, 'utf8')) }).read();
    expect(cached).toMatchObject({ ok: true, generation: 'current', entry: { version: v2 } });
  });
});
