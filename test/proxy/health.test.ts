// Health checks and retries seen from the client: active probes take a failing target out and bring
// it back, passive checks take out a target answering 500, no healthy target means Kong's 503, and
// retries hide a dead target from idempotent requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, startUpstream, waitFor, type RawReply, type Upstream } from '../support/upstream.ts';

/** An upstream that answers `/health` with `health.status` and everything else with its name. */
async function startTarget(name: string): Promise<Upstream & { health: { status: number }; failRequests: boolean }> {
  const up = await startUpstream(name);
  const state = Object.assign(up, { health: { status: 200 }, failRequests: false });
  up.handle((req: IncomingMessage, res: ServerResponse, body: string) => {
    if (req.url === '/health') {
      res.writeHead(state.health.status, { 'content-type': 'text/plain' });
      return res.end(String(state.health.status));
    }
    res.writeHead(state.failRequests ? 500 : 200, { 'content-type': 'application/json', 'x-upstream': name });
    res.end(JSON.stringify({ server: name, url: req.url, body }));
  });
  return state;
}

function from(res: RawReply): string {
  return `${res.status} ${(res.headers['x-upstream'] as string | undefined) ?? '-'}`;
}

async function serve(url: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(from(await rawRequest(url)));
  return out;
}

describe('health checks and retries', () => {
  let activeA: Awaited<ReturnType<typeof startTarget>>;
  let activeB: Awaited<ReturnType<typeof startTarget>>;
  let passiveA: Awaited<ReturnType<typeof startTarget>>;
  let passiveB: Awaited<ReturnType<typeof startTarget>>;
  let retryA: Awaited<ReturnType<typeof startTarget>>;
  let retryB: Awaited<ReturnType<typeof startTarget>>;
  let proxy: ProxyHarness;
  const target = (up: Upstream) => ({ target: `127.0.0.1:${up.port}` });
  /** The whole config; `extra` adds an unrelated route (a config change that leaves the upstreams alone). */
  const config = (extra = false): Record<string, unknown> => ({
    _format_version: '3.0',
    upstreams: [
      {
        name: 'active-pool',
        healthchecks: {
          active: {
            http_path: '/health',
            timeout: 1,
            healthy: { interval: 0.1, successes: 2 },
            unhealthy: { interval: 0.1, http_failures: 2 },
          },
        },
        targets: [target(activeA), target(activeB)],
      },
      {
        name: 'passive-pool',
        healthchecks: { passive: { unhealthy: { http_failures: 2, http_statuses: [500] } } },
        targets: [target(passiveA), target(passiveB)],
      },
      { name: 'retry-pool', targets: [target(retryA), target(retryB)] },
    ],
    services: [
      { name: 'active', host: 'active-pool', routes: [{ paths: ['/active'] }] },
      { name: 'passive', host: 'passive-pool', routes: [{ paths: ['/passive'] }] },
      { name: 'retry-on', host: 'retry-pool', retries: 2, routes: [{ paths: ['/retry-on'] }] },
      { name: 'retry-off', host: 'retry-pool', retries: 0, routes: [{ paths: ['/retry-off'] }] },
      ...(extra ? [{ name: 'unrelated', url: 'http://127.0.0.1:1', routes: [{ paths: ['/unrelated'] }] }] : []),
    ],
  });

  beforeAll(async () => {
    [activeA, activeB, passiveA, passiveB, retryA, retryB] = await Promise.all([
      startTarget('active-a'),
      startTarget('active-b'),
      startTarget('passive-a'),
      startTarget('passive-b'),
      startTarget('retry-a'),
      startTarget('retry-b'),
    ]);
    proxy = await startProxy(config());
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([activeA, activeB, passiveA, passiveB, retryA, retryB].map((u) => u.close().catch(() => {})));
  });

  it('active checks: a target failing /health gets no traffic, and gets it again once it recovers', async () => {
    const url = `${proxy.url}/active`;
    expect(new Set(await serve(url, 10))).toEqual(new Set(['200 active-a', '200 active-b']));

    activeB.health.status = 500;
    // Round-robin over two healthy targets never picks one 10 times in a row: a run of 10 means B is out.
    let run = 0;
    await waitFor(
      async () => {
        const got = from(await rawRequest(url));
        expect(got).toMatch(/^200 /);
        run = got === '200 active-a' ? run + 1 : 0;
        return run >= 10;
      },
      { timeoutMs: 5000, everyMs: 5, what: 'active-b to be taken out' },
    );
    expect(await serve(url, 20)).toEqual(Array(20).fill('200 active-a'));
    // The probes kept going to B: that is how it can come back.
    expect(activeB.seen.filter((r) => r.url === '/health').length).toBeGreaterThanOrEqual(2);

    activeB.health.status = 200;
    await waitFor(async () => from(await rawRequest(url)) === '200 active-b', { timeoutMs: 5000, everyMs: 5, what: 'active-b to get traffic again' });
    expect(new Set(await serve(url, 10))).toEqual(new Set(['200 active-a', '200 active-b']));
  });

  it('answers 503 with Kong’s message when every target is unhealthy, and recovers', async () => {
    const url = `${proxy.url}/active`;
    activeA.health.status = 500;
    activeB.health.status = 503;
    try {
      const res = await waitFor(
        async () => {
          const r = await rawRequest(url, { headers: { accept: 'application/json' } });
          return r.status === 503 ? r : undefined;
        },
        { timeoutMs: 5000, everyMs: 10, what: 'every target to be unhealthy' },
      );
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(res.body) as { message: string; request_id: string };
      expect(body.message).toBe('failure to get a peer from the ring-balancer');
      expect(body.request_id).toBe(res.headers['x-kong-request-id']);
      // Nothing but probes reaches the upstreams meanwhile.
      const proxied = (): number => [...activeA.seen, ...activeB.seen].filter((r) => r.url !== '/health').length;
      const before = proxied();
      expect(await serve(url, 5)).toEqual(Array(5).fill('503 -'));
      expect(proxied()).toBe(before);
    } finally {
      activeA.health.status = 200;
      activeB.health.status = 200;
    }
    await waitFor(async () => (await rawRequest(url)).status === 200, { timeoutMs: 5000, everyMs: 10, what: 'the upstream to recover' });
  });

  it('passive checks: a target answering 500 is taken out after 2 failures', async () => {
    passiveB.failRequests = true;
    const got = await serve(`${proxy.url}/passive`, 12);
    // The two failures are passed on as they are (a 5xx response is never retried) ...
    expect(got.filter((g) => g === '500 passive-b')).toHaveLength(2);
    expect(got.filter((g) => g !== '500 passive-b')).toEqual(Array(10).fill('200 passive-a'));
    // ... and after them B gets nothing: passive checks alone never bring it back.
    expect(got.slice(4)).toEqual(Array(8).fill('200 passive-a'));
    expect(passiveB.seen).toHaveLength(2);

    // A new config that leaves this upstream alone keeps its balancer, and with it the verdict.
    const applied = proxy.apply(config(true));
    expect(applied.ok).toBe(true);
    expect(await serve(`${proxy.url}/passive`, 6)).toEqual(Array(6).fill('200 passive-a'));
    expect(passiveB.seen).toHaveLength(2);
  });

  it('retries: a stopped target is invisible to idempotent requests with retries, and a 502 without', async () => {
    expect(new Set(await serve(`${proxy.url}/retry-on`, 4))).toEqual(new Set(['200 retry-a', '200 retry-b']));
    await retryB.close();

    const withRetries = await serve(`${proxy.url}/retry-on`, 20);
    expect(withRetries).toEqual(Array(20).fill('200 retry-a'));

    // A POST whose body was never sent (connection refused) is safe to resend too.
    for (let i = 0; i < 4; i++) {
      const res = await rawRequest(`${proxy.url}/retry-on/post`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `payload ${i}` });
      expect(from(res)).toBe('200 retry-a');
      expect((JSON.parse(res.body) as { body: string }).body).toBe(`payload ${i}`);
    }

    const withoutRetries: RawReply[] = [];
    for (let i = 0; i < 6; i++) withoutRetries.push(await rawRequest(`${proxy.url}/retry-off`));
    const failed = withoutRetries.filter((r) => r.status === 502);
    // Round-robin keeps picking the dead target too (no health checks here): every other request.
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const r of failed) expect(r.body.split('\n')[0]).toBe('An invalid response was received from the upstream server');
    expect(withoutRetries.filter((r) => r.status !== 502).map(from)).toEqual(Array(6 - failed.length).fill('200 retry-a'));
  });
});
