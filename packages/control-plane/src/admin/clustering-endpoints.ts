// `GET /clustering/data-planes` and `/clustering/status`: who is connected and in sync, on a control plane.
import type { DataPlaneInfo } from '../cluster/registry.ts';
import { HttpError, sendJson } from './http.ts';
import type { Router } from './router.ts';

const NOT_CP = 'this endpoint is only available when Tollgate is configured to run as Control Plane for the cluster';

/** The data planes a control plane lists: this node's (DataPlaneRegistry) or the cluster's (ClusterPresence). */
export interface DataPlaneDirectory {
  list(): DataPlaneInfo[] | Promise<DataPlaneInfo[]>;
}

export function registerClusteringEndpoints(router: Router, directory: DataPlaneDirectory | undefined): void {
  router.on('GET', '/clustering/data-planes', async (c) => {
    if (directory === undefined) throw new HttpError(400, NOT_CP);
    sendJson(c.res, 200, { data: await directory.list(), next: null });
  });
  // Kong deprecated this shape; it stays for tools that read it.
  router.on('GET', '/clustering/status', async (c) => {
    if (directory === undefined) throw new HttpError(400, NOT_CP);
    const body: Record<string, unknown> = {};
    for (const p of await directory.list()) body[p.id] = { config_hash: p.config_hash, hostname: p.hostname, ip: p.ip, last_seen: p.last_seen };
    sendJson(c.res, 200, body, { deprecation: 'true' });
  });
}
