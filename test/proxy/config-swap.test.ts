// Config swaps under load: applying new configs while clients keep sending requests over keep-alive
// connections loses nothing, and configs the data plane cannot fully use are handled without a gap.
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSnapshot } from '@tollgate/data-plane';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, startUpstream, type Upstream } from '../support/upstream.ts';

interface Outcome {
  status: number;
  upstream: string | undefined;
  error?: string;
}

/** One GET over a shared keep-alive agent. Never rejects: a transport error is an outcome too. */
function get(agent: Agent, url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, upstream: res.headers['x-upstream'] as string | undefined }));
      res.on('error', (err) => resolve({ status: 0, upstream: undefined, error: err.message }));
    });
    req.on('error', (err) => resolve({ status: 0, upstream: undefined, error: err.message }));
    req.end();
  });
}

/** `clients` concurrent loops of keep-alive GETs until `stop()` (or `cap` requests each). */
function load(url: string, clients: number, cap: number): { stop(): void; done: Promise<Outcome[]>; agent: Agent } {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let stopped = false;
  const outcomes: Outcome[] = [];
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < cap && !stopped; i++) outcomes.push(await get(agent, `${url}/load/c${c}/${i}`));
  });
  return {
    agent,
    stop: () => (stopped = true),
    done: Promise.all(loops).then(() => outcomes),
  };
}

describe('config swaps', () => {
  let a: Upstream;
  let b: Upstream;
  let proxy: ProxyHarness;

  /** Generation `i`: the load route is always there; everything else changes from one to the next. */
  const generation = (i: number, final = false): Record<string, unknown> => ({
    _format_version: '3.0',
    services: [
      {
        name: 'main',
        // The service moves between two live upstreams.
        url: i % 2 === 0 ? a.url : `${b.url}/b`,
        retries: i % 3,
        routes: [
          { name: 'load', paths: ['/load', `/alias-${i}`], strip_path: i % 4 !== 1, preserve_host: i % 5 === 0 },
          ...(i % 3 === 0 ? [{ name: `extra-${i}`, paths: [`/extra-${i}`] }] : []),
          ...(final ? [{ name: 'final', paths: ['/final'] }] : []),
        ],
      },
      ...(i % 2 === 1 ? [{ name: 'side', url: b.url, routes: [{ name: 'side', hosts: ['side.example.com'], methods: ['POST'] }] }] : []),
    ],
    ...(i % 4 === 3 ? { plugins: [{ name: 'correlation-id', service: 'side' }] } : {}),
  });

  beforeAll(async () => {
    [a, b] = await Promise.all([startUpstream('a'), startUpstream('b')]);
    proxy = await startProxy(generation(0));
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('applies 30 configs under keep-alive load without a single failed request', async () => {
    const run = load(proxy.url, 4, 8000);
    const started = Date.now();
    const applies: Array<{ ok: boolean; warnings: readonly string[] }> = [];
    try {
      for (let i = 1; i <= 30; i++) {
        // Pace the swaps over ~3 s so each one lands in the middle of traffic.
        await new Promise((r) => setTimeout(r, 100));
        const result = proxy.apply(generation(i, i === 30), 1000 + i);
        applies.push(result.ok ? { ok: true, warnings: result.warnings } : { ok: false, warnings: [result.error] });
      }
    } finally {
      run.stop();
    }
    const outcomes = await run.done;
    run.agent.destroy();
    const elapsed = Date.now() - started;

    expect(applies.filter((r) => !r.ok || r.warnings.length > 0)).toEqual([]);
    expect(proxy.dp.config?.version).toBe(1030);
    const failures = outcomes.filter((o) => o.status !== 200);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(200);
    // Both service URLs were in force while the load ran.
    const by = new Set(outcomes.map((o) => o.upstream));
    expect(by).toEqual(new Set(['a', 'b']));
    expect(elapsed).toBeLessThan(20_000);

    // The last config's new route serves, the removed ones do not.
    const final = await rawRequest(`${proxy.url}/final/x`);
    expect(final.status).toBe(200);
    expect((JSON.parse(final.body) as { url: string }).url).toBe('/x');
    expect((await rawRequest(`${proxy.url}/extra-27`)).status).toBe(404);
    expect((await rawRequest(`${proxy.url}/alias-30/y`)).status).toBe(200);
    expect((await rawRequest(`${proxy.url}/alias-29/y`)).status).toBe(404);
    // Generation 30 points the service at a.
    expect((await rawRequest(`${proxy.url}/load/z`)).headers['x-upstream']).toBe('a');
  });

  it('leaves out a route whose regex JavaScript cannot run, keeps the rest, and says why', async () => {
    const config = generation(40);
    (config['services'] as Array<{ routes: unknown[] }>)[0]!.routes.push({ name: 'legacy', paths: ['~/legacy/placeholder'] }, { name: 'fine', paths: ['~/fine/\\d+$'] });
    // Validation refuses such a regex now; a control plane of an older version could still send one.
    const snapshot = proxy.snapshot(config, 2000);
    snapshot.entities.routes!.find((r) => r['name'] === 'legacy')!['paths'] = ['~/legacy/\\d+\\Z'];
    const result = proxy.dp.apply(snapshot);
    // Still applied: one bad route does not cost the whole config.
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^route 'legacy' \([0-9a-f-]+\): '~\/legacy\/\\d\+\\Z' PCRE escape '\\Z' has no JavaScript equivalent \(use \$\)$/);
    expect(proxy.logs.some((l) => l.startsWith("warn route 'legacy'"))).toBe(true);
    expect(proxy.dp.config?.version).toBe(2000);
    expect((await rawRequest(`${proxy.url}/legacy/1`)).status).toBe(404);
    expect((await rawRequest(`${proxy.url}/fine/1`)).status).toBe(200);
    expect((await rawRequest(`${proxy.url}/load/1`)).status).toBe(200);
  });

  it('fails closed on a route whose plugin the data plane lacks, with a warning, and serves the rest', async () => {
    const limited = {
      _format_version: '3.0',
      services: [
        {
          name: 'main',
          url: a.url,
          routes: [
            { name: 'limited', paths: ['/limited'], plugins: [{ name: 'request-size-limiting', config: { allowed_payload_size: 10, size_unit: 'bytes' } }] },
            { name: 'load', paths: ['/load'] },
          ],
        },
      ],
    };
    const post = (path: string) => rawRequest(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(11) });
    expect(proxy.apply(limited, 3000).ok).toBe(true);
    expect((await post('/limited')).status).toBe(413);

    // The control plane only accepts plugins it knows; a data plane without one gets the snapshot as is.
    const snapshot: ConfigSnapshot = proxy.snapshot(limited, 3001);
    const plugins = snapshot.entities.plugins!.map((p) => ({ ...p, name: 'request-size-limiting-ee' }));
    const result = proxy.dp.apply({ ...snapshot, entities: { ...snapshot.entities, plugins } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const warning = `plugin 'request-size-limiting-ee' (${plugins[0]!.id}) is not available on this data plane; the routes it applies to answer 500 until it is`;
    expect(result.warnings).toEqual([warning]);
    expect(proxy.logs).toContain(`warn ${warning}`);
    expect(proxy.dp.config?.version).toBe(3001);
    // The missing plugin may be an authentication plugin: its route must not be served without it.
    // (Kong's control plane sends no config at all to a data plane missing a configured plugin.)
    const blocked = await post('/limited');
    expect(blocked.status).toBe(500);
    // No Accept: the error takes the request's Content-Type (text/plain), as Kong's does.
    expect(blocked.body.split('\n')[0]).toBe('An unexpected error occurred');
    expect((await rawRequest(`${proxy.url}/load`)).status).toBe(200);
  });

  it('rejects a snapshot it cannot build at all and keeps serving the config in force', async () => {
    expect(proxy.apply(generation(50), 4000).ok).toBe(true);
    const snapshot = proxy.snapshot(generation(51), 4001);
    // A malformed route (no protocols), as a broken control plane or a corrupt cache could send.
    const routes = snapshot.entities.routes!.map((r) => (r['name'] === 'load' ? { ...r, protocols: undefined } : r));
    const result = proxy.dp.apply({ ...snapshot, entities: { ...snapshot.entities, routes } });
    expect(result.ok).toBe(false);
    expect(proxy.dp.config?.version).toBe(4000);
    expect(proxy.logs.some((l) => l.startsWith('error config rejected; keeping the current one'))).toBe(true);
    const res = await rawRequest(`${proxy.url}/load/still`);
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('a');
  });
});
