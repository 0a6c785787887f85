// Builders and waits shared by the balancer tests (not shipped: nothing in index.ts imports it).
import { defaultHealthchecks, defaultTarget, defaultUpstream } from './defaults.ts';
import type { Balancer, BalancerInput, Healthchecks, ResolvedAddress, Resolver, TargetEntity, UpstreamEntity } from './types.ts';

export function upstream(fields: Partial<UpstreamEntity> = {}): UpstreamEntity {
  return defaultUpstream({ id: 'u1', name: 'service.test', ...fields });
}

/** Targets from `[target, weight]` pairs. */
export function targets(...list: Array<[string, number]>): TargetEntity[] {
  return list.map(([target, weight]) => defaultTarget(target, weight, 'u1'));
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Kong's default health checks with some fields changed. */
export function healthchecks(change: DeepPartial<Healthchecks> = {}): Healthchecks {
  const hc = defaultHealthchecks();
  return {
    threshold: change.threshold ?? hc.threshold,
    active: {
      ...hc.active,
      ...(change.active as Partial<Healthchecks['active']>),
      healthy: { ...hc.active.healthy, ...(change.active?.healthy as object) },
      unhealthy: { ...hc.active.unhealthy, ...(change.active?.unhealthy as object) },
    },
    passive: {
      ...hc.passive,
      ...(change.passive as Partial<Healthchecks['passive']>),
      healthy: { ...hc.passive.healthy, ...(change.passive?.healthy as object) },
      unhealthy: { ...hc.passive.unhealthy, ...(change.passive?.unhealthy as object) },
    },
  };
}

export function input(fields: Partial<BalancerInput> = {}): BalancerInput {
  return { clientIp: '192.0.2.1', headers: {}, path: '/', query: '', ...fields };
}

/** Picks `n` times and counts picks per address (`make(i)` builds the i-th request input). */
export function tally(balancer: Balancer, n: number, make: (i: number) => BalancerInput = () => input()): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const picked = balancer.pick(() => make(i));
    if (picked === null) throw new Error(`pick ${i} returned null`);
    counts.set(picked.peer.address, (counts.get(picked.peer.address) ?? 0) + 1);
  }
  return counts;
}

/** Polls `check` until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A resolver whose answers tests set per host (an Error rejects); counts queries. */
export class StubResolver implements Resolver {
  readonly answers = new Map<string, Array<Omit<ResolvedAddress, 'family'> & { family?: 4 | 6 }> | Error>();
  readonly calls: string[] = [];

  set(host: string, ips: string[] | Error, ttlSeconds = 60): void {
    this.answers.set(host, ips instanceof Error ? ips : ips.map((address) => ({ address, ttlSeconds })));
  }

  resolve(host: string): Promise<ResolvedAddress[]> {
    this.calls.push(host);
    const answer = this.answers.get(host);
    if (answer === undefined) return Promise.reject(Object.assign(new Error(`${host}: not found`), { code: 'ENOTFOUND' }));
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(answer.map((a) => ({ family: 4 as const, ...a })));
  }
}
