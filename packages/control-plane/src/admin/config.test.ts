// POST /config and GET /config: whole declarative files in and out, all or nothing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityPreparer } from '@tollgate/schema';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import { BACKENDS, startAdmin, type AdminHarness } from '../../../../test/support/admin.ts';
import { importConfig, validateConfig } from '../config/import-export.ts';

const FIXTURES = join(import.meta.dirname, '../../../../../shared/fixtures/kong-configs');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const yaml = { 'content-type': 'application/yaml' };

const NESTED = `
_format_version: "3.0"
services:
  - name: catalog
    url: http://catalog.internal:8080/v2
    tags: [shop]
    routes:
      - name: catalog-read
        paths: [/catalog]
        methods: [GET]
        plugins:
          - name: rate-limiting
            config: { minute: 30 }
    plugins:
      - name: correlation-id
consumers:
  - username: carol
    keyauth_credentials:
      - key: carol-key
    acls:
      - group: buyers
upstreams:
  - name: catalog.upstream
    targets:
      - target: 10.1.0.1:8080
        weight: 50
plugins:
  - name: cors
    config: { origins: ["*"] }
`;

describe.each(BACKENDS)('declarative config over HTTP (%s)', (backend) => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdmin(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  it('imports a file with nested entities and references', async () => {
    const res = await h.request('POST', '/config', NESTED, yaml);
    expect(res.status).toBe(201);
    expect(res.body.counts).toMatchObject({ services: 1, routes: 1, plugins: 3, consumers: 1, keyauth_credentials: 1, acls: 1, upstreams: 1, targets: 1 });
    const route = (await h.request('GET', '/routes/catalog-read')).body;
    const service = (await h.request('GET', '/services/catalog')).body;
    expect(route.service).toEqual({ id: service.id });
    expect(service).toMatchObject({ host: 'catalog.internal', port: 8080, path: '/v2', tags: ['shop'] });
    const routePlugins = (await h.request('GET', '/routes/catalog-read/plugins')).body.data;
    expect(routePlugins).toMatchObject([{ name: 'rate-limiting', config: { minute: 30, policy: 'local' } }]);
    expect((await h.request('GET', '/key-auths/carol-key/consumer')).body.username).toBe('carol');
    expect((await h.request('GET', '/upstreams/catalog.upstream/targets')).body.data[0]).toMatchObject({ target: '10.1.0.1:8080', weight: 50 });
  });

  it('gives the same ids when the same file is imported again', async () => {
    const before = (await h.request('GET', '/services/catalog')).body.id;
    expect((await h.request('POST', '/config', NESTED, yaml)).status).toBe(201);
    expect((await h.request('GET', '/services/catalog')).body.id).toBe(before);
  });

  it('exports what it imported, and re-importing the export changes nothing', async () => {
    const first = await h.request('GET', '/config');
    expect(first.status).toBe(200);
    expect(first.body.config).toMatch(/_format_version: "?3\.0"?/);
    const snapshot = await h.request('GET', '/config?format=json');
    expect((await h.request('POST', '/config', JSON.stringify(snapshot.body), { 'content-type': 'application/json' })).status).toBe(201);
    const second = await h.request('GET', '/config?format=json');
    expect(second.body).toEqual(snapshot.body);
  });

  it('refuses an invalid file whole, leaving the store as it was', async () => {
    const before = (await h.request('GET', '/config?format=json')).body;
    const bad = NESTED.replace('url: http://catalog.internal:8080/v2', 'url: http://catalog.internal:8080/v2\n    retries: -1').replace('username: carol', 'username: carol\n    nickname: c');
    const res = await h.request('POST', '/config', bad, yaml);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(14);
    expect(JSON.stringify(res.body.flattened_errors)).toContain('retries');
    expect(JSON.stringify(res.body.flattened_errors)).toContain('nickname');
    expect((await h.request('GET', '/config?format=json')).body).toEqual(before);
  });

  it('refuses duplicates inside one file before writing anything', async () => {
    const before = (await h.request('GET', '/config?format=json')).body;
    const clash = { _format_version: '3.0', consumers: [{ username: 'dave', custom_id: 'same' }, { username: 'erin', custom_id: 'same' }] };
    const res = await h.request('POST', '/config', clash);
    expect(res.status).toBe(400);
    expect((await h.request('GET', '/config?format=json')).body).toEqual(before);
  });

  it('rolls back an import that fails half-way through the write', async () => {
    const before = (await h.request('GET', '/config?format=json')).body;
    const valid = validateConfig(NESTED.replace(/catalog/g, 'atlas'), new EntityPreparer(bundledPluginCatalog));
    // Sabotage the last entity type written (plugins) so services, routes and consumers are already in.
    const plugins = valid.entities.plugins;
    plugins.push({ ...plugins[0]!, id: '9e1f6c1a-1111-4111-8111-111111111111' });
    await expect(importConfig(h.store, valid)).rejects.toMatchObject({ kind: 'UNIQUE_VIOLATION' });
    expect((await h.request('GET', '/config?format=json')).body).toEqual(before);
    expect((await h.request('GET', '/services/atlas')).status).toBe(404);
  });

  it('validates without writing when asked for a dry run', async () => {
    const res = await h.request('POST', '/config?dry_run=true', '_format_version: "3.0"\nconsumers:\n  - username: zed\n', yaml);
    expect(res.status).toBe(200);
    expect((await h.request('GET', '/consumers/zed')).status).toBe(404);
  });

  describe.skipIf(!existsSync(FIXTURES))('real Kong files (skipped where ../shared/fixtures is absent)', () => {
    it('imports the Supabase file (format 2.1) with every entity', async () => {
      const res = await h.request('POST', '/config', fixture('02-supabase-selfhosted.yml'), yaml);
      expect(res.status).toBe(201);
      expect(res.body.counts).toMatchObject({ services: 13, routes: 13, consumers: 3, plugins: 22, keyauth_credentials: 2, basicauth_credentials: 1, acls: 2 });
      const acl = await h.request('GET', '/acls');
      expect(acl.body.data).toHaveLength(2);
    });

    it('imports the DIGIT file (format 3.0) and replaces what was there', async () => {
      const res = await h.request('POST', '/config', fixture('05-digit-core-keyauth-ratelimit.yml'), yaml);
      expect(res.status).toBe(201);
      expect(res.body.counts).toMatchObject({ services: 18, routes: 18 });
      expect((await h.request('GET', '/services?size=1000')).body.data).toHaveLength(18);
    });

    it('refuses files with plugins Tollgate lacks, naming each plugin and where it is used', async () => {
      const cameras = await h.request('POST', '/config', fixture('11-healthy-cameras-auth-plugins.yml'), yaml);
      expect(cameras.status).toBe(400);
      for (const p of ['hmac-auth', 'ldap-auth', 'statsd']) expect(cameras.body.message).toContain(`'${p}'`);
      const konnect = await h.request('POST', '/config', fixture('12-orders-konnect-enterprise.json'), { 'content-type': 'application/json' });
      expect(konnect.status).toBe(400);
      for (const p of ['mtls-auth', 'openid-connect', 'rate-limiting-advanced']) expect(konnect.body.message).toContain(`'${p}'`);
      expect((await h.request('GET', '/services?size=1000')).body.data).toHaveLength(18);
    });
  });
});
