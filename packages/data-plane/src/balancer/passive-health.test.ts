import { describe, expect, it } from 'vitest';
import { createUpstreamBalancer } from './upstream-balancer.ts';
import { healthchecks, input, targets, upstream } from './test-helpers.ts';
import type { Balancer, Healthchecks, Peer, TryOutcome } from './types.ts';

const A = '10.0.0.1:80';
const B = '10.0.0.2:80';

function setup(hc: Healthchecks): { b: Balancer; a: Peer; health: () => string } {
  const b = createUpstreamBalancer(upstream({ healthchecks: hc }), targets([A, 100], [B, 100]));
  const a = b.pick(() => input())!.peer;
  expect(a.address).toBe(A);
  return { b, a, health: () => b.health()[0]!.health };
}

function report(b: Balancer, peer: Peer, ...outcomes: TryOutcome[]): void {
  for (const outcome of outcomes) {
    b.started(peer);
    b.finished(peer, outcome, 10);
  }
}

const status = (s: number): TryOutcome => ({ kind: 'response', status: s });

describe('passive health checks', () => {
  it('takes a peer out after unhealthy.http_failures responses with an unhealthy status', () => {
    const { b, a, health } = setup(healthchecks({ passive: { unhealthy: { http_failures: 3 } } }));
    report(b, a, status(500), status(503));
    expect(health()).toBe('HEALTHY');
    report(b, a, status(429));
    expect(health()).toBe('UNHEALTHY');
    for (let i = 0; i < 10; i++) expect(b.pick(() => input())!.peer.address).toBe(B);
  });

  it('counts in a row when healthy.successes is set: a success resets the failures', () => {
    const { b, a, health } = setup(healthchecks({ passive: { healthy: { successes: 1 }, unhealthy: { http_failures: 2 } } }));
    report(b, a, status(500), status(200), status(500), status(200), status(500));
    expect(health()).toBe('HEALTHY');
    report(b, a, status(500));
    expect(health()).toBe('UNHEALTHY');
  });

  it('accumulates failures across successes when healthy.successes is 0 (the default), as lua-resty-healthcheck does', () => {
    const { b, a, health } = setup(healthchecks({ passive: { unhealthy: { http_failures: 2 } } }));
    report(b, a, status(500), ...Array.from({ length: 50 }, () => status(200)));
    expect(health()).toBe('HEALTHY');
    report(b, a, status(500));
    expect(health()).toBe('UNHEALTHY');
  });

  it('ignores statuses in neither list', () => {
    const { b, a, health } = setup(healthchecks({ passive: { unhealthy: { http_failures: 1 } } }));
    report(b, a, status(404), status(502), status(418));
    expect(health()).toBe('HEALTHY');
  });

  it('counts TCP failures and timeouts on their own counters; a 504 is a timeout', () => {
    const { b, a, health } = setup(healthchecks({ passive: { unhealthy: { tcp_failures: 2, timeouts: 3, http_failures: 1 } } }));
    report(b, a, { kind: 'tcp-error' }, { kind: 'timeout' }, status(504));
    expect(health()).toBe('HEALTHY'); // 1 tcp, 2 timeouts; the 504 did not count as an HTTP failure
    report(b, a, { kind: 'timeout' });
    expect(health()).toBe('UNHEALTHY');

    const t = setup(healthchecks({ passive: { unhealthy: { tcp_failures: 2 } } }));
    report(t.b, t.a, { kind: 'tcp-error' }, { kind: 'tcp-error' });
    expect(t.health()).toBe('UNHEALTHY');
  });

  it('disables a counter set to 0', () => {
    const { b, a, health } = setup(healthchecks({ passive: { unhealthy: { tcp_failures: 5 } } }));
    report(b, a, ...Array.from({ length: 20 }, () => status(500)), ...Array.from({ length: 20 }, (): TryOutcome => ({ kind: 'timeout' })));
    expect(health()).toBe('HEALTHY');
  });

  it('never revives a peer from proxied successes: only an active check or setHealth does', () => {
    const { b, a, health } = setup(healthchecks({ passive: { healthy: { successes: 1 }, unhealthy: { http_failures: 1 } } }));
    b.started(a); // a try in flight when the peer goes down
    report(b, a, status(500));
    expect(health()).toBe('UNHEALTHY');
    b.finished(a, status(200), 10);
    expect(health()).toBe('UNHEALTHY');
    b.setHealth(A, true);
    expect(health()).toBe('HEALTHY');
  });

  it('gives null when every peer is down, and reports HEALTHCHECKS_OFF without checks', () => {
    const { b } = setup(healthchecks({ passive: { unhealthy: { http_failures: 1 } } }));
    for (const address of [A, B]) report(b, b.pick(() => input(), new Set(address === A ? [] : [A]))!.peer, status(500));
    expect(b.pick(() => input())).toBeNull();
    expect(b.healthy).toBe(false);
    expect(b.health().map((t) => t.health)).toEqual(['UNHEALTHY', 'UNHEALTHY']);

    const off = setup(healthchecks());
    report(off.b, off.a, ...Array.from({ length: 10 }, () => status(500)));
    expect(off.health()).toBe('HEALTHCHECKS_OFF');
    expect(off.b.pick(() => input())).not.toBeNull();
  });

  it('carries verdicts over to the balancer that replaces it', () => {
    const hc = healthchecks({ passive: { unhealthy: { http_failures: 1 } } });
    const { b, a } = setup(hc);
    report(b, a, status(500));
    const next = createUpstreamBalancer(upstream({ healthchecks: hc }), targets([A, 100], [B, 100], ['10.0.0.3:80', 100]), { previous: b });
    b.close();
    expect(next.health().map((t) => t.health)).toEqual(['UNHEALTHY', 'HEALTHY', 'HEALTHY']);
  });
});
