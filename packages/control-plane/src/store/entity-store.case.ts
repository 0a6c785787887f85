// The EntityStore contract, part 1: CRUD, constraint errors, pagination and filters. Every back end
// runs these same cases (see pglite.test.ts, postgres.test.ts).
import { consumers, KongError, keyauthCredentials, acls, plugins, routes, services, uuidV4 } from '@tollgate/schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEntityStore } from './entity-store.ts';
import { make, rejectionOf, resetDatabase, type StoreHarness } from './test-fixtures.ts';
import type { Database, EntityStore } from './types.ts';

export function entityStoreContract(harness: StoreHarness): void {
  let db: Database;
  let store: EntityStore;
  beforeAll(async () => {
    db = await harness.open();
    store = createEntityStore(db);
  });
  afterAll(() => db?.close());
  beforeEach(() => resetDatabase(db));

  describe('CRUD', () => {
    it('round-trips a record through insert, get, getBy, update, upsert and delete', async () => {
      const svc = make.service('svc', { tags: ['a'] });
      expect(await store.insert(services, svc)).toEqual(svc);
      expect(await store.get(services, svc.id)).toEqual(svc);
      expect(await store.getBy(services, 'name', 'svc')).toEqual(svc);
      expect(await store.getBy(services, 'name', 'other')).toBeNull();

      const changed = { ...svc, host: 'changed.example.com', name: 'svc2' };
      expect(await store.update(services, changed)).toEqual(changed);
      expect(await store.getBy(services, 'name', 'svc')).toBeNull();
      expect(await store.getBy(services, 'name', 'svc2')).toEqual(changed);
      expect(await store.update(services, make.service('ghost'))).toBeNull();

      const fresh = make.service('upserted');
      expect(await store.upsert(services, fresh)).toEqual(fresh);
      expect(await store.upsert(services, { ...fresh, port: 8080 })).toMatchObject({ port: 8080 });
      expect(await store.all(services)).toHaveLength(2);

      expect(await store.delete(services, svc.id)).toEqual(changed);
      expect(await store.get(services, svc.id)).toBeNull();
      expect(await store.delete(services, svc.id)).toBeNull();
    });

    it('answers null for ids that are not UUIDs', async () => {
      expect(await store.get(services, 'not-a-uuid')).toBeNull();
      expect(await store.delete(services, 'not-a-uuid')).toBeNull();
    });

    it('inserts many records at once and deletes all', async () => {
      const batch = Array.from({ length: 7 }, (_, i) => make.service(`bulk-${i}`));
      expect(await store.insertMany(services, batch)).toBe(7);
      expect((await store.all(services)).map((r) => r.id).sort()).toEqual(batch.map((r) => r.id).sort());
      expect(await store.deleteAll(services)).toBe(7);
      expect(await store.all(services)).toEqual([]);
    });
  });

  describe('constraint errors', () => {
    it('maps a unique violation to a 409 KongError naming the field', async () => {
      await store.insert(services, make.service('svc'));
      const err = await rejectionOf(store.insert(services, make.service('svc')));
      expect(err).toBeInstanceOf(KongError);
      expect(err).toMatchObject({ kind: 'UNIQUE_VIOLATION', message: `UNIQUE violation detected on '{name="svc"}'`, fields: { name: 'svc' } });
      expect((err as unknown as KongError).status).toBe(409);
    });

    it('names every field of a composite unique key, foreign keys as {id}', async () => {
      const consumer = await store.insert(consumers, make.consumer('alice'));
      await store.insert(acls, make.acl(consumer.id, 'admins'));
      const err = await rejectionOf(store.insert(acls, make.acl(consumer.id, 'admins')));
      expect(err).toMatchObject({
        kind: 'UNIQUE_VIOLATION',
        message: `UNIQUE violation detected on '{consumer={id="${consumer.id}"},group="admins"}'`,
        fields: { consumer: { id: consumer.id }, group: 'admins' },
      });
    });

    it('treats unset scopes as equal: two global plugins of one name clash', async () => {
      await store.insert(plugins, make.plugin('key-auth'));
      const err = await rejectionOf(store.insert(plugins, make.plugin('key-auth')));
      expect(err).toMatchObject({
        kind: 'UNIQUE_VIOLATION',
        message: `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service=null}'`,
        fields: { name: 'key-auth', route: null, service: null, consumer: null },
      });
      const svc = await store.insert(services, make.service('scoped'));
      await expect(store.insert(plugins, make.plugin('key-auth', { service: svc.id }))).resolves.toBeDefined();
    });

    it('names the clashing record of a multi-row insert', async () => {
      await store.insert(services, make.service('taken'));
      const err = await rejectionOf(store.insertMany(services, [make.service('free'), make.service('taken')]));
      expect(err).toMatchObject({ kind: 'UNIQUE_VIOLATION', fields: { name: 'taken' } });
      expect(await store.getBy(services, 'name', 'free')).toBeNull();
    });

    it('refuses a reference to a missing parent', async () => {
      const missing = uuidV4();
      const err = await rejectionOf(store.insert(routes, make.route('r', missing)));
      expect(err).toMatchObject({
        kind: 'FOREIGN_KEY_VIOLATION',
        message: `the foreign key '{id="${missing}"}' does not reference an existing 'services' entity.`,
        fields: { service: { id: missing } },
      });
      expect((err as unknown as KongError).status).toBe(400);
    });

    it('refuses to delete a parent that a restricting child references', async () => {
      const svc = await store.insert(services, make.service('svc'));
      await store.insert(routes, make.route('r', svc.id));
      const err = await rejectionOf(store.delete(services, svc.id));
      expect(err).toMatchObject({
        kind: 'FOREIGN_KEY_VIOLATION',
        message: `an existing 'routes' entity references this 'services' entity`,
        fields: { '@referenced_by': 'routes' },
      });
      expect(await store.get(services, svc.id)).not.toBeNull();
    });

    it('cascades deletes to plugins and credentials, logging every deleted row', async () => {
      const consumer = await store.insert(consumers, make.consumer('bob'));
      const cred = await store.insert(keyauthCredentials, make.keyAuth(consumer.id, 'secret'));
      const plugin = await store.insert(plugins, make.plugin('rate-limiting', { consumer: consumer.id }));
      const before = await store.configVersion();
      await store.delete(consumers, consumer.id);
      expect(await store.get(keyauthCredentials, cred.id)).toBeNull();
      expect(await store.get(plugins, plugin.id)).toBeNull();
      expect(await store.configVersion()).toBe(before + 1);
      const changes = (await store.changesSince(before))!;
      expect(changes.map(({ entity, id, op, version }) => ({ entity, id, op, version })).sort((a, b) => a.entity.localeCompare(b.entity))).toEqual([
        { entity: 'consumers', id: consumer.id, op: 'delete', version: before + 1 },
        { entity: 'keyauth_credentials', id: cred.id, op: 'delete', version: before + 1 },
        { entity: 'plugins', id: plugin.id, op: 'delete', version: before + 1 },
      ]);
    });
  });

  describe('pages and filters', () => {
    it('pages through 25 rows 10 at a time, ordered by id, without duplicates', async () => {
      const all = Array.from({ length: 25 }, (_, i) => make.service(`s${i}`));
      await store.insertMany(services, all);
      const sizes: number[] = [];
      const seen: string[] = [];
      let offset: string | undefined;
      do {
        const page = await store.page(services, { size: 10, offset });
        sizes.push(page.data.length);
        seen.push(...page.data.map((r) => r.id));
        offset = page.offset;
      } while (offset !== undefined);
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual(all.map((r) => r.id).sort());
    });

    it('gives no offset when the last page is exactly full', async () => {
      await store.insertMany(services, Array.from({ length: 10 }, (_, i) => make.service(`s${i}`)));
      const page = await store.page(services, { size: 10 });
      expect(page.data).toHaveLength(10);
      expect(page.offset).toBeUndefined();
    });

    it('rejects a token it did not make', async () => {
      const err = await rejectionOf(store.page(services, { size: 10, offset: '%%%' }));
      expect(err).toBeInstanceOf(KongError);
      expect(err).toMatchObject({ kind: 'INVALID_OFFSET', message: `'%%%' is not a valid offset: bad base64 encoding` });
    });

    it('filters by tags: all of them (and) or any of them (or)', async () => {
      const ab = await store.insert(services, make.service('ab', { tags: ['a', 'b'] }));
      const a = await store.insert(services, make.service('a', { tags: ['a'] }));
      await store.insert(services, make.service('c', { tags: ['c'] }));
      await store.insert(services, make.service('none'));
      const names = async (mode: 'and' | 'or', values: string[]) =>
        (await store.page(services, { size: 100, tags: { mode, values } })).data.map((r) => r['name']).sort();
      expect(await names('and', ['a', 'b'])).toEqual([ab['name']]);
      expect(await names('and', ['a'])).toEqual([a['name'], ab['name']].sort());
      expect(await names('or', ['b', 'c'])).toEqual(['ab', 'c']);
    });

    it('filters by a foreign key', async () => {
      const one = await store.insert(services, make.service('one'));
      const two = await store.insert(services, make.service('two'));
      const r1 = await store.insert(routes, make.route('r1', one.id));
      await store.insert(routes, make.route('r2', two.id));
      await store.insert(routes, make.route('r3', null));
      expect((await store.page(routes, { size: 10, foreign: { service: one.id } })).data).toEqual([r1]);
      expect((await store.page(routes, { size: 10, foreign: { service: 'nope' } })).data).toEqual([]);
    });
  });
}
