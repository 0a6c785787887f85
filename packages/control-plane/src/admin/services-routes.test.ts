// Services and routes through the Admin API: Kong's shapes, defaults, upsert, patch, nesting, references.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startAdmin, type AdminHarness } from '../../../../test/support/admin.ts';

describe.each(BACKENDS)('services and routes (%s)', (backend) => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdmin(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a service from a url with Kong defaults and shows unset fields as null', async () => {
    const res = await h.request('POST', '/services', { name: 'billing', url: 'https://billing.internal:8443/v1' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'billing', protocol: 'https', host: 'billing.internal', port: 8443, path: '/v1',
      retries: 5, connect_timeout: 60000, read_timeout: 60000, write_timeout: 60000, enabled: true, tags: null, client_certificate: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isInteger(res.body.created_at)).toBe(true);
    const byName = await h.request('GET', '/services/billing');
    const byId = await h.request('GET', `/services/${res.body.id}`);
    expect(byName.body).toEqual(res.body);
    expect(byId.body).toEqual(res.body);
  });

  it('infers port 80 for http urls and keeps a path-less url without a path', async () => {
    const res = await h.request('POST', '/services', { name: 'plain', url: 'http://plain.internal' });
    expect(res.body).toMatchObject({ protocol: 'http', port: 80, path: null });
  });

  it('answers 409 with the clashing field on a duplicate name', async () => {
    await h.request('POST', '/services', { name: 'dupe', host: 'a.internal' });
    const res = await h.request('POST', '/services', { name: 'dupe', host: 'b.internal' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 5, name: 'unique constraint violation', fields: { name: 'dupe' } });
    expect(res.body.message).toContain('UNIQUE violation detected on');
  });

  it('names every bad field in a 400 schema violation', async () => {
    const res = await h.request('POST', '/services', { name: 'broken', port: 70000, retries: 'many', colour: 'red' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(2);
    expect(res.body.name).toBe('schema violation');
    expect(res.body.fields).toEqual({
      host: 'required field missing',
      port: 'value should be between 0 and 65535',
      retries: 'expected an integer',
      colour: 'unknown field',
    });
    expect(res.body.message).toMatch(/^4 schema violations \(/);
  });

  it('refuses a path on a tcp service and TLS options on plain http', async () => {
    const tcp = await h.request('POST', '/services', { host: 'db.internal', protocol: 'tcp', path: '/x' });
    expect(tcp.status).toBe(400);
    expect(tcp.body.fields.path).toMatch(/value must be null/);
    const tls = await h.request('POST', '/services', { host: 'x.internal', tls_verify: true });
    expect(tls.body.fields.tls_verify).toMatch(/only allowed for protocols https/);
  });

  it('PATCH changes only the given fields and bumps updated_at', async () => {
    const created = await h.request('POST', '/services', { name: 'patchme', host: 'p.internal', retries: 3, tags: ['a'] });
    const res = await h.request('PATCH', '/services/patchme', new URLSearchParams({ read_timeout: '1000' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ host: 'p.internal', retries: 3, read_timeout: 1000, tags: ['a'], id: created.body.id, created_at: created.body.created_at });
    expect(res.body.updated_at).toBeGreaterThanOrEqual(created.body.updated_at);
    const cleared = await h.request('PATCH', '/services/patchme', { tags: null });
    expect(cleared.body.tags).toBeNull();
  });

  it('PATCH and GET on a missing entity answer 404 Not found', async () => {
    expect(await h.request('PATCH', '/services/nope', { retries: 1 })).toMatchObject({ status: 404, body: { message: 'Not found' } });
    expect(await h.request('GET', '/services/nope')).toMatchObject({ status: 404, body: { message: 'Not found' } });
  });

  it('PUT by name creates, then fully replaces keeping id and created_at', async () => {
    const created = await h.request('PUT', '/services/upserted', { host: 'one.internal', retries: 1 });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'upserted', host: 'one.internal', retries: 1 });
    const replaced = await h.request('PUT', '/services/upserted', { host: 'two.internal' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: created.body.id, created_at: created.body.created_at, host: 'two.internal', retries: 5 });
  });

  it('PUT by id creates the entity with that id; the path wins over the body', async () => {
    const id = '6f2a4c55-0f4e-4b8f-9d1e-2f1c3b4a5d6e';
    const res = await h.request('PUT', `/services/${id}`, { id: '00000000-0000-4000-8000-000000000001', name: 'by-id', host: 'id.internal' });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
    expect((await h.request('GET', '/services/by-id')).body.id).toBe(id);
  });

  it('DELETE answers 204, also when the entity is already gone', async () => {
    await h.request('POST', '/services', { name: 'doomed', host: 'd.internal' });
    expect((await h.request('DELETE', '/services/doomed')).status).toBe(204);
    expect((await h.request('GET', '/services/doomed')).status).toBe(404);
    expect((await h.request('DELETE', '/services/doomed')).status).toBe(204);
  });

  describe('routes', () => {
    let serviceId: string;
    beforeAll(async () => {
      serviceId = (await h.request('POST', '/services', { name: 'orders', host: 'orders.internal' })).body.id;
      await h.request('POST', '/services', { name: 'other', host: 'other.internal' });
    });

    it('creates a route under its service with Kong defaults', async () => {
      const res = await h.request('POST', '/services/orders/routes', { name: 'orders-api', paths: ['/orders'] });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'orders-api', paths: ['/orders'], service: { id: serviceId }, protocols: ['http', 'https'],
        strip_path: true, preserve_host: false, regex_priority: 0, path_handling: 'v0', https_redirect_status_code: 426,
        request_buffering: true, response_buffering: true, hosts: null, methods: null,
      });
    });

    it('lists routes per service and resolves the route’s service', async () => {
      await h.request('POST', '/services/other/routes', { name: 'other-api', hosts: ['other.example.com'] });
      const list = await h.request('GET', '/services/orders/routes');
      expect(list.body.data.map((r: { name: string }) => r.name)).toEqual(['orders-api']);
      expect((await h.request('GET', '/routes/orders-api/service')).body.id).toBe(serviceId);
      expect((await h.request('GET', '/services/orders/routes/orders-api')).status).toBe(200);
      expect((await h.request('GET', '/services/other/routes/orders-api')).status).toBe(404);
    });

    it('takes a service reference by name, and says which when it does not resolve', async () => {
      const ok = await h.request('POST', '/routes', { name: 'by-name', paths: ['/bn'], service: { name: 'orders' } });
      expect(ok.body.service).toEqual({ id: serviceId });
      const bad = await h.request('POST', '/routes', { paths: ['/x'], service: { name: 'no-such-service' } });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe(13);
      expect(bad.body.fields.service).toContain('no-such-service');
    });

    it('refuses a reference to a service id that does not exist', async () => {
      const res = await h.request('POST', '/routes', { paths: ['/x'], service: { id: '0b0b0b0b-0000-4000-8000-000000000000' } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 4, name: 'foreign key violation' });
    });

    it('refuses to delete a service its routes still reference', async () => {
      const res = await h.request('DELETE', '/services/orders');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 4, fields: { '@referenced_by': 'routes' } });
      expect(res.body.message).toBe("an existing 'routes' entity references this 'services' entity");
      expect((await h.request('GET', '/services/orders')).status).toBe(200);
    });

    it('requires at least one match field and checks hosts, paths and methods', async () => {
      const none = await h.request('POST', '/routes', { name: 'nothing' });
      expect(none.status).toBe(400);
      expect(none.body.fields['@entity'][0]).toMatch(/must set one of 'methods', 'hosts', 'headers', 'paths'/);
      const bad = await h.request('POST', '/routes', { paths: ['no-slash', '~/ok/[a-z]+'], hosts: ['*.a.*'], methods: ['get'] });
      expect(bad.body.fields).toMatchObject({ paths: { 0: expect.stringContaining('should start with') }, methods: { 0: expect.any(String) } });
      const wild = await h.request('POST', '/routes', { hosts: ['*.a.*'] });
      expect(wild.body.fields.hosts).toEqual({ 0: 'invalid wildcard: must have at most one wildcard' });
    });

    it('checks regex paths and header regexes as the data planes will compile them', async () => {
      // PCRE spellings Kong takes and the router understands: accepted.
      const pcre = await h.request('POST', '/routes', { paths: ['~(?i)/api/v\\d+', '~/users/(?P<id>\\d+)$'], headers: { 'x-tier': ['~*^gold'] } });
      expect(pcre.status).toBe(201);
      // PCRE JavaScript lacks: refused here with a hint, instead of a route every data plane would drop.
      const pcreOnly = await h.request('POST', '/routes', { paths: ['~/a\\Z', '~/(unclosed'], headers: { 'x-tier': ['~*(?>atomic)'] } });
      expect(pcreOnly.status).toBe(400);
      expect(pcreOnly.body.fields.paths[0]).toMatch(/^invalid regex: '\/a\\Z' \(.*use \$/);
      expect(pcreOnly.body.fields.paths[1]).toMatch(/^invalid regex: '\/\(unclosed'/);
      expect(pcreOnly.body.fields.headers['x-tier']).toMatch(/^invalid regex: /);
    });

    it('takes form bodies with Kong’s array and nested notation', async () => {
      const form = new URLSearchParams();
      form.append('name', 'form-route');
      form.append('paths[]', '/f1');
      form.append('paths[]', '/f2');
      form.append('methods', 'GET');
      form.append('service.name', 'other');
      form.append('strip_path', 'false');
      const res = await h.request('POST', '/routes', form);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ paths: ['/f1', '/f2'], methods: ['GET'], strip_path: false });
    });
  });
});
