// Merging the workers' health reports into the node's: the worse state wins while they disagree.
import { describe, expect, it } from 'vitest';
import type { UpstreamHealth } from '@tollgate/data-plane';
import { mergeWorkerHealth } from './health.ts';

const report = (health: 'HEALTHY' | 'UNHEALTHY', second: 'HEALTHY' | 'UNHEALTHY' = 'HEALTHY'): UpstreamHealth[] => [
  {
    id: 'u1',
    upstream: 'pool',
    targets: [
      { id: 't1', target: '10.0.0.1:80', weight: 100, health, addresses: [{ ip: '10.0.0.1', port: 80, health, weight: 100 }] },
      { id: 't2', target: '10.0.0.2:80', weight: 50, health: second, addresses: [{ ip: '10.0.0.2', port: 80, health: second, weight: 50 }] },
    ],
  },
];

describe('mergeWorkerHealth', () => {
  it('reports a target unhealthy while any worker has taken it out, healthy once all agree', () => {
    const merged = mergeWorkerHealth([report('HEALTHY'), report('UNHEALTHY'), report('HEALTHY')]);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.targets.map((t) => [t.id, t.health, t.addresses[0]!.health])).toEqual([
      ['t1', 'UNHEALTHY', 'UNHEALTHY'],
      ['t2', 'HEALTHY', 'HEALTHY'],
    ]);
    expect(mergeWorkerHealth([report('HEALTHY'), report('HEALTHY')])[0]!.targets[0]!.health).toBe('HEALTHY');
  });

  it('does not change the reports it merges, and takes what one worker knows that another does not yet', () => {
    const first = report('HEALTHY');
    const later: UpstreamHealth[] = [{ id: 'u2', upstream: 'new-pool', targets: [] }];
    const merged = mergeWorkerHealth([first, report('UNHEALTHY', 'UNHEALTHY'), later]);
    expect(first[0]!.targets[0]!.health).toBe('HEALTHY');
    expect(merged.map((u) => u.upstream)).toEqual(['pool', 'new-pool']);
    expect(mergeWorkerHealth([])).toEqual([]);
  });
});
