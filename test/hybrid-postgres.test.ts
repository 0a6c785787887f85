// Hybrid mode on Postgres with real processes: two control planes sharing one database (a change made
// through either reaches data planes connected to the other, by LISTEN/NOTIFY), and a control plane
// that loses its database but keeps handing data planes the last config it built.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
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
  type ClusterFiles,
  type ControlPlaneNode,
  type DataPlaneNode,
} from './support/hybrid.ts';
import { createTestDatabase, postgresAvailable, postgresSkipReason, privatePostgresAvailable, startPrivatePostgres, type PgCluster } from './support/postgres.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

const temps = tempDirs('tollgate-hybrid-pg-');
const temp = temps.make;
afterAll(temps.cleanup);

async function migrate(pgUrl: string): Promise<void> {
  const result = await runCli(['migrations', 'up', '--pg-url', pgUrl]);
  expect(result.code, result.stderr).toBe(0);
}

describe.skipIf(!postgresAvailable())(`hybrid mode with two control planes on one Postgres database${postgresSkipReason()}`, () => {
  let files: ClusterFiles;
  let tls: string[];
  let a: ControlPlaneNode;
  let b: ControlPlaneNode;
  let up: Upstream;
  const dps: DataPlaneNode[] = [];
  const dpPrefixes = [temp(), temp()];

  beforeAll(async () => {
    const url = await createTestDatabase();
    await migrate(url);
    files = await writeClusterCerts();
    up = await startUpstream('pg-upstream');
    tls = ['--cluster-cert', files.shared.cert, '--cluster-cert-key', files.shared.key];
    [a, b] = await Promise.all([startControlPlane(temp(), tls, ['--pg-url', url]), startControlPlane(temp(), tls, ['--pg-url', url])]);
    for (const prefix of dpPrefixes) dps.push(await startDataPlane(prefix, a.clusterPort, tls));
  });
  afterAll(async () => {
    for (const dp of dps) await dp.node.stop();
    await a?.node.stop();
    await b?.node.stop();
    await up?.close();
    files?.cleanup();
  });

  it("serves a route created through control plane B's Admin API on the data planes connected to A", async () => {
    expect((await adminRequest(b.admin, 'POST', '/services', { name: 'billing', url: `${up.url}/billing` })).status).toBe(201);
    expect((await adminRequest(b.admin, 'POST', '/services/billing/routes', { name: 'billing', paths: ['/billing'] })).status).toBe(201);
    for (const dp of dps) expect(await until(() => statusOf(`${dp.proxy}/billing/1`), (s) => s === 200)).toBe(200);
    const res = await fetch(`${dps[1]!.proxy}/billing/9`);
    expect(((await res.json()) as { url: string }).url).toBe('/billing/9');
    // A and B read the same database, so they agree on the version.
    expect(await configVersionOf(a.admin)).toBe(await configVersionOf(b.admin));
  });

  it('lists both data planes on control plane A, in sync with the version B wrote', async () => {
    for (const prefix of dpPrefixes) expect((await untilInSync(a.admin, nodeIdOf(prefix)))?.sync_status).toBe('in_sync');
    const listed = await listDataPlanes(a.admin);
    expect(listed.map((d) => d.id).sort()).toEqual(dpPrefixes.map(nodeIdOf).sort());
    const version = await configVersionOf(b.admin);
    for (const d of listed) expect(d).toMatchObject({ connected: true, sync_status: 'in_sync', config_version: version, ip: '127.0.0.1' });
    expect(listed[0]!.config_hash).toBe(listed[1]!.config_hash);
    expect((await dataPlaneStatus(dps[0]!)).control_plane?.link).toBe('connected');
  });

  it('lists the data planes connected to A on control plane B too, through the shared database', async () => {
    const ids = dpPrefixes.map(nodeIdOf).sort();
    const onB = await until(
      () => listDataPlanes(b.admin),
      (l) => l.filter((d) => ids.includes(d.id) && d.connected && d.sync_status === 'in_sync').length === ids.length,
    );
    expect(onB.filter((d) => ids.includes(d.id)).map((d) => d.id).sort()).toEqual(ids);
    for (const d of onB.filter((x) => ids.includes(x.id))) expect(d).toMatchObject({ connected: true, sync_status: 'in_sync', config_version: await configVersionOf(a.admin), ip: '127.0.0.1' });
    // B's /metrics reports them too, as Kong's control planes read them from the database.
    const metrics = await (await fetch(`${b.admin}/metrics`)).text();
    for (const id of ids) expect(metrics).toMatch(new RegExp(`^kong_data_plane_last_seen\\{node_id="${id}",`, 'm'));
  });

  it("follows a change and a deletion made through B in turn", async () => {
    expect((await adminRequest(b.admin, 'PATCH', '/services/billing', { path: '/v2' })).status).toBe(200);
    for (const dp of dps) {
      const url = await until(async () => ((await (await fetch(`${dp.proxy}/billing/3`)).json()) as { url: string }).url, (u) => u === '/v2/3');
      expect(url).toBe('/v2/3');
    }
    expect((await adminRequest(b.admin, 'DELETE', '/routes/billing')).status).toBe(204);
    for (const dp of dps) expect(await until(() => statusOf(`${dp.proxy}/billing/1`), (s) => s === 404)).toBe(404);
  });
});

describe.skipIf(!privatePostgresAvailable())('a control plane whose Postgres goes down (skipped without Postgres binaries)', () => {
  let pg: PgCluster;
  let files: ClusterFiles;
  let tls: string[];
  let cp: ControlPlaneNode;
  let up: Upstream;
  const dps: DataPlaneNode[] = [];

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    await migrate(pg.url);
    files = await writeClusterCerts();
    up = await startUpstream('outage-upstream');
    tls = ['--cluster-cert', files.shared.cert, '--cluster-cert-key', files.shared.key];
    cp = await startControlPlane(temp(), tls, ['--pg-url', pg.url]);
    expect((await adminRequest(cp.admin, 'POST', '/services', { name: 'stock', url: `${up.url}/stock` })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'POST', '/services/stock/routes', { name: 'stock', paths: ['/stock'] })).status).toBe(201);
    const first = temp();
    dps.push(await startDataPlane(first, cp.clusterPort, tls));
    expect(await until(() => statusOf(`${dps[0]!.proxy}/stock/1`), (s) => s === 200)).toBe(200);
    expect((await untilInSync(cp.admin, nodeIdOf(first)))?.sync_status).toBe('in_sync');
  });
  afterAll(async () => {
    for (const dp of dps) await dp.node.stop();
    await cp?.node.stop();
    await pg?.destroy();
    await up?.close();
    files?.cleanup();
  });

  it('gives a data plane that connects during the outage the last snapshot, and refuses writes with 503', async () => {
    const version = await configVersionOf(cp.admin);
    await pg.stop();

    const write = await adminRequest(cp.admin, 'POST', '/services', { name: 'during', url: `${up.url}/during` });
    expect(write.status).toBe(503);
    expect(((await write.json()) as { message: string }).message).toMatch(/unreachable/);
    expect((await fetch(`${cp.admin}/status/ready`)).status).toBe(503);

    const prefix = temp();
    const late = await startDataPlane(prefix, cp.clusterPort, tls);
    dps.push(late);
    expect(await until(() => statusOf(`${late.proxy}/stock/5`), (s) => s === 200)).toBe(200);
    expect(((await (await fetch(`${late.proxy}/stock/5`)).json()) as { url: string }).url).toBe('/stock/5');
    expect((await fetch(`${late.status}/status/ready`)).status).toBe(200);
    const entry = await until(
      async () => (await listDataPlanes(cp.admin)).find((d) => d.id === nodeIdOf(prefix)),
      (d) => d?.sync_status === 'in_sync',
    );
    expect(entry).toMatchObject({ connected: true, sync_status: 'in_sync', config_version: version, last_sync: { kind: 'snapshot', version } });
    // The data plane that was already there keeps serving too.
    expect(await statusOf(`${dps[0]!.proxy}/stock/1`)).toBe(200);
    expect(cp.node.child.exitCode).toBeNull();
  });

  it('takes writes again when the database is back, and pushes them to the data planes', async () => {
    await pg.start();
    const created = await until(() => adminRequest(cp.admin, 'POST', '/services/stock/routes', { name: 'after', paths: ['/after'] }).then((r) => r.status), (s) => s === 201, 20_000);
    expect(created).toBe(201);
    for (const dp of dps) expect(await until(() => statusOf(`${dp.proxy}/after/1`), (s) => s === 200, 20_000)).toBe(200);
  });
});
