import { describe, expect, it } from 'vitest';
import { createUpstreamBalancer } from './upstream-balancer.ts';
import { input, targets, upstream } from './test-helpers.ts';
import type { Peer } from './types.ts';

const lc = () => upstream({ algorithm: 'least-connections' });

describe('least-connections', () => {
  it('prefers the idle peer', () => {
    const b = createUpstreamBalancer(lc(), targets(['10.0.0.1:80', 100], ['10.0.0.2:80', 100]));
    const busy = b.pick(() => input())!.peer;
    b.started(busy);
    for (let i = 0; i < 5; i++) expect(b.pick(() => input())!.peer.address).not.toBe(busy.address);
    b.finished(busy, { kind: 'response', status: 200 }, 1);
    const picks = new Set(Array.from({ length: 4 }, () => b.pick(() => input())!.peer.address));
    expect(picks.size).toBe(2); // idle again: ties go round robin
  });

  it('weighs in-flight counts by weight', () => {
    const b = createUpstreamBalancer(lc(), targets(['10.0.0.1:80', 300], ['10.0.0.2:80', 100]));
    // Keep every try open: loads settle at 3:1, as (in-flight + 1) / weight evens out.
    const inflight = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const peer: Peer = b.pick(() => input())!.peer;
      b.started(peer);
      inflight.set(peer.address, (inflight.get(peer.address) ?? 0) + 1);
    }
    expect(inflight.get('10.0.0.1:80')).toBe(300);
    expect(inflight.get('10.0.0.2:80')).toBe(100);
  });

  it('goes to the heavier of two idle peers first (Kong: (in-flight + 1) / weight)', () => {
    const b = createUpstreamBalancer(lc(), targets(['10.0.0.1:80', 10], ['10.0.0.2:80', 30]));
    expect(b.pick(() => input())!.peer.address).toBe('10.0.0.2:80');
  });

  it('round-robins ties', () => {
    const b = createUpstreamBalancer(lc(), targets(['10.0.0.1:80', 5], ['10.0.0.2:80', 5], ['10.0.0.3:80', 5]));
    const seq = Array.from({ length: 6 }, () => b.pick(() => input())!.peer.address.slice(-4, -3)).join('');
    expect(seq).toBe('123123');
  });
});
