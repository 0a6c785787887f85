// Consumers, their credentials, and plugins at every scope, through the Admin API.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startAdmin, type AdminHarness } from '../../../../test/support/admin.ts';

describe.each(BACKENDS)('consumers, credentials and plugins (%s)', (backend) => {
  let h: AdminHarness;
  let alice: { id: string };
  beforeAll(async () => {
    h = await startAdmin(backend);
    alice = (await h.request('POST', '/consumers', new URLSearchParams({ username: 'alice', custom_id: 'c-1' }))).body;
  });
  afterAll(async () => {
    await h.close();
  });

  it('needs a username or a custom_id', async () => {
    const res = await h.request('POST', '/consumers', { tags: ['x'] });
    expect(res.status).toBe(400);
    expect(res.body.fields['@entity']).toEqual(["at least one of these fields must be non-empty: 'custom_id', 'username'"]);
    expect((await h.request('POST', '/consumers', { custom_id: 'c-1' })).status).toBe(409);
  });

  it('generates a 32-character key-auth key when none is given', async () => {
    const res = await h.request('POST', '/consumers/alice/key-auth', {});
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(res.body.consumer).toEqual({ id: alice.id });
  });

  it('finds a key by its value and its consumer from it', async () => {
    await h.request('POST', '/consumers/alice/key-auth', { key: 'alice-key' });
    expect((await h.request('GET', '/key-auths/alice-key')).body.consumer.id).toBe(alice.id);
    expect((await h.request('GET', '/key-auths/alice-key/consumer')).body.username).toBe('alice');
    expect((await h.request('GET', '/consumers/alice/key-auth/alice-key')).status).toBe(200);
    expect((await h.request('POST', '/consumers/alice/key-auth', { key: 'alice-key' })).status).toBe(409);
  });

  it('stores basic-auth passwords as Kong’s SHA-1 of password and consumer id, and does not rehash on PATCH', async () => {
    const res = await h.request('POST', '/consumers/alice/basic-auth', { username: 'alice-basic', password: 's3cret' });
    expect(res.status).toBe(201);
    const expected = createHash('sha1').update('s3cret' + alice.id).digest('hex');
    expect(res.body.password).toBe(expected);
    const patched = await h.request('PATCH', `/basic-auths/alice-basic`, { tags: ['t'] });
    expect(patched.body.password).toBe(expected);
    const changed = await h.request('PATCH', `/basic-auths/alice-basic`, { password: 'new' });
    expect(changed.body.password).toBe(createHash('sha1').update('new' + alice.id).digest('hex'));
  });

  it('generates jwt key and secret, and requires a public key for RS256', async () => {
    const hs = await h.request('POST', '/consumers/alice/jwt', {});
    expect(hs.body).toMatchObject({ algorithm: 'HS256', key: expect.any(String), secret: expect.any(String) });
    const rs = await h.request('POST', '/consumers/alice/jwt', { algorithm: 'RS256' });
    expect(rs.status).toBe(400);
    expect(rs.body.fields.rsa_public_key).toMatch(/required field missing/);
  });

  it('keeps ACL groups unique per consumer', async () => {
    expect((await h.request('POST', '/consumers/alice/acls', { group: 'admins' })).status).toBe(201);
    expect((await h.request('POST', '/consumers/alice/acls', { group: 'admins' })).status).toBe(409);
    const list = await h.request('GET', '/acls');
    expect(list.body.data.map((a: { group: string }) => a.group)).toEqual(['admins']);
  });

  it('deleting a consumer removes its credentials', async () => {
    const bob = (await h.request('POST', '/consumers', { username: 'bob' })).body;
    await h.request('POST', '/consumers/bob/key-auth', { key: 'bob-key' });
    await h.request('POST', '/consumers/bob/acls', { group: 'users' });
    await h.request('POST', '/consumers/bob/plugins', { name: 'rate-limiting', config: { minute: 1 } });
    expect((await h.request('DELETE', '/consumers/bob')).status).toBe(204);
    expect((await h.request('GET', '/key-auths/bob-key')).status).toBe(404);
    expect((await h.request('GET', '/acls')).body.data.some((a: { consumer: { id: string } }) => a.consumer.id === bob.id)).toBe(false);
    expect((await h.request('GET', '/plugins')).body.data.some((p: { consumer: { id: string } | null }) => p.consumer?.id === bob.id)).toBe(false);
  });

  describe('plugins', () => {
    beforeAll(async () => {
      await h.request('POST', '/services', { name: 'api', host: 'api.internal' });
    });

    it('validates config with the plugin’s own schema and fills its defaults', async () => {
      const res = await h.request('POST', '/services/api/plugins', { name: 'rate-limiting', config: { minute: 5 } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: 'rate-limiting', enabled: true, route: null, consumer: null, config: { minute: 5, policy: 'local', limit_by: 'consumer', second: null } });
      expect(res.body.protocols).toEqual(['grpc', 'grpcs', 'http', 'https']);
    });

    it('allows one instance of a plugin per scope', async () => {
      const res = await h.request('POST', '/services/api/plugins', { name: 'rate-limiting', config: { hour: 5 } });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe(5);
    });

    it('names the bad config field', async () => {
      const res = await h.request('POST', '/plugins', { name: 'rate-limiting', config: { minute: -1 } });
      expect(res.status).toBe(400);
      expect(res.body.fields.config.minute).toBeDefined();
      expect(res.body.message).toMatch(/config\.minute/);
    });

    it('refuses an unknown plugin with Kong’s message', async () => {
      const res = await h.request('POST', '/plugins', { name: 'no-such-plugin' });
      expect(res.status).toBe(400);
      expect(res.body.fields.name).toBe("plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property");
    });

    it('refuses auth plugins on a consumer', async () => {
      const res = await h.request('POST', '/consumers/alice/plugins', { name: 'key-auth' });
      expect(res.status).toBe(400);
      expect(res.body.fields.consumer).toMatch(/cannot be applied to a consumer/);
    });

    it('PATCH deep-merges config records', async () => {
      const created = await h.request('POST', '/plugins', { name: 'cors', instance_name: 'global-cors', config: { origins: ['https://a.example'], max_age: 60 } });
      expect(created.status).toBe(201);
      const res = await h.request('PATCH', '/plugins/global-cors', { config: { credentials: true } });
      expect(res.status).toBe(200);
      expect(res.body.config).toMatchObject({ origins: ['https://a.example'], max_age: 60, credentials: true });
    });

    it('lists enabled plugins and serves plugin schemas', async () => {
      const enabled = await h.request('GET', '/plugins/enabled');
      expect(enabled.body.enabled_plugins).toEqual(expect.arrayContaining(['key-auth', 'rate-limiting', 'acl', 'cors']));
      const schema = await h.request('GET', '/schemas/plugins/key-auth');
      expect(schema.body.config.properties.key_names.default).toEqual(['apikey']);
      expect((await h.request('GET', '/schemas/plugins/nope')).status).toBe(404);
    });

    it('deleting the service removes its plugins', async () => {
      await h.request('POST', '/services', { name: 'short-lived', host: 's.internal' });
      const p = await h.request('POST', '/services/short-lived/plugins', { name: 'correlation-id' });
      expect(p.status).toBe(201);
      await h.request('DELETE', '/services/short-lived');
      expect((await h.request('GET', `/plugins/${p.body.id}`)).status).toBe(404);
    });
  });
});
