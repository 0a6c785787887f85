// `GET /clustering/data-planes` and `/clustering/status`: who is connected and in sync, on a control plane.
import type { DataPlaneInfo } from '../cluster/registry.ts';
import { decodeOffset, encodeOffset } from '../store/pagination.ts';
import { HttpError, sendJson } from './http.ts';
import { nextLink, parseListOptions } from './listing.ts';
import type { Router } from './router.ts';

const NOT_CP = 'this endpoint is only available when Tollgate is configured to run as Control Plane for the cluster';

/** Kong's field names next to ours, for consoles written against Kong: cert_details.expiry_timestamp. */
function withKongFields(p: DataPlaneInfo): DataPlaneInfo & { cert_details: { expiry_timestamp: number | null } } {
  return { ...p, cert_details: { expiry_timestamp: p.cert_expiry } };
}

/** The data planes a control plane lists: this node's (DataPlaneRegistry) or the cluster's (ClusterPresence). */
export interface DataPlaneDirectory {
  list(): DataPlaneInfo[] | Promise<DataPlaneInfo[]>;
}

export function registerClusteringEndpoints(router: Router, directory: DataPlaneDirectory | undefined): void {
  // A collection as Kong pages it: by id, `size` (default 100, at most 1,000), an opaque `offset`.
  router.on('GET', '/clustering/data-planes', async (c) => {
    if (directory === undefined) throw new HttpError(400, NOT_CP);
    const { size, offset } = parseListOptions(c.url);
    const after = offset === undefined ? undefined : decodeOffset(offset);
    const all = (await directory.list()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let start = 0;
    if (after !== undefined) {
      const i = all.findIndex((p) => p.id > after);
      start = i === -1 ? all.length : i;
    }
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? encodeOffset(page.at(-1)!.id) : undefined;
    const body: Record<string, unknown> = { data: page.map(withKongFields), next: nextLink(c.url, next) };
    if (next !== undefined) body['offset'] = next;
    sendJson(c.res, 200, body);
  });
  // Kong deprecated this shape; it stays for tools that read it.
  router.on('GET', '/clustering/status', async (c) => {
    if (directory === undefined) throw new HttpError(400, NOT_CP);
    const body: Record<string, unknown> = {};
    for (const p of await directory.list()) body[p.id] = { config_hash: p.config_hash, hostname: p.hostname, ip: p.ip, last_seen: p.last_seen };
    sendJson(c.res, 200, body, { deprecation: 'true' });
  });
}
