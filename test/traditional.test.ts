// `npm start` as a user runs it: one node with the Admin API and the proxy on the embedded store.
// A change through the Admin API is live on the proxy port within a second, with one worker or several.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNode, type RunningNode } from './support/cli.ts';
import { rawRequest, startUpstream, type Upstream } from './support/upstream.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-node-'));
  dirs.push(d);
  return d;
};

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<{ value: T; elapsed: number }> {
  const started = Date.now();
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() - started > ms) return { value, elapsed: Date.now() - started };
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([1, 2])('traditional node with %i proxy worker(s)', (workers) => {
  let node: RunningNode;
  let up: Upstream;
  let admin: string;
  let proxy: string;
  let proxyTls: number;
  beforeAll(async () => {
    up = await startUpstream('backend');
    const [a, p, s] = [await freePort(), await freePort(), await freePort()];
    admin = `http://127.0.0.1:${a}`;
    proxy = `http://127.0.0.1:${p}`;
    proxyTls = s;
    node = await startNode(
      ['--prefix', tempDir(), '--admin-listen', `127.0.0.1:${a}`, '--proxy-listen', `127.0.0.1:${p}, 127.0.0.1:${s} ssl`, '--workers', String(workers)],
      `${admin}/status`,
    );
  });
  afterAll(async () => {
    expect(await node?.stop()).toBe(0);
    await up?.close();
  });

  const post = (path: string, body: unknown) => fetch(admin + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('reports each target’s health at /upstreams/{u}/health, as the proxy’s health checks see it', async () => {
    const closed = await freePort();
    const checks = { active: { http_path: '/', healthy: { interval: 0.1, successes: 1 }, unhealthy: { interval: 0.1, tcp_failures: 1, http_failures: 1, timeouts: 1 } } };
    expect((await post('/upstreams', { name: 'pool', healthchecks: checks })).status).toBe(201);
    const live = (await (await post('/upstreams/pool/targets', { target: `127.0.0.1:${up.port}` })).json()) as { id: string };
    const dead = (await (await post('/upstreams/pool/targets', { target: `127.0.0.1:${closed}` })).json()) as { id: string };
    // No service uses the upstream yet: as in Kong, it is balanced and checked all the same.
    type Report = { node_id: string; data: Array<{ id: string; target: string; weight: number; upstream: { id: string }; health: string; data: { addresses: unknown[] } }> };
    const healthOf = (r: Report, id: string) => r.data.find((t) => t.id === id)?.health;
    const { value } = await eventually(
      async () => (await (await fetch(`${admin}/upstreams/pool/health`)).json()) as Report,
      (r) => healthOf(r, live.id) === 'HEALTHY' && healthOf(r, dead.id) === 'UNHEALTHY',
      15_000,
    );
    expect(healthOf(value, live.id)).toBe('HEALTHY');
    expect(healthOf(value, dead.id)).toBe('UNHEALTHY');
    expect(value.node_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(value.data.find((t) => t.id === dead.id)).toMatchObject({
      target: `127.0.0.1:${closed}`,
      weight: 100,
      data: { addresses: [{ ip: '127.0.0.1', port: closed, health: 'UNHEALTHY', weight: 100 }], weight: { total: 100, available: 0, unavailable: 100 } },
    });
    expect((await fetch(`${admin}/upstreams/no-such-pool/health`)).status).toBe(404);
  });

  it('sets a target unhealthy and healthy again by hand (POST …/unhealthy|healthy), in every worker', async () => {
    // Passive checks only: a health checker that does not probe, so the hand-set state stays.
    expect((await post('/upstreams', { name: 'manual', healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } })).status).toBe(201);
    const target = (await (await post('/upstreams/manual/targets', { target: `127.0.0.1:${up.port}` })).json()) as { id: string };
    expect((await post('/services', { name: 'manual-svc', host: 'manual' })).status).toBe(201);
    expect((await post('/services/manual-svc/routes', { paths: ['/manual'] })).status).toBe(201);
    expect((await eventually(() => fetch(`${proxy}/manual/x`), (r) => r.status === 200, 3000)).value.status).toBe(200);

    expect((await fetch(`${admin}/upstreams/manual/targets/${target.id}/unhealthy`, { method: 'POST' })).status).toBe(204);
    // A new connection per request (rawRequest): the primary hands connections to the workers in turn.
    for (let i = 0; i < 6; i++) {
      const res = await rawRequest(`${proxy}/manual/x`);
      expect(res.status).toBe(503);
      // No Accept header: Kong's default error format, text/plain.
      expect(res.body).toMatch(/^failure to get a peer from the ring-balancer\nrequest_id: [0-9a-f]+\n$/);
    }
    const health = (await (await fetch(`${admin}/upstreams/manual/health`)).json()) as { data: Array<{ health: string }> };
    expect(health.data.map((t) => t.health)).toEqual(['UNHEALTHY']);
    // By host:port and one address of it, as Kong also accepts.
    const address = `127.0.0.1:${up.port}`;
    expect((await fetch(`${admin}/upstreams/manual/targets/${address}/${address}/healthy`, { method: 'POST' })).status).toBe(204);
    for (let i = 0; i < 6; i++) expect((await rawRequest(`${proxy}/manual/x`)).status).toBe(200);

    expect((await post('/upstreams', { name: 'unchecked' })).status).toBe(201);
    expect((await post('/upstreams/unchecked/targets', { target: `127.0.0.1:${up.port}` })).status).toBe(201);
    const refused = await eventually(() => fetch(`${admin}/upstreams/unchecked/targets/${address}/unhealthy`, { method: 'POST' }), (r) => r.status === 400, 3000);
    expect(((await refused.value.json()) as { message: string }).message).toBe("no healthchecker found for 'unchecked'");
    expect((await fetch(`${admin}/upstreams/manual/targets/10.9.9.9:80/unhealthy`, { method: 'POST' })).status).toBe(404);
  });

  it('serves the node’s metrics on the Admin API’s /metrics, the proxy workers’ included', async () => {
    expect((await post('/services', { name: 'metered', url: `${up.url}/m` })).status).toBe(201);
    expect((await post('/services/metered/routes', { paths: ['/metered'] })).status).toBe(201);
    const plugin = (await (await post('/plugins', { name: 'prometheus', config: { status_code_metrics: true } })).json()) as { id: string };
    // A request on every try: the first 200 may come before the proxy has applied the plugin.
    const { value } = await eventually(
      async () => {
        await rawRequest(`${proxy}/metered/x`);
        return (await fetch(`${admin}/metrics`)).text();
      },
      (t) => /^kong_http_requests_total\{service="metered",.*code="200".*\} [1-9]/m.test(t),
      5000,
    );
    expect(value).toMatch(/^kong_http_requests_total\{service="metered",.*code="200".*\} [1-9]/m);
    expect(value).toMatch(/^kong_node_info\{node_id="[0-9a-f-]{36}",version="0\.1\.0"\} 1$/m);
    expect(value).toMatch(/^tollgate_config_version \d+$/m);
    expect((await fetch(`${admin}/plugins/${plugin.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('purges and looks up proxy-cache entries through the Admin API (Kong’s /proxy-cache), in every worker', async () => {
    expect((await post('/services', { name: 'cached', url: `${up.url}/c` })).status).toBe(201);
    const route = (await (await post('/services/cached/routes', { paths: ['/cached'] })).json()) as { id: string };
    const plugin = (await (await post(`/routes/${route.id}/plugins`, { name: 'proxy-cache', config: { strategy: 'memory' } })).json()) as { id: string };
    /** Requests until every worker has the entry (a Hit in a row of 8), and the cache key. */
    const fill = async () => {
      let key = '';
      await eventually(
        async () => {
          const statuses: string[] = [];
          // A new connection per request, so every worker serves some.
          for (let i = 0; i < 8; i++) {
            const res = await rawRequest(`${proxy}/cached/x`);
            statuses.push(String(res.headers['x-cache-status'] ?? ''));
            key = String(res.headers['x-cache-key'] ?? key);
          }
          return statuses;
        },
        (statuses) => statuses.every((s) => s === 'Hit'),
        5000,
      );
      return key;
    };
    const key = await fill();
    expect(key).not.toBe('');
    const entry = await fetch(`${admin}/proxy-cache/${key}`);
    expect(entry.status).toBe(200);
    expect(await entry.json()).toMatchObject({ status: 200, body_len: expect.any(Number) });
    expect((await fetch(`${admin}/proxy-cache/${plugin.id}/caches/${key}`)).status).toBe(200);
    expect((await fetch(`${admin}/proxy-cache/${route.id}/caches/${key}`)).status).toBe(404);

    expect((await fetch(`${admin}/proxy-cache/${key}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${admin}/proxy-cache/${key}`)).status).toBe(404);
    expect((await fetch(`${admin}/proxy-cache/${key}`, { method: 'DELETE' })).status).toBe(404);
    // Gone from every worker: the next request each worker serves (connections go to them in turn) misses.
    for (let i = 0; i < workers; i++) expect((await rawRequest(`${proxy}/cached/x`)).headers['x-cache-status']).toBe('Miss');

    await fill();
    expect((await fetch(`${admin}/proxy-cache`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${admin}/proxy-cache/${plugin.id}/caches/${key}`)).status).toBe(404);
    // Gone from every worker: the next request each worker serves (connections go to them in turn) misses.
    for (let i = 0; i < workers; i++) expect((await rawRequest(`${proxy}/cached/x`)).headers['x-cache-status']).toBe('Miss');
  });

  it('serves a route created through the Admin API within a second', async () => {
    expect((await fetch(`${proxy}/shop/items`)).status).toBe(404);
    expect((await post('/services', { name: 'shop', url: `${up.url}/v1` })).status).toBe(201);
    expect((await post('/services/shop/routes', { name: 'shop', paths: ['/shop'] })).status).toBe(201);
    const { value, elapsed } = await eventually(() => fetch(`${proxy}/shop/items`), (r) => r.status === 200, 3000);
    expect(value.status).toBe(200);
    expect(elapsed).toBeLessThan(1000);
    expect(((await value.json()) as { url: string }).url).toBe('/v1/items');
  });

  it('applies updates and deletions without a restart', async () => {
    expect((await fetch(`${admin}/routes/shop`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths: ['/store'] }) })).status).toBe(200);
    const moved = await eventually(() => fetch(`${proxy}/store/x`), (r) => r.status === 200, 3000);
    expect(moved.value.status).toBe(200);
    expect((await fetch(`${proxy}/shop/x`)).status).toBe(404);
    expect((await fetch(`${admin}/routes/shop`, { method: 'DELETE' })).status).toBe(204);
    const gone = await eventually(() => fetch(`${proxy}/store/x`), (r) => r.status === 404, 3000);
    expect(gone.value.status).toBe(404);
  });

  it('terminates TLS on the ssl listener with its default certificate', async () => {
    await post('/services/shop/routes', { name: 'tls-route', paths: ['/tls'] });
    await eventually(() => fetch(`${proxy}/tls`), (r) => r.status === 200, 3000);
    const { request } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxyTls, path: '/tls', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  /**
   * Until every worker, a replacement included, has applied a config (tollgate_config_version is -1
   * while one has not): only then is it listening, so killing another worker leaves one to take connections.
   */
  const replacementReady = () =>
    eventually(async () => (await (await fetch(`${admin}/metrics`)).text()).match(/^tollgate_config_version (-?\d+)/m)?.[1], (v) => v !== undefined && Number(v) >= 0, 10_000);

  it.runIf(workers > 1)('replaces a proxy worker that dies; the new one serves the node’s config, a change made while it was down included', async () => {
    const pids = () => execFileSync('pgrep', ['-P', String(node.child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    const before = pids();
    expect(before).toHaveLength(workers);
    process.kill(before[0]!, 'SIGKILL');
    expect((await post('/services', { name: 'respawn', url: `${up.url}/r` })).status).toBe(201);
    expect((await post('/services/respawn/routes', { name: 'respawn', paths: ['/respawn'] })).status).toBe(201);
    await eventually(async () => pids(), (now) => now.length === workers && !now.includes(before[0]!), 10_000);
    await replacementReady();
    // Connections go to the workers in turn: every one of these reaches both, the new worker included.
    await eventually(() => rawRequest(`${proxy}/respawn/1`), (r) => r.status === 200, 5000);
    for (let i = 0; i < 4 * workers; i++) {
      expect((await rawRequest(`${proxy}/respawn/${i}`)).status).toBe(200);
      expect((await rawRequest(`${proxy}/tls`)).status).toBe(200);
    }
    expect(node.output()).toMatch(/proxy worker \d+ exited \(SIGKILL\); starting a new one/);
  });

  it.runIf(workers > 1)('keeps a target set unhealthy by hand unhealthy in a worker started after the call', async () => {
    const pids = () => execFileSync('pgrep', ['-P', String(node.child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect((await post('/upstreams', { name: 'held', healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } })).status).toBe(201);
    const target = (await (await post('/upstreams/held/targets', { target: `127.0.0.1:${up.port}` })).json()) as { id: string };
    expect((await post('/services', { name: 'held-svc', host: 'held' })).status).toBe(201);
    expect((await post('/services/held-svc/routes', { paths: ['/held'] })).status).toBe(201);
    // 204 once every worker has the config and took it.
    const marked = await eventually(() => fetch(`${admin}/upstreams/held/targets/${target.id}/unhealthy`, { method: 'POST' }), (r) => r.status === 204, 5000);
    expect(marked.value.status).toBe(204);
    const before = pids();
    process.kill(before[0]!, 'SIGKILL');
    await eventually(async () => pids(), (now) => now.length === workers && !now.includes(before[0]!), 10_000);
    await replacementReady();
    // Every worker, the new one included (once it has its config), refuses the target: Kong's 503 on
    // each of a round of new connections.
    const answers = async () => {
      const out: string[] = [];
      for (let i = 0; i < 4 * workers; i++) {
        const res = await rawRequest(`${proxy}/held/x`);
        out.push(`${res.status} ${res.body.split('\n')[0]}`);
      }
      return out;
    };
    const noPeer = '503 failure to get a peer from the ring-balancer';
    const { value } = await eventually(answers, (all) => all.every((a) => a === noPeer), 10_000);
    expect(value).toEqual(Array(4 * workers).fill(noPeer));
  });
});

describe('DB-less data plane', () => {
  it('serves a declarative file and reports readiness on its status API, until told it is draining', async () => {
    const up = await startUpstream('dbless');
    const dir = tempDir();
    const file = join(dir, 'kong.yml');
    writeFileSync(file, `_format_version: "3.0"\nservices:\n  - name: s\n    url: ${up.url}\n    routes:\n      - paths: [/dbless]\n`);
    const [p, st] = [await freePort(), await freePort()];
    const node = await startNode(
      ['--role', 'data_plane', '--declarative-config', file, '--prefix', dir, '--proxy-listen', `127.0.0.1:${p}`, '--status-listen', `127.0.0.1:${st}`, '--workers', '2'],
      `http://127.0.0.1:${st}/status/ready`,
    );
    const res = await fetch(`http://127.0.0.1:${p}/dbless/x`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe('/x');
    const status = (await (await fetch(`http://127.0.0.1:${st}/status`)).json()) as { workers: number };
    expect(status.workers).toBe(2);
    // Kong's drain: not ready for the load balancer from now on, still proxying.
    const bad = await fetch(`http://127.0.0.1:${st}/status/ready`, { method: 'POST', body: new URLSearchParams({ status: 'sleeping' }) });
    expect(bad.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${st}/status/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${st}/status/ready`, { method: 'POST', body: new URLSearchParams({ status: 'draining' }) })).status).toBe(204);
    const drained = await fetch(`http://127.0.0.1:${st}/status/ready`);
    expect(drained.status).toBe(503);
    expect(await drained.json()).toEqual({ message: 'draining' });
    expect((await fetch(`http://127.0.0.1:${p}/dbless/y`)).status).toBe(200);
    expect(await node.stop()).toBe(0);
    await up.close();
  });
});
