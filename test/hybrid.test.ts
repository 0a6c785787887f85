// Hybrid mode with real processes, real TLS and real stores: a control plane and two data planes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, startDataPlane, statusOf, until, writeClusterCerts, type ClusterFiles, type ControlPlaneNode, type DataPlaneNode } from './support/hybrid.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

const temp = () => mkdtempSync(join(tmpdir(), 'tollgate-hybrid-node-'));

describe('hybrid mode (shared certificate, embedded store)', () => {
  let files: ClusterFiles;
  let cp: ControlPlaneNode;
  let dps: DataPlaneNode[] = [];
  let up: Upstream;
  let tls: string[];
  const dpPrefixes = [temp(), temp()];
  const cpPrefix = temp();

  beforeAll(async () => {
    files = await writeClusterCerts();
    up = await startUpstream('hybrid-upstream');
    tls = ['--cluster-cert', files.shared.cert, '--cluster-cert-key', files.shared.key];
    cp = await startControlPlane(cpPrefix, tls);
    dps = [await startDataPlane(dpPrefixes[0]!, cp.clusterPort, tls), await startDataPlane(dpPrefixes[1]!, cp.clusterPort, tls)];
  });
  afterAll(async () => {
    for (const dp of dps) await dp.node.stop();
    await cp?.node.stop();
    await up?.close();
    files?.cleanup();
  });

  it('serves a route created through the Admin API on both data planes', async () => {
    const post = (path: string, body: unknown) => fetch(cp.admin + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/services', { name: 'orders', url: `${up.url}/v1` })).status).toBe(201);
    expect((await post('/services/orders/routes', { name: 'orders', paths: ['/orders'] })).status).toBe(201);
    for (const dp of dps) {
      expect(await until(() => statusOf(`${dp.proxy}/orders/1`), (s) => s === 200)).toBe(200);
    }
    const res = await fetch(`${dps[0]!.proxy}/orders/42`);
    expect(((await res.json()) as { url: string }).url).toBe('/v1/42');
  });

  it('shows both data planes in sync on /clustering/data-planes', async () => {
    const body = await until(
      async () => (await (await fetch(`${cp.admin}/clustering/data-planes`)).json()) as { data: Array<{ sync_status: string; connected: boolean; config_hash: string; ip: string }> },
      (b) => b.data.length === 2 && b.data.every((d) => d.sync_status === 'in_sync'),
    );
    expect(body.data).toHaveLength(2);
    for (const d of body.data) expect(d).toMatchObject({ connected: true, sync_status: 'in_sync', ip: '127.0.0.1' });
    expect(body.data[0]!.config_hash).toMatch(/^[0-9a-f]{64}$/);
    const status = (await (await fetch(`${dps[0]!.status}/status`)).json()) as { control_plane: { link: string } };
    expect(status.control_plane.link).toBe('connected');
  });

  it('reports each data plane on the control plane’s /metrics, in Kong’s families', async () => {
    const planes = ((await (await fetch(`${cp.admin}/clustering/data-planes`)).json()) as { data: Array<{ id: string; hostname: string; config_hash: string }> }).data;
    expect(planes).toHaveLength(2);
    const res = await fetch(`${cp.admin}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^kong_node_info\{node_id="[0-9a-f-]{36}",version="0\.1\.0"\} 1$/m);
    for (const dp of planes) {
      const labels = `node_id="${dp.id}",hostname="${dp.hostname}",ip="127.0.0.1"`;
      expect(text).toContain(`kong_data_plane_last_seen{${labels}} `);
      expect(text).toContain(`kong_data_plane_config_hash{${labels}} ${parseInt(dp.config_hash.slice(0, 13), 16)}`);
      expect(text).toContain(`kong_data_plane_version_compatible{${labels},kong_version="0.1.0"} 1`);
    }
  });

  it('keeps serving when the control plane dies, and a restarted data plane serves from its cache', async () => {
    await cp.node.stop();
    expect(await statusOf(`${dps[0]!.proxy}/orders/1`)).toBe(200);
    await dps[0]!.node.stop();
    const dp = await startDataPlane(dpPrefixes[0]!, cp.clusterPort, tls);
    dps[0] = dp;
    expect(await until(() => statusOf(`${dp.proxy}/orders/1`), (s) => s === 200, 5000)).toBe(200);
    const ready = await fetch(`${dp.status}/status/ready`);
    expect(ready.status).toBe(200);
    cp = await startControlPlane(cpPrefix, tls, [], cp.clusterPort);
  });
});
