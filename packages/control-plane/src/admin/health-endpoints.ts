// `GET /upstreams/{upstream}/health`: the targets an upstream balances over, each with the health this
// node's proxy sees (Kong's shape). Only a node that proxies knows it: a control plane answers 400 and
// points at the data planes, which report it on their status listener's /metrics.
import { targets, upstreams, type EntityRecord } from '@tollgate/schema';
import type { EntityStore } from '../store/index.ts';
import { HttpError, sendJson } from './http.ts';
import { findByIdOrKey } from './references.ts';
import type { Router } from './router.ts';

type Health = 'HEALTHY' | 'UNHEALTHY' | 'DNS_ERROR' | 'HEALTHCHECKS_OFF';

/** What the node's proxy reports for one upstream (the data plane's UpstreamHealth). */
export interface ProxiedUpstreamHealth {
  id: string;
  targets: ReadonlyArray<{ id: string; health: Health; addresses: ReadonlyArray<{ ip: string; port: number; health: Exclude<Health, 'DNS_ERROR'>; weight: number }> }>;
}

/** Every upstream the proxy balances, with its targets' health. */
export type HealthSource = () => Promise<readonly ProxiedUpstreamHealth[]>;

const NOT_PROXYING =
  'target health is known to the nodes that proxy; on a control plane, read it from each data plane (kong_upstream_target_health on its status listener’s /metrics)';

export function registerHealthEndpoints(router: Router, options: { store: EntityStore; nodeId: string; source: HealthSource | undefined }): void {
  router.on('GET', '/upstreams/:upstream/health', async (c) => {
    const upstream = await findByIdOrKey(options.store, upstreams, c.params['upstream']!);
    if (upstream === null) throw new HttpError(404, 'Not found');
    if (options.source === undefined) throw new HttpError(400, NOT_PROXYING);
    const seen = (await options.source()).find((u) => u.id === upstream.id);
    const stored = new Map<string, EntityRecord>();
    for (const t of await options.store.all(targets)) if ((t['upstream'] as { id?: string } | null)?.id === upstream.id) stored.set(String(t.id), t);
    // The targets the proxy balances over: one created a moment ago shows once the proxy has applied it,
    // and an upstream no service uses is not balanced, so it lists none.
    const data = (seen?.targets ?? []).map((t) => ({
      ...(stored.get(t.id) ?? { id: t.id }),
      health: t.health,
      data: { addresses: t.addresses },
    }));
    sendJson(c.res, 200, { node_id: options.nodeId, data, next: null });
  });
}
