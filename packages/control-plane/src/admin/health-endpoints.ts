// `GET /upstreams/{upstream}/health`: the targets an upstream balances over, each with the health this
// node's proxy sees (Kong's shape), and `POST …/targets/{target}[/{address}]/healthy|unhealthy` to set it
// by hand. Only a node that proxies holds it: a control plane answers 400 and points at the data planes,
// which report it on their status listener's /metrics.
import { targets, upstreams, type EntityRecord } from '@tollgate/schema';
import type { EntityStore } from '../store/index.ts';
import { HttpError, sendJson } from './http.ts';
import { findByIdOrKey } from './references.ts';
import type { RequestContext, Router } from './router.ts';

type Health = 'HEALTHY' | 'UNHEALTHY' | 'DNS_ERROR' | 'HEALTHCHECKS_OFF';

/** What the node's proxy reports for one upstream (the data plane's UpstreamHealth). */
export interface ProxiedUpstreamHealth {
  id: string;
  targets: ReadonlyArray<{ id: string; health: Health; addresses: ReadonlyArray<{ ip: string; port: number; health: Exclude<Health, 'DNS_ERROR'>; weight: number }> }>;
}

/** The node's proxy, as far as target health goes. */
export interface TargetHealthControl {
  /** Every upstream the proxy balances, with its targets' health. */
  health(): Promise<readonly ProxiedUpstreamHealth[]>;
  /** Marks a target (by id), or one of its addresses, healthy or unhealthy in the proxy's balancers. */
  setTargetHealth(upstreamId: string, targetId: string, healthy: boolean, address?: string): Promise<'ok' | 'no-healthchecker' | 'not-found' | 'incomplete'>;
}

/** Every target of one upstream, page by page (indexed by upstream_id). */
async function targetsOf(store: EntityStore, upstreamId: string): Promise<EntityRecord[]> {
  const all: EntityRecord[] = [];
  let offset: string | undefined;
  do {
    const page = await store.page(targets, { size: 1000, offset, foreign: { upstream: upstreamId } });
    all.push(...page.data);
    offset = page.offset;
  } while (offset !== undefined);
  return all;
}

const NOT_PROXYING =
  'target health is known to the nodes that proxy; on a control plane, read it from each data plane (kong_upstream_target_health on its status listener’s /metrics)';

export function registerHealthEndpoints(router: Router, options: { store: EntityStore; nodeId: string; source: TargetHealthControl | undefined }): void {
  router.on('GET', '/upstreams/:upstream/health', async (c) => {
    const upstream = await findByIdOrKey(options.store, upstreams, c.params['upstream']!);
    if (upstream === null) throw new HttpError(404, 'Not found');
    if (options.source === undefined) throw new HttpError(400, NOT_PROXYING);
    const seen = new Map((await options.source.health()).find((u) => u.id === upstream.id)?.targets.map((t) => [t.id, t]) ?? []);
    const data = [];
    for (const target of await targetsOf(options.store, String(upstream.id))) {
      // A target created a moment ago is not in the proxy's balancer until it has applied the change.
      const balanced = seen.get(String(target.id));
      const addresses = balanced?.addresses ?? [];
      const total = addresses.reduce((sum, a) => sum + a.weight, 0);
      const available = addresses.reduce((sum, a) => sum + (a.health === 'UNHEALTHY' ? 0 : a.weight), 0);
      data.push({
        ...target,
        health: balanced?.health ?? 'HEALTHCHECKS_OFF',
        data: { addresses, weight: { total, available, unavailable: total - available } },
      });
    }
    sendJson(c.res, 200, { node_id: options.nodeId, data, next: null });
  });

  for (const state of ['healthy', 'unhealthy'] as const) {
    const set = async (c: RequestContext) => {
      const upstream = await findByIdOrKey(options.store, upstreams, c.params['upstream']!);
      if (upstream === null) throw new HttpError(404, 'Not found');
      const key = c.params['target']!;
      const target = (await targetsOf(options.store, String(upstream.id))).find((t) => t.id === key || t['target'] === key);
      if (target === undefined) throw new HttpError(404, 'Not found');
      if (options.source === undefined) throw new HttpError(400, NOT_PROXYING);
      const result = await options.source.setTargetHealth(String(upstream.id), String(target.id), state === 'healthy', c.params['address']);
      if (result === 'no-healthchecker') throw new HttpError(400, `no healthchecker found for '${String(upstream['name'])}'`);
      if (result === 'not-found') throw new HttpError(404, c.params['address'] === undefined ? 'target not in the balancer yet: try again once the proxy has applied it' : `no address ${c.params['address']} for this target`);
      if (result === 'incomplete') throw new HttpError(503, 'not every proxy worker has applied it (one is starting, or has not applied the latest config yet); try again');
      sendJson(c.res, 204, undefined);
    };
    router.on(['POST', 'PUT'], `/upstreams/:upstream/targets/:target/${state}`, set);
    router.on(['POST', 'PUT'], `/upstreams/:upstream/targets/:target/:address/${state}`, set);
  }
}
