// Target health as the node reports it when its proxy runs in several worker processes. Each worker
// runs its own health checks, so for a moment after a change they can disagree: the node then reports
// the worse state (a target some worker has taken out is not fully serving).
import type { TargetHealth, UpstreamHealth } from '@tollgate/data-plane';

const RANK: Record<TargetHealth['health'], number> = { HEALTHCHECKS_OFF: 0, HEALTHY: 1, DNS_ERROR: 2, UNHEALTHY: 3 };

/** One report from every worker's reports: per upstream, target and address, the worst state any worker sees. */
export function mergeWorkerHealth(reports: ReadonlyArray<readonly UpstreamHealth[]>): UpstreamHealth[] {
  const upstreams = new Map<string, { id: string; upstream: string; targets: Map<string, TargetHealth> }>();
  for (const report of reports) {
    for (const u of report) {
      let merged = upstreams.get(u.id);
      if (merged === undefined) upstreams.set(u.id, (merged = { id: u.id, upstream: u.upstream, targets: new Map() }));
      for (const t of u.targets) {
        const known = merged.targets.get(t.id);
        if (known === undefined) {
          merged.targets.set(t.id, { ...t, addresses: t.addresses.map((a) => ({ ...a })) });
          continue;
        }
        if (RANK[t.health] > RANK[known.health]) known.health = t.health;
        for (const a of t.addresses) {
          const same = known.addresses.find((k) => k.ip === a.ip && k.port === a.port);
          if (same === undefined) known.addresses.push({ ...a });
          else if (RANK[a.health] > RANK[same.health]) same.health = a.health;
        }
      }
    }
  }
  return [...upstreams.values()].map((u) => ({ id: u.id, upstream: u.upstream, targets: [...u.targets.values()] }));
}
