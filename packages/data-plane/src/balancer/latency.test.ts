import { describe, expect, it } from 'vitest';
import { createUpstreamBalancer } from './upstream-balancer.ts';
import { input, targets, upstream } from './test-helpers.ts';

describe('latency (EWMA)', () => {
  const setup = () => {
    let now = 1_000;
    const clock = { advance: (ms: number) => (now += ms) };
    const b = createUpstreamBalancer(upstream({ algorithm: 'latency' }), targets(['10.0.0.1:80', 100], ['10.0.0.2:80', 100]), { now: () => now });
    const peers = Object.fromEntries(
      Array.from({ length: 2 }, () => b.pick(() => input())!.peer).map((p) => [p.address, p]),
    );
    return { b, clock, fast: peers['10.0.0.1:80']!, slow: peers['10.0.0.2:80']! };
  };

  it('round-robins while nothing is measured, then prefers the lowest average', () => {
    const { b, fast, slow } = setup();
    b.finished(fast, { kind: 'response', status: 200 }, 10);
    b.finished(slow, { kind: 'response', status: 200 }, 200);
    for (let i = 0; i < 5; i++) expect(b.pick(() => input())!.peer).toBe(fast);
  });

  it('moves the average with new samples', () => {
    const { b, clock, fast, slow } = setup();
    b.finished(fast, { kind: 'response', status: 200 }, 10);
    b.finished(slow, { kind: 'response', status: 200 }, 50);
    clock.advance(20_000);
    b.finished(fast, { kind: 'response', status: 200 }, 500); // the fast one got slow
    expect(b.pick(() => input())!.peer).toBe(slow);
  });

  it('counts timeouts but not refused connections', () => {
    const { b, fast, slow } = setup();
    b.finished(fast, { kind: 'response', status: 200 }, 20);
    b.finished(slow, { kind: 'tcp-error' }, 1);
    expect(b.pick(() => input())!.peer).toBe(slow); // still unmeasured (0)
    b.finished(slow, { kind: 'timeout' }, 60_000);
    expect(b.pick(() => input())!.peer).toBe(fast);
  });

  it('forgets a slow peer over time, so it gets tried again', () => {
    const { b, clock, fast, slow } = setup();
    b.finished(slow, { kind: 'response', status: 200 }, 300);
    clock.advance(60_000); // six decay constants: 300 ms decays below 1 ms
    b.finished(fast, { kind: 'response', status: 200 }, 5);
    expect(b.pick(() => input())!.peer).toBe(slow);
  });
});
