// `POST /config` imports a whole declarative file (replacing the store, all or nothing);
// `GET /config` exports the store as one.
import type { EntityPreparer } from '@tollgate/schema';
import { toYaml } from '@tollgate/schema/declarative';
import { exportConfig, importConfig, validateConfig } from '../config/import-export.ts';
import type { EntityStore } from '../store/index.ts';
import { readBody, sendJson } from './http.ts';
import type { Router } from './router.ts';

export interface ConfigDeps {
  store: EntityStore;
  preparer: EntityPreparer;
  bodyLimit: number;
}

export function registerConfigEndpoints(router: Router, deps: ConfigDeps): void {
  router.on('GET', '/config', async (c) => {
    const doc = await exportConfig(deps.store, { nest: c.url.searchParams.get('nest') === 'true' });
    if (c.url.searchParams.get('format') === 'json') return sendJson(c.res, 200, doc);
    sendJson(c.res, 200, { config: toYaml(doc) });
  });

  router.on('POST', '/config', async (c) => {
    const body = await readBody(c.req, deps.bodyLimit, true);
    // Kong accepts the file as the body itself, or as a `config` field (form or JSON).
    const field = body.value['config'];
    const input = typeof field === 'string' ? field : body.kind === 'yaml' ? body.text : body.value;
    const config = validateConfig(input, deps.preparer);
    if (c.url.searchParams.get('dry_run') === 'true') return sendJson(c.res, 200, { message: 'declarative config is valid' });
    const result = await importConfig(deps.store, config);
    sendJson(c.res, 201, { message: 'declarative config imported', version: result.version, counts: result.counts });
  });
}
