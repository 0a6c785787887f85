// exportDeclarative: flat and nested output, and lossless export → load → export round trips.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import { EntityPreparer } from '../prepare.ts';
import { exportDeclarative, toJson, toYaml } from './export.ts';
import { loadDeclarative, type DeclarativeConfig } from './load.ts';
import { parseDeclarativeText } from './parse.ts';

const preparer = new EntityPreparer(bundledPluginCatalog);
const supabase = '/work/shared/fixtures/kong-configs/02-supabase-selfhosted.yml';

/** Export, write as text, read back, load: what a user does with an exported file. */
function reload(config: DeclarativeConfig, nest: boolean): DeclarativeConfig {
  return loadDeclarative(parseDeclarativeText(toYaml(exportDeclarative(config, { nest }))), preparer);
}

const SMALL = `
_format_version: "2.1"
services:
  - name: svc
    url: https://example.test:8443/api
    tags: [a, b]
    routes:
      - paths: ['/v1/(users|groups)']
        plugins: [{ name: key-auth, config: { key_names: [k] } }]
consumers:
  - username: alice
    basicauth_credentials: [{ username: alice, password: secret }]
    acls: [{ group: admins }]
upstreams:
  - name: backend
    targets: [{ target: a.internal }]
plugins:
  - name: rate-limiting
    service: svc
    consumer: alice
    config: { minute: 10 }
`;

describe('exportDeclarative', () => {
  const config = loadDeclarative(parseDeclarativeText(SMALL), preparer);

  it('writes a 3.0 document with `_transform: false`, ids, references as ids and no nulls', () => {
    const doc = exportDeclarative(config);
    expect(Object.keys(doc)).toEqual(['_format_version', '_transform', 'services', 'routes', 'consumers', 'upstreams', 'targets', 'basicauth_credentials', 'acls', 'plugins']);
    expect(doc['_format_version']).toBe('3.0');
    expect(doc['_transform']).toBe(false);
    const [route] = doc['routes'] as Array<Record<string, unknown>>;
    expect(route).toMatchObject({ id: config.entities.routes[0]!.id, service: config.entities.services[0]!.id, paths: ['~/v1/(users|groups)'] });
    expect(Object.values(route!)).not.toContain(null);
    expect(toYaml(doc)).not.toContain('null');
  });

  it('nests children under their parents with `nest`', () => {
    const doc = exportDeclarative(config, { nest: true });
    expect(Object.keys(doc)).toEqual(['_format_version', '_transform', 'services', 'consumers', 'upstreams']);
    const [service] = doc['services'] as Array<Record<string, unknown>>;
    const [route] = service!['routes'] as Array<Record<string, unknown>>;
    expect(route!['service']).toBeUndefined();
    expect(route!['plugins']).toEqual([expect.objectContaining({ name: 'key-auth', config: expect.objectContaining({ key_names: ['k'] }) })]);
    // A plugin on a service and a consumer nests under the service and keeps its consumer reference.
    expect(service!['plugins']).toEqual([expect.objectContaining({ name: 'rate-limiting', consumer: config.entities.consumers[0]!.id })]);
    expect((doc['upstreams'] as Array<Record<string, unknown>>)[0]!['targets']).toEqual([expect.objectContaining({ target: 'a.internal:8000', weight: 100 })]);
    expect(doc['plugins']).toBeUndefined();
  });

  for (const nest of [false, true]) {
    it(`round-trips losslessly (${nest ? 'nested' : 'flat'}): ids, hashed passwords and every field kept`, () => {
      const again = reload(config, nest);
      expect(again).toEqual(config);
      expect(toYaml(exportDeclarative(again, { nest }))).toBe(toYaml(exportDeclarative(config, { nest })));
    });
  }

  it('writes JSON that reads back to the same document', () => {
    const doc = exportDeclarative(config, { nest: true });
    expect(parseDeclarativeText(toJson(doc))).toEqual(doc);
    expect(parseDeclarativeText(toYaml(doc))).toEqual(doc);
  });
});

describe.skipIf(!existsSync(supabase))('export of 02 Supabase (skipped: /work/shared/fixtures is absent)', () => {
  const original = loadDeclarative(parseDeclarativeText(readFileSync(supabase, 'utf8')), preparer);

  for (const nest of [false, true]) {
    it(`export → load → export is byte-identical (${nest ? 'nested' : 'flat'})`, () => {
      const first = toYaml(exportDeclarative(original, { nest }));
      const reloaded = loadDeclarative(parseDeclarativeText(first), preparer);
      expect(toYaml(exportDeclarative(reloaded, { nest }))).toBe(first);
      expect(reloaded).toEqual(original);
    });
  }
});
