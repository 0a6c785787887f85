// Node information, health, and schemas: `GET /`, `/status`, `/status/ready`, `/schemas/...`, `/plugins/enabled`.
import { hostname } from 'node:os';
import { ENTITIES, type EntityDefinition, type EntityPreparer, uuidV4 } from '@tollgate/schema';
import type { EntityStore } from '../store/index.ts';
import { HttpError, notFound, readBody, sendJson } from './http.ts';
import type { Router } from './router.ts';

export interface NodeInfo {
  version: string;
  nodeId: string;
  role: 'traditional' | 'control_plane';
  /** Settings shown under `configuration` in `GET /` (secrets removed by the caller). */
  configuration: Record<string, unknown>;
}

export interface InfoDeps {
  store: EntityStore;
  preparer: EntityPreparer;
  node: NodeInfo;
  bodyLimit: number;
  stats: { totalRequests: number; activeConnections: () => number };
}

const byPath = new Map<string, EntityDefinition>();
for (const def of ENTITIES) {
  byPath.set(def.name, def);
  byPath.set(def.adminPath, def);
}

export function registerInfoEndpoints(router: Router, deps: InfoDeps): void {
  const { store, preparer, node } = deps;

  router.on('GET', '/', (c) => {
    const available: Record<string, { version: string; priority: number }> = {};
    for (const [name, p] of preparer.plugins) available[name] = { version: p.version, priority: p.priority };
    sendJson(c.res, 200, {
      tagline: 'Welcome to tollgate',
      version: node.version,
      hostname: hostname(),
      node_id: node.nodeId,
      role: node.role,
      database: store.kind,
      plugins: { available_on_server: available, enabled_in_cluster: [...preparer.plugins.keys()].sort() },
      configuration: node.configuration,
    });
  });

  router.on('GET', '/status', async (c) => {
    const reachable = await store.ping();
    const memory = process.memoryUsage();
    sendJson(c.res, 200, {
      database: { reachable, kind: store.kind },
      configuration_version: reachable ? await store.configVersion() : null,
      server: { connections_active: deps.stats.activeConnections(), total_requests: deps.stats.totalRequests },
      memory: { rss: memory.rss, heap_used: memory.heapUsed, heap_total: memory.heapTotal, external: memory.external },
    });
  });

  router.on('GET', '/status/ready', async (c) => {
    if (!(await store.ping())) return sendJson(c.res, 503, { message: 'database is unreachable' });
    sendJson(c.res, 200, { message: 'ready' });
  });

  router.on('GET', '/plugins/enabled', (c) => sendJson(c.res, 200, { enabled_plugins: [...preparer.plugins.keys()].sort() }));

  router.on('GET', '/schemas/plugins/:name', (c) => {
    const plugin = preparer.plugins.get(c.params['name']!);
    if (plugin === undefined) throw new HttpError(404, `No plugin named '${c.params['name']}'`);
    sendJson(c.res, 200, { name: plugin.name, version: plugin.version, priority: plugin.priority, protocols: plugin.protocols ?? null, config: plugin.config });
  });

  router.on('POST', '/schemas/plugins/validate', async (c) => {
    const { value } = await readBody(c.req, deps.bodyLimit);
    value['id'] ??= uuidV4();
    value['created_at'] ??= 0;
    preparer.prepare(entity('plugins'), value);
    sendJson(c.res, 200, { message: 'schema validation successful' });
  });

  router.on('GET', '/schemas/:entity', (c) => {
    const def = byPath.get(c.params['entity']!);
    if (def === undefined) throw new HttpError(404, `No entity named '${c.params['entity']}'`);
    sendJson(c.res, 200, { name: def.name, endpoint_key: def.endpointKey ?? null, schema: def.schema });
  });

  router.on('POST', '/schemas/:entity/validate', async (c) => {
    const def = byPath.get(c.params['entity']!);
    if (def === undefined) throw new HttpError(404, `No entity named '${c.params['entity']}'`);
    const { value, kind } = await readBody(c.req, deps.bodyLimit);
    value['id'] ??= uuidV4();
    value['created_at'] ??= 0;
    preparer.prepare(def, value, { coerce: kind === 'form' });
    sendJson(c.res, 200, { message: 'schema validation successful' });
  });
}

function entity(name: string): EntityDefinition {
  const def = byPath.get(name);
  if (def === undefined) throw notFound();
  return def;
}
