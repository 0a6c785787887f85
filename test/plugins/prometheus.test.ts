// The prometheus plugin and /metrics as an operator sees them: `tollgate start` DB-less (one in-process
// proxy, then two workers) and in hybrid mode, real requests through the proxy, and scrapes of the
// status listener's /metrics parsed as Prometheus parses the text format.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createPrometheusPlugin } from '../../packages/plugins/prometheus/index.ts';
import { KONG_LATENCY_BUCKETS, UPSTREAM_LATENCY_BUCKETS } from '../../packages/plugins/prometheus/metrics.ts';
import { freePort, startNode, type RunningNode } from '../support/cli.ts';
import { startProxy } from '../support/proxy.ts';
import { adminRequest, startControlPlane, startDataPlane, until, writeClusterCerts, type ClusterFiles, type ControlPlaneNode, type DataPlaneNode } from '../support/hybrid.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-prometheus-'));
  dirs.push(d);
  return d;
};

// ---- the text format, as a scraper reads it ----

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  text: string;
  samples: Sample[];
  /** Families declared with `# TYPE`, with their type. */
  types: Map<string, string>;
}

function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { text, samples, types };
}

/** Samples of `name` whose labels include `labels`. */
function matching(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with exactly these label values (0 when the series does not exist yet). */
function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const found = matching(scrape, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

async function scrape(status: string): Promise<Scrape> {
  const res = await fetch(`${status}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

/** Scrapes until `ok` holds (log handlers run just after the response is sent), or returns the last scrape. */
function scrapeUntil(status: string, ok: (s: Scrape) => boolean): Promise<Scrape> {
  return until(() => scrape(status), ok, 5000);
}

// ---- requests, each on its own connection so a node's workers share them ----

interface Reply {
  status: number;
  requestId: string;
}

function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-kong-request-id']) }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function sendMany(n: number, url: string, init?: Parameters<typeof send>[1]): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < n; i++) replies.push(await send(url, init));
  return replies;
}

// ---- nodes ----

interface DbLessNode {
  node: RunningNode;
  proxy: string;
  status: string;
  prefix: string;
}

async function startDbLess(config: Record<string, unknown>, workers: number): Promise<DbLessNode> {
  const prefix = tempDir();
  const file = join(prefix, 'kong.yml');
  writeFileSync(file, JSON.stringify({ _format_version: '3.0', ...config }));
  const [p, st] = [await freePort(), await freePort()];
  const status = `http://127.0.0.1:${st}`;
  const node = await startNode(
    ['--role', 'data_plane', '--declarative-config', file, '--prefix', prefix, '--proxy-listen', `127.0.0.1:${p}`, '--status-listen', `127.0.0.1:${st}`, '--workers', String(workers)],
    `${status}/status/ready`,
  );
  return { node, proxy: `http://127.0.0.1:${p}`, status, prefix };
}

const ALL_ON = { per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true };
const ALL_OFF = { per_consumer: false, status_code_metrics: false, latency_metrics: false, bandwidth_metrics: false, upstream_health_metrics: false };

/** Active checks every 0.1 s: one failed connect marks a target unhealthy, one good probe healthy. */
function checkedUpstream(name: string, targets: string[]) {
  return {
    name,
    healthchecks: {
      active: { type: 'http', http_path: '/', healthy: { interval: 0.1, successes: 1 }, unhealthy: { interval: 0.1, tcp_failures: 1, http_failures: 1, timeouts: 1 } },
    },
    targets: targets.map((target) => ({ target })),
  };
}

describe('prometheus with one in-process proxy', () => {
  let up: Upstream;
  let dp: DbLessNode;
  let healthyTarget: string;
  let closedTarget: string;

  beforeAll(async () => {
    up = await startUpstream('metrics');
    healthyTarget = `127.0.0.1:${up.port}`;
    closedTarget = `127.0.0.1:${await freePort()}`;
    dp = await startDbLess(
      {
        upstreams: [checkedUpstream('pool', [healthyTarget, closedTarget])],
        consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
        services: [
          {
            name: 'echo',
            url: up.url,
            routes: [
              { name: 'echo-route', paths: ['/echo'] },
              { name: 'auth-route', paths: ['/auth'], plugins: [{ name: 'key-auth' }] },
              // A route-scoped instance replaces the global one on its route: every switch off.
              { name: 'quiet-route', paths: ['/quiet'], plugins: [{ name: 'prometheus', config: ALL_OFF }] },
            ],
          },
          { name: 'pooled', host: 'pool', routes: [{ name: 'pool-route', paths: ['/pool'] }] },
        ],
        plugins: [{ name: 'prometheus', config: ALL_ON }],
      },
      1,
    );
  });
  afterAll(async () => {
    expect(await dp?.node.stop()).toBe(0);
    await up?.close();
  });

  it('counts every request once, by service, route, status code, source and consumer', async () => {
    const before = await scrape(dp.status);
    const key = (labels: Record<string, string>) => ({ workspace: 'default', ...labels });
    const echo = key({ service: 'echo', route: 'echo-route', code: '200', source: 'service', consumer: '' });
    const rejected = key({ service: 'echo', route: 'auth-route', code: '401', source: 'kong', consumer: '' });
    const alice = key({ service: 'echo', route: 'auth-route', code: '200', source: 'service', consumer: 'alice' });

    expect((await sendMany(5, `${dp.proxy}/echo/a`)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await sendMany(2, `${dp.proxy}/auth/b`)).map((r) => r.status)).toEqual([401, 401]);
    expect((await sendMany(3, `${dp.proxy}/auth/c`, { headers: { apikey: 'alice-key' } })).map((r) => r.status)).toEqual([200, 200, 200]);

    const after = await scrapeUntil(dp.status, (s) => valueOf(s, 'kong_http_requests_total', alice) >= valueOf(before, 'kong_http_requests_total', alice) + 3);
    expect(after.types.get('kong_http_requests_total')).toBe('counter');
    const delta = (labels: Record<string, string>) => valueOf(after, 'kong_http_requests_total', labels) - valueOf(before, 'kong_http_requests_total', labels);
    expect(delta(echo)).toBe(5);
    expect(delta(rejected)).toBe(2);
    expect(delta(alice)).toBe(3);
    // Every series carries Kong's six labels.
    for (const s of matching(after, 'kong_http_requests_total')) expect(Object.keys(s.labels).sort()).toEqual(['code', 'consumer', 'route', 'service', 'source', 'workspace']);
  });

  it('counts a request no route matched, with empty service and route labels (the global instance logs it, as in Kong)', async () => {
    const unrouted = { workspace: 'default', service: '', route: '', code: '404', source: 'kong', consumer: '' };
    const before = await scrape(dp.status);
    expect((await sendMany(2, `${dp.proxy}/nowhere`)).map((r) => r.status)).toEqual([404, 404]);
    const after = await scrapeUntil(dp.status, (s) => valueOf(s, 'kong_http_requests_total', unrouted) >= valueOf(before, 'kong_http_requests_total', unrouted) + 2);
    expect(valueOf(after, 'kong_http_requests_total', unrouted) - valueOf(before, 'kong_http_requests_total', unrouted)).toBe(2);
  });

  it("observes request, upstream and gateway latency in Kong's buckets", async () => {
    const route = { service: 'echo', route: 'echo-route', workspace: 'default' };
    const auth = { service: 'echo', route: 'auth-route', workspace: 'default' };
    const before = await scrape(dp.status);
    await sendMany(4, `${dp.proxy}/echo/latency`);
    await sendMany(2, `${dp.proxy}/auth/latency`);
    const after = await scrapeUntil(dp.status, (s) => valueOf(s, 'kong_kong_latency_ms_count', auth) >= valueOf(before, 'kong_kong_latency_ms_count', auth) + 2);
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);

    for (const family of ['kong_request_latency_ms', 'kong_upstream_latency_ms', 'kong_kong_latency_ms']) {
      expect(after.types.get(family)).toBe('histogram');
      expect(delta(`${family}_count`, route)).toBe(4);
      expect(valueOf(after, `${family}_sum`, route)).toBeGreaterThan(0);
      // Cumulative buckets, the last (+Inf) equal to the count.
      const buckets = matching(after, `${family}_bucket`, route);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: valueOf(after, `${family}_count`, route) });
    }
    const bounds = (family: string) => matching(after, `${family}_bucket`, route).map((s) => s.labels['le']);
    expect(bounds('kong_kong_latency_ms')).toEqual([...KONG_LATENCY_BUCKETS.map(String), '+Inf']);
    expect(bounds('kong_upstream_latency_ms')).toEqual([...UPSTREAM_LATENCY_BUCKETS.map(String), '+Inf']);
    expect(bounds('kong_request_latency_ms')).toEqual([...UPSTREAM_LATENCY_BUCKETS.map(String), '+Inf']);
    // A response key-auth made itself never reached the upstream: no upstream latency, as in Kong.
    expect(delta('kong_request_latency_ms_count', auth)).toBe(2);
    expect(delta('kong_kong_latency_ms_count', auth)).toBe(2);
    expect(delta('kong_upstream_latency_ms_count', auth)).toBe(0);
  });

  it('adds the bytes each request came in with to kong_bandwidth_bytes', async () => {
    const ingress = { service: 'echo', route: 'echo-route', direction: 'ingress', workspace: 'default', consumer: '' };
    const before = await scrape(dp.status);
    const body = 'x'.repeat(1000);
    await sendMany(4, `${dp.proxy}/echo/upload`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    const posted = await scrapeUntil(dp.status, (s) => valueOf(s, 'kong_bandwidth_bytes', ingress) >= valueOf(before, 'kong_bandwidth_bytes', ingress) + 4000);
    const added = valueOf(posted, 'kong_bandwidth_bytes', ingress) - valueOf(before, 'kong_bandwidth_bytes', ingress);
    // The bodies plus each request's line and headers (well under 300 bytes here).
    expect(added).toBeGreaterThan(4 * 1000);
    expect(added).toBeLessThan(4 * (1000 + 300));
    // Egress is every byte sent back: the echoed body (chunked, so no Content-Length to go by) plus
    // the status line and headers.
    const egress = { ...ingress, direction: 'egress' };
    const sent = valueOf(posted, 'kong_bandwidth_bytes', egress) - valueOf(before, 'kong_bandwidth_bytes', egress);
    expect(sent).toBeGreaterThan(4 * (1000 + 200));
    expect(sent).toBeLessThan(4 * 4000);
    // A bodyless GET still brings its request line and headers, as Kong's request_length counts them.
    await send(`${dp.proxy}/echo/get`);
    const got = await scrapeUntil(dp.status, (s) => valueOf(s, 'kong_bandwidth_bytes', ingress) > valueOf(posted, 'kong_bandwidth_bytes', ingress));
    expect(valueOf(got, 'kong_bandwidth_bytes', ingress) - valueOf(posted, 'kong_bandwidth_bytes', ingress)).toBeGreaterThan(20);
    expect(got.types.get('kong_bandwidth_bytes')).toBe('counter');
  });

  it("reports each target's health state from the active health checks", async () => {
    const health = (s: Scrape, target: string) =>
      Object.fromEntries(matching(s, 'kong_upstream_target_health', { upstream: 'pool', target }).map((x) => [x.labels['state'], x.value]));
    const s = await scrapeUntil(dp.status, (x) => health(x, closedTarget)['unhealthy'] === 1 && health(x, healthyTarget)['healthy'] === 1);
    expect(health(s, healthyTarget)).toEqual({ healthchecks_off: 0, healthy: 1, unhealthy: 0, dns_error: 0 });
    expect(health(s, closedTarget)).toEqual({ healthchecks_off: 0, healthy: 0, unhealthy: 1, dns_error: 0 });
    expect(matching(s, 'kong_upstream_target_health', { target: closedTarget }).every((x) => x.labels['address'] === closedTarget && x.labels['subsystem'] === 'http')).toBe(true);
    // Traffic keeps flowing to the healthy target.
    expect((await sendMany(3, `${dp.proxy}/pool/x`)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('reports the node and the config version /status reports, and no control plane link when DB-less', async () => {
    const status = (await (await fetch(`${dp.status}/status`)).json()) as { configuration_version: number };
    const s = await scrape(dp.status);
    expect(valueOf(s, 'tollgate_config_version')).toBe(status.configuration_version);
    const nodeId = readFileSync(join(dp.prefix, 'node_id'), 'utf8').trim();
    expect(matching(s, 'kong_node_info')).toEqual([{ name: 'kong_node_info', labels: { node_id: nodeId, version: expect.stringMatching(/^\d+\.\d+\.\d+/) }, value: 1 }]);
    expect(s.types.has('kong_control_plane_connected')).toBe(false);
  });

  it('records nothing for a route whose prometheus instance has every switch off', async () => {
    expect((await sendMany(3, `${dp.proxy}/quiet/x`)).map((r) => r.status)).toEqual([200, 200, 200]);
    // A request on another route after them: once it shows, the quiet ones have been logged too.
    const before = await scrape(dp.status);
    const echo = { route: 'echo-route', code: '200', consumer: '' };
    await send(`${dp.proxy}/echo/after-quiet`);
    const s = await scrapeUntil(dp.status, (x) => valueOf(x, 'kong_http_requests_total', echo) > valueOf(before, 'kong_http_requests_total', echo));
    expect(s.samples.filter((x) => x.labels['route'] === 'quiet-route')).toEqual([]);
  });
});

describe('prometheus with two proxy workers', () => {
  let up: Upstream;
  let dp: DbLessNode;
  let closedTarget: string;

  beforeAll(async () => {
    up = await startUpstream('metrics-2');
    closedTarget = `127.0.0.1:${await freePort()}`;
    dp = await startDbLess(
      {
        upstreams: [checkedUpstream('pool', [`127.0.0.1:${up.port}`, closedTarget])],
        services: [
          { name: 'echo', url: up.url, routes: [{ name: 'echo-route', paths: ['/echo'] }] },
          { name: 'pooled', host: 'pool', routes: [{ name: 'pool-route', paths: ['/pool'] }] },
        ],
        plugins: [{ name: 'prometheus', config: { ...ALL_OFF, status_code_metrics: true, upstream_health_metrics: true } }],
      },
      2,
    );
  });
  afterAll(async () => {
    expect(await dp?.node.stop()).toBe(0);
    await up?.close();
  });

  it("sums both workers' counts", async () => {
    const labels = { service: 'echo', route: 'echo-route', code: '200', source: 'service', workspace: 'default', consumer: '' };
    const before = await scrape(dp.status);
    const replies = await sendMany(10, `${dp.proxy}/echo/spread`);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    // Request ids start with a per-process prefix: both workers served some of the ten.
    expect(new Set(replies.map((r) => r.requestId.slice(0, 12))).size).toBe(2);
    const after = await scrapeUntil(dp.status, (s) => valueOf(s, 'kong_http_requests_total', labels) >= valueOf(before, 'kong_http_requests_total', labels) + 10);
    expect(valueOf(after, 'kong_http_requests_total', labels) - valueOf(before, 'kong_http_requests_total', labels)).toBe(10);
  });

  it('reports target health once for the node, not once per worker', async () => {
    // Each worker probes on its own; summing their 1s would report 2. Wait until both workers have
    // seen the closed port fail (until then one may still call it healthy).
    const s = await scrapeUntil(
      dp.status,
      (x) => valueOf(x, 'kong_upstream_target_health', { target: closedTarget, state: 'unhealthy' }) >= 1 && valueOf(x, 'kong_upstream_target_health', { target: closedTarget, state: 'healthy' }) === 0,
    );
    expect(Object.fromEntries(matching(s, 'kong_upstream_target_health', { target: closedTarget }).map((x) => [x.labels['state'], x.value]))).toEqual({
      healthchecks_off: 0,
      healthy: 0,
      unhealthy: 1,
      dns_error: 0,
    });
    expect(valueOf(s, 'kong_upstream_target_health', { target: `127.0.0.1:${up.port}`, state: 'healthy' })).toBe(1);
  });

  it('reports the config version /status reports for the two workers', async () => {
    const status = (await (await fetch(`${dp.status}/status`)).json()) as { configuration_version: number; workers: number };
    expect(status.workers).toBe(2);
    const s = await scrape(dp.status);
    expect(valueOf(s, 'tollgate_config_version')).toBe(status.configuration_version);
    expect(matching(s, 'kong_node_info')).toHaveLength(1);
  });
});

describe('/metrics when no switch is on, or no prometheus plugin is configured', () => {
  /** A node with a health-checked upstream (so target health could be reported) and one route. */
  async function nodeWith(plugins: unknown[]): Promise<{ up: Upstream; dp: DbLessNode }> {
    const up = await startUpstream('plain');
    const dp = await startDbLess(
      {
        upstreams: [checkedUpstream('pool', [`127.0.0.1:${up.port}`])],
        services: [{ name: 'pooled', host: 'pool', routes: [{ name: 'pool-route', paths: ['/'] }] }],
        plugins,
      },
      1,
    );
    return { up, dp };
  }

  it('exports no request, latency, bandwidth or target health series when every switch is off', async () => {
    const { up, dp } = await nodeWith([{ name: 'prometheus', config: ALL_OFF }]);
    try {
      expect((await sendMany(3, `${dp.proxy}/x`, { method: 'POST', body: 'payload' })).map((r) => r.status)).toEqual([200, 200, 200]);
      // Let the active checker probe the target a few times (interval 0.1 s) before looking.
      await new Promise((r) => setTimeout(r, 300));
      const s = await scrape(dp.status);
      expect([...new Set(s.samples.map((x) => x.name))].sort()).toEqual(['kong_node_info', 'tollgate_config_version']);
    } finally {
      expect(await dp.node.stop()).toBe(0);
      await up.close();
    }
  });

  it('answers with the node-level metrics only when no prometheus plugin is configured', async () => {
    const { up, dp } = await nodeWith([]);
    try {
      expect((await send(`${dp.proxy}/x`)).status).toBe(200);
      const s = await scrape(dp.status);
      expect([...new Set(s.samples.map((x) => x.name))].sort()).toEqual(['kong_node_info', 'tollgate_config_version']);
      expect(valueOf(s, 'tollgate_config_version')).toBe(0);
      // The plugin's families are not even declared until an instance is configured.
      expect([...s.types.keys()].filter((name) => /requests_total|latency|bandwidth/.test(name))).toEqual([]);
    } finally {
      expect(await dp.node.stop()).toBe(0);
      await up.close();
    }
  });
});

describe('prometheus on a hybrid data plane', () => {
  let files: ClusterFiles;
  let cp: ControlPlaneNode;
  let dp: DataPlaneNode;
  let up: Upstream;

  beforeAll(async () => {
    files = await writeClusterCerts();
    up = await startUpstream('hybrid-metrics');
    const tls = ['--cluster-cert', files.shared.cert, '--cluster-cert-key', files.shared.key];
    cp = await startControlPlane(tempDir(), tls);
    dp = await startDataPlane(tempDir(), cp.clusterPort, tls);
  });
  afterAll(async () => {
    await dp?.node.stop();
    await cp?.node.stop();
    await up?.close();
    files?.cleanup();
  });

  it('reports the control plane link, and the config version and hash /status reports', async () => {
    expect((await adminRequest(cp.admin, 'POST', '/services', { name: 'orders', url: up.url })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'POST', '/services/orders/routes', { name: 'orders-route', paths: ['/orders'] })).status).toBe(201);
    expect((await adminRequest(cp.admin, 'POST', '/plugins', { name: 'prometheus', config: { status_code_metrics: true } })).status).toBe(201);
    expect(await until(async () => (await send(`${dp.proxy}/orders/1`)).status, (s) => s === 200)).toBe(200);
    const labels = { service: 'orders', route: 'orders-route', code: '200' };
    const s = await scrapeUntil(dp.status, (x) => valueOf(x, 'kong_http_requests_total', labels) >= 1);
    expect(valueOf(s, 'kong_control_plane_connected')).toBe(1);
    const status = (await (await fetch(`${dp.status}/status`)).json()) as { configuration_version: number; configuration_hash: string };
    expect(status.configuration_version).toBeGreaterThan(0);
    expect(valueOf(s, 'tollgate_config_version')).toBe(status.configuration_version);
    expect(matching(s, 'tollgate_config_hash_info')).toEqual([{ name: 'tollgate_config_hash_info', labels: { hash: status.configuration_hash }, value: 1 }]);

    await cp.node.stop();
    const down = await scrapeUntil(dp.status, (x) => valueOf(x, 'kong_control_plane_connected') === 0);
    expect(valueOf(down, 'kong_control_plane_connected')).toBe(0);
  });
});

describe('two gateways in one process', () => {
  it('keep their counts apart when each plugin records into its own registry', async () => {
    const up = await startUpstream('in-process');
    const config = (name: string) => ({
      _format_version: '3.0',
      services: [{ name, url: up.url, routes: [{ name: `${name}-route`, paths: ['/'] }] }],
      plugins: [{ name: 'prometheus', config: { status_code_metrics: true } }],
    });
    const registries = [new Registry(), new Registry()];
    const proxies = [
      await startProxy(config('first'), { plugins: [createPrometheusPlugin(registries[0])] }),
      await startProxy(config('second'), { plugins: [createPrometheusPlugin(registries[1])] }),
    ];
    try {
      await sendMany(2, `${proxies[0]!.url}/a`);
      await sendMany(3, `${proxies[1]!.url}/b`);
      const [first, second] = await Promise.all(
        registries.map((r) => until(async () => parseExposition(await r.metrics()), (s) => matching(s, 'kong_http_requests_total').length > 0, 5000)),
      );
      expect(matching(first!, 'kong_http_requests_total').map((x) => [x.labels['service'], x.value])).toEqual([['first', 2]]);
      expect(matching(second!, 'kong_http_requests_total').map((x) => [x.labels['service'], x.value])).toEqual([['second', 3]]);
    } finally {
      for (const p of proxies) await p.close();
      await up.close();
    }
  });
});
