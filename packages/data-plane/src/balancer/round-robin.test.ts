import { describe, expect, it } from 'vitest';
import { algorithmOf } from './algorithm.ts';
import { createUpstreamBalancer } from './upstream-balancer.ts';
import { healthchecks, input, tally, targets, upstream } from './test-helpers.ts';

const sequence = (b: ReturnType<typeof createUpstreamBalancer>, n: number): string[] =>
  Array.from({ length: n }, () => b.pick(() => input())!.peer.address.slice(-4, -3));

describe('weighted round-robin', () => {
  it('interleaves smoothly, as nginx does (5:1:1 → a a b a c a a)', () => {
    const b = createUpstreamBalancer(upstream(), targets(['10.0.0.1:80', 5], ['10.0.0.2:80', 1], ['10.0.0.3:80', 1]));
    expect(sequence(b, 14).join('')).toBe('11213111121311');
  });

  it('is exactly proportional over every cycle of sum(weights) picks', () => {
    const b = createUpstreamBalancer(upstream(), targets(['10.0.0.1:80', 100], ['10.0.0.2:80', 50], ['10.0.0.3:80', 25]));
    for (let cycle = 0; cycle < 3; cycle++) {
      const counts = tally(b, 175);
      expect(Object.fromEntries(counts)).toEqual({ '10.0.0.1:80': 100, '10.0.0.2:80': 50, '10.0.0.3:80': 25 });
    }
  });

  it('alternates equal weights and is the same sequence for every balancer built from the same config', () => {
    const make = () => createUpstreamBalancer(upstream(), targets(['10.0.0.1:80', 7], ['10.0.0.2:80', 7], ['10.0.0.3:80', 7]));
    expect(sequence(make(), 6).join('')).toBe('123123');
    expect(sequence(make(), 50)).toEqual(sequence(make(), 50));
  });

  it('keeps the others proportional while one is unhealthy', () => {
    const b = createUpstreamBalancer(
      upstream({ healthchecks: healthchecks({ passive: { unhealthy: { tcp_failures: 1 } } }) }),
      targets(['10.0.0.1:80', 2], ['10.0.0.2:80', 1], ['10.0.0.3:80', 1]),
    );
    b.setHealth('10.0.0.3:80', false);
    expect(Object.fromEntries(tally(b, 30))).toEqual({ '10.0.0.1:80': 20, '10.0.0.2:80': 10 });
  });

  it('never builds the hashing input', () => {
    const b = createUpstreamBalancer(upstream(), targets(['10.0.0.1:80', 1], ['10.0.0.2:80', 1]));
    let built = 0;
    for (let i = 0; i < 10; i++) b.pick(() => (built++, input()));
    expect(built).toBe(0);
  });

  it('is replaced by consistent hashing when hash_on is set (Kong)', () => {
    expect(algorithmOf(upstream({ algorithm: 'round-robin', hash_on: 'ip' }))).toBe('consistent-hashing');
    expect(algorithmOf(upstream({ algorithm: 'least-connections' }))).toBe('least-connections');
  });
});
