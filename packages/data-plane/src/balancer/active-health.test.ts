// Active checks against real loopback servers: statuses, refused connections, silence, TCP and TLS probes.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCertificate } from '../../../../test/support/certs.ts';
import { createUpstreamBalancer } from './upstream-balancer.ts';
import { healthchecks, input, targets, upstream, waitFor } from './test-helpers.ts';
import type { Balancer, BalancerDeps, Healthchecks, UpstreamEntity } from './types.ts';

/** A loopback HTTP(S) server whose answer tests switch: a status, or silence. */
class Backend {
  status = 200;
  silent = false;
  readonly seen: Array<{ at: number; method: string; url: string; headers: http.IncomingHttpHeaders; servername?: string }> = [];
  readonly server: http.Server;
  /** `127.0.0.1:port`, kept after stop() (the address then refuses connections). */
  target = '';

  constructor(server: http.Server) {
    this.server = server;
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.seen.push({ at: performance.now(), method: req.method!, url: req.url!, headers: req.headers, servername: (req.socket as TLSSocket).servername || undefined });
      if (this.silent) return;
      res.writeHead(this.status).end('ok');
    });

  }

  static async start(tls?: https.ServerOptions): Promise<Backend> {
    const backend = new Backend(tls === undefined ? http.createServer() : https.createServer(tls));
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    backend.target = `127.0.0.1:${(backend.server.address() as net.AddressInfo).port}`;
    started.push(backend);
    return backend;
  }


  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const started: Backend[] = [];
const balancers: Balancer[] = [];
afterEach(async () => {
  for (const b of balancers.splice(0)) b.close();
  await Promise.all(started.splice(0).map((s) => (s.server.listening ? s.stop() : undefined)));
});

const fast = (change: Parameters<typeof healthchecks>[0] = {}): Healthchecks =>
  healthchecks({
    ...change,
    active: {
      timeout: 0.5,
      ...change.active,
      healthy: { interval: 0.05, ...change.active?.healthy },
      unhealthy: { interval: 0.05, ...change.active?.unhealthy },
    },
  });

function balance(hc: Healthchecks, list: string[], fields: Partial<UpstreamEntity> = {}, deps: BalancerDeps = {}): Balancer {
  const b = createUpstreamBalancer(upstream({ healthchecks: hc, ...fields }), targets(...list.map((t): [string, number] => [t, 100])), deps);
  balancers.push(b);
  return b;
}

const healthOf = (b: Balancer, target: string) => b.health().find((t) => t.target === target)?.health;

describe('active health checks', () => {
  it('takes a peer out after unhealthy.http_failures probes and brings it back after healthy.successes', async () => {
    const [a, other] = [await Backend.start(), await Backend.start()];
    const hc = fast({ active: { http_path: '/status', headers: { 'x-probe': ['1', '2'] }, healthy: { successes: 2 }, unhealthy: { http_failures: 3 } } });
    const b = balance(hc, [a.target, other.target], { host_header: 'api.internal' });
    await waitFor('first probes', () => a.seen.length >= 2);
    expect(a.seen[0]).toMatchObject({ method: 'GET', url: '/status', headers: { host: 'api.internal', 'x-probe': '1, 2' } });
    expect(healthOf(b, a.target)).toBe('HEALTHY');

    a.status = 500;
    const before = a.seen.length;
    await waitFor('a unhealthy', () => healthOf(b, a.target) === 'UNHEALTHY');
    expect(a.seen.length - before).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 10; i++) expect(b.pick(() => input())!.peer.address).toBe(other.target);

    a.status = 200;
    const down = a.seen.length;
    await waitFor('a healthy again', () => healthOf(b, a.target) === 'HEALTHY');
    expect(a.seen.length - down).toBeGreaterThanOrEqual(2);
    const picks = new Set(Array.from({ length: 4 }, () => b.pick(() => input())!.peer.address));
    expect(picks).toEqual(new Set([a.target, other.target]));
  });

  it('counts a refused connection as a TCP failure', async () => {
    const a = await Backend.start();
    const b = balance(fast({ active: { unhealthy: { tcp_failures: 2, http_failures: 0 } } }), [a.target]);
    await waitFor('first probe', () => a.seen.length >= 1);
    await a.stop();
    await waitFor('a unhealthy', () => healthOf(b, a.target) === 'UNHEALTHY');
    expect(b.pick(() => input())).toBeNull();
  });

  it('counts a server that never answers as timeouts', async () => {
    const a = await Backend.start();
    a.silent = true;
    const b = balance(fast({ active: { timeout: 0.1, unhealthy: { timeouts: 2 } } }), [a.target]);
    await waitFor('a unhealthy', () => healthOf(b, a.target) === 'UNHEALTHY');
    expect(a.seen.length).toBeGreaterThanOrEqual(2);
  });

  it('probes with a TCP connect only for type tcp', async () => {
    const live = await Backend.start();
    const dead = await Backend.start();
    await dead.stop();
    const hc = fast({ active: { type: 'tcp', healthy: { successes: 1 }, unhealthy: { tcp_failures: 1 } } });
    const b = balance(hc, [live.target, dead.target]);
    b.setHealth(live.target, false);
    await waitFor('dead unhealthy, live healthy', () => healthOf(b, dead.target) === 'UNHEALTHY' && healthOf(b, live.target) === 'HEALTHY');
    expect(live.seen).toEqual([]); // no HTTP request was sent
  });

  it('probes only unhealthy peers when healthy.interval is 0, reviving what passive checks took out', async () => {
    const a = await Backend.start();
    const hc = fast({ active: { healthy: { interval: 0, successes: 2 } }, passive: { unhealthy: { http_failures: 1 } } });
    const b = balance(hc, [a.target]);
    await new Promise((r) => setTimeout(r, 150));
    expect(a.seen).toEqual([]);
    const peer = b.pick(() => input())!.peer;
    b.finished(peer, { kind: 'response', status: 500 }, 1);
    expect(b.pick(() => input())).toBeNull();
    await waitFor('revived by probes', () => b.pick(() => input()) !== null);
    expect(a.seen.length).toBeGreaterThanOrEqual(2);
  });

  it('caps simultaneous probes at concurrency', async () => {
    const backends = await Promise.all([Backend.start(), Backend.start(), Backend.start()]);
    for (const s of backends) s.silent = true;
    balance(fast({ active: { concurrency: 1, timeout: 0.1, unhealthy: { timeouts: 1 } } }), backends.map((s) => s.target));
    await waitFor('every backend probed twice', () => backends.every((s) => s.seen.length >= 2));
    // One at a time: each probe starts only once the previous one timed out (100 ms; all at once gives ~0).
    const arrivals = backends.flatMap((s) => s.seen.map((r) => r.at)).sort((x, y) => x - y);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(50);
  });

  it('stops probing on close()', async () => {
    const a = await Backend.start();
    const b = balance(fast(), [a.target]);
    await waitFor('probing', () => a.seen.length >= 1);
    b.close();
    const count = a.seen.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(a.seen.length).toBeLessThanOrEqual(count + 1); // at most the probe already under way
  });

  it('probes https with the configured SNI and verifies the certificate', async () => {
    const ca = await makeCertificate({ ca: true, commonName: 'test CA' });
    const leaf = await makeCertificate({ dnsNames: ['api.test'], issuer: ca });
    const a = await Backend.start({ cert: leaf.cert, key: leaf.key });
    const hc = fast({ active: { type: 'https', https_sni: 'api.test', healthy: { successes: 1 }, unhealthy: { tcp_failures: 1 } } });
    const trusted = balance(hc, [a.target], {}, { probeTls: { ca: ca.cert } });
    await waitFor('probed over TLS', () => a.seen.length >= 1);
    expect(a.seen[0]!.servername).toBe('api.test');
    expect(healthOf(trusted, a.target)).toBe('HEALTHY');

    const untrusted = balance(hc, [a.target]);
    await waitFor('unknown CA fails', () => healthOf(untrusted, a.target) === 'UNHEALTHY');
    const unverified = balance({ ...hc, active: { ...hc.active, https_verify_certificate: false } }, [a.target]);
    unverified.setHealth(a.target, false);
    await waitFor('unverified passes', () => healthOf(unverified, a.target) === 'HEALTHY');
  });
});
