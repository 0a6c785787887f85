// The contract every balancing algorithm keeps, run once per algorithm by contract.test.ts
// (as hono runs src/router/common.case.test.ts over each router).
import { describe, expect, it } from 'vitest';
import { createUpstreamBalancer } from './upstream-balancer.ts';
import { healthchecks, input, tally, targets, upstream } from './test-helpers.ts';
import type { BalancerInput, UpstreamEntity } from './types.ts';

export interface AlgorithmVariant {
  name: string;
  /** Upstream fields selecting the algorithm. */
  fields: Partial<UpstreamEntity>;
  /** The i-th request's input (hashing spreads only over varied inputs). */
  input: (i: number) => BalancerInput;
}

const A = '10.0.0.1:80';
const B = '10.0.0.2:80';
const C = '10.0.0.3:80';

// Passive checks on, so setHealth and health verdicts apply.
const passive = healthchecks({ passive: { unhealthy: { http_failures: 3 } } });

export function runBalancerContract(variant: AlgorithmVariant): void {
  const make = (list: Array<[string, number]>, fields: Partial<UpstreamEntity> = {}) =>
    createUpstreamBalancer(upstream({ healthchecks: passive, ...variant.fields, ...fields }), targets(...list));

  describe(`balancer contract: ${variant.name}`, () => {
    it('picks peers of the given targets, with their fields', () => {
      const b = make([[A, 100], ['[::1]:81', 100]]);
      const picked = tally(b, 200, variant.input);
      expect([...picked.keys()].every((k) => k === A || k === '[::1]:81')).toBe(true);
      const v6 = b.pick(() => variant.input(0), new Set([A]))!.peer;
      expect(v6).toMatchObject({ address: '[::1]:81', ip: '::1', port: 81, hostname: '::1', targetId: 'u1/[::1]:81', weight: 100 });
      expect(b.healthy).toBe(true);
    });

    it('spreads over every equal-weight target', () => {
      const counts = tally(make([[A, 10], [B, 10], [C, 10]]), 600, variant.input);
      expect(counts.size).toBe(3);
      for (const n of counts.values()) expect(n).toBeGreaterThan(100);
    });

    it('sends nothing to a weight 0 target', () => {
      const counts = tally(make([[A, 100], [B, 0], [C, 100]]), 300, variant.input);
      expect(counts.has(B)).toBe(false);
    });

    it('returns null with no targets, or only weight 0 ones', () => {
      for (const list of [[], [[A, 0]]] as Array<Array<[string, number]>>) {
        const b = make(list);
        expect(b.pick(() => variant.input(0))).toBeNull();
        expect(b.healthy).toBe(false);
      }
    });

    it('skips excluded addresses while another peer is left', () => {
      const b = make([[A, 100], [B, 100], [C, 100]]);
      for (let i = 0; i < 50; i++) {
        const first = b.pick(() => variant.input(i))!.peer.address;
        const second = b.pick(() => variant.input(i), new Set([first]))!.peer.address;
        expect(second).not.toBe(first);
        const third = b.pick(() => variant.input(i), new Set([first, second]))!.peer.address;
        expect([first, second]).not.toContain(third);
      }
    });

    it('picks an excluded peer rather than none when every healthy peer was tried', () => {
      const b = make([[A, 100], [B, 100]]);
      expect(b.pick(() => variant.input(0), new Set([A, B]))?.peer.address).toMatch(/^10\.0\.0\.[12]:80$/);
      b.setHealth('u1/' + B, false);
      expect(b.pick(() => variant.input(0), new Set([A]))?.peer.address).toBe(A);
    });

    it('sends nothing to unhealthy peers; all unhealthy gives null; setHealth brings them back', () => {
      const b = make([[A, 100], [B, 100], [C, 100]]);
      expect(b.setHealth(`u1/${B}`, false)).toBe('ok');
      expect(tally(b, 200, variant.input).has(B)).toBe(false);
      b.setHealth(A, false);
      b.setHealth(`u1/${C}`, false, '10.0.0.3');
      expect(b.pick(() => variant.input(0))).toBeNull();
      expect(b.healthy).toBe(false);
      b.setHealth(`u1/${B}`, true, B);
      expect(b.pick(() => variant.input(0))?.peer.address).toBe(B);
      expect(b.setHealth('u1/nope', true)).toBe('not-found');
      expect(b.setHealth(A, true, '10.9.9.9')).toBe('not-found');
    });

    it('takes a peer out after passive http failures', () => {
      const b = make([[A, 100], [B, 100]]);
      const peer = b.pick(() => variant.input(0))!.peer;
      for (let i = 0; i < 3; i++) {
        b.started(peer);
        b.finished(peer, { kind: 'response', status: 500 }, 5);
      }
      const counts = tally(b, 100, variant.input);
      expect(counts.has(peer.address)).toBe(false);
      expect(b.health().find((t) => t.id === peer.targetId)?.health).toBe('UNHEALTHY');
    });

    it('is unhealthy below the threshold', () => {
      const b = make([[A, 100], [B, 100], [C, 100]], { healthchecks: { ...passive, threshold: 50 } });
      b.setHealth(A, false);
      expect(b.healthy).toBe(true); // 66 % > 50 %
      b.setHealth(B, false);
      expect(b.healthy).toBe(false); // 33 %
      expect(b.pick(() => variant.input(0))).toBeNull();
      const half = make([[A, 100], [B, 100]], { healthchecks: { ...passive, threshold: 50 } });
      half.setHealth(A, false);
      expect(half.healthy).toBe(true); // exactly 50 % is enough
      const all = make([[A, 100]], { healthchecks: { ...passive, threshold: 100 } });
      expect(all.pick(() => variant.input(0))).not.toBeNull();
    });

    it('reports health per target and address', () => {
      const b = make([[A, 100], [B, 0]]);
      expect(b.health()).toEqual([
        { id: `u1/${A}`, target: A, weight: 100, health: 'HEALTHY', addresses: [{ ip: '10.0.0.1', port: 80, health: 'HEALTHY', weight: 100 }] },
        { id: `u1/${B}`, target: B, weight: 0, health: 'HEALTHY', addresses: [{ ip: '10.0.0.2', port: 80, health: 'HEALTHY', weight: 0 }] },
      ]);
      const off = createUpstreamBalancer(upstream(variant.fields), targets([A, 100]));
      expect(off.health()[0]).toMatchObject({ health: 'HEALTHCHECKS_OFF', addresses: [{ health: 'HEALTHCHECKS_OFF' }] });
      expect(off.setHealth(A, false)).toBe('no-healthchecker');
    });

    it('accounts in-flight tries and tolerates foreign or repeated finishes', () => {
      const b = make([[A, 100]]);
      const peer = b.pick(() => variant.input(0))!.peer;
      b.started(peer);
      b.finished(peer, { kind: 'response', status: 200 }, 3);
      b.finished(peer, { kind: 'response', status: 200 }, 3);
      b.finished({ ...peer }, { kind: 'tcp-error' }, 3);
      expect(b.pick(() => variant.input(0))?.peer).toBe(peer);
      b.close();
      b.close();
    });
  });
}

export const plainInput = (): BalancerInput => input();
