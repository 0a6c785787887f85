// `GET /clustering/data-planes` and `/clustering/status`: who is connected and in sync, on a control plane.
import type { DataPlaneRegistry } from '../cluster/registry.ts';
import { HttpError, sendJson } from './http.ts';
import type { Router } from './router.ts';

const NOT_CP = 'this endpoint is only available when Tollgate is configured to run as Control Plane for the cluster';

export function registerClusteringEndpoints(router: Router, registry: DataPlaneRegistry | undefined): void {
  router.on('GET', '/clustering/data-planes', (c) => {
    if (registry === undefined) throw new HttpError(400, NOT_CP);
    sendJson(c.res, 200, { data: registry.list(), next: null });
  });
  // Kong deprecated this shape; it stays for tools that read it.
  router.on('GET', '/clustering/status', (c) => {
    if (registry === undefined) throw new HttpError(400, NOT_CP);
    const body: Record<string, unknown> = {};
    for (const p of registry.list()) body[p.id] = { config_hash: p.config_hash, hostname: p.hostname, ip: p.ip, last_seen: p.last_seen };
    sendJson(c.res, 200, body, { deprecation: 'true' });
  });
}
