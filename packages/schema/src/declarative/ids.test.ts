// Deterministic ids: Kong's UUIDv5 scheme, cache keys, and the positional fallback.
import { describe, expect, it } from 'vitest';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import { EntityPreparer } from '../prepare.ts';
import { uuidV5 } from '../uuid.ts';
import { declarativeId, KONG_DECLARATIVE_NAMESPACE } from './ids.ts';
import { loadDeclarative } from './load.ts';
import { parseDeclarativeText } from './parse.ts';

const preparer = new EntityPreparer(bundledPluginCatalog);
const load = (yaml: string) => loadDeclarative(parseDeclarativeText(yaml), preparer);

const FILE = `
_format_version: "3.0"
services:
  - name: example-service
    url: http://example.test
    routes:
      - paths: [/a]
        plugins:
          - name: key-auth
      - paths: [/b]
    plugins:
      - name: cors
consumers:
  - username: alice
    keyauth_credentials:
      - key: alice-key
    acls:
      - group: admins
  - custom_id: bob-123
upstreams:
  - name: backend
    targets:
      - target: a.internal:8080
plugins:
  - name: rate-limiting
    service: example-service
    config: { minute: 5 }
`;

describe('deterministic ids', () => {
  it('uses the same UUIDv5 as lua-resty-jit-uuid, the library Kong generates them with', () => {
    // Vectors from lua-resty-jit-uuid's own test suite (t/generate_v5.t).
    expect(uuidV5('hello', 'e6ebd542-06ae-11e6-8e82-bba81706b27d')).toBe('4850816f-1658-5890-8bfd-1ed14251f1f0');
    expect(uuidV5('foobar', '1b985f4a-06be-11e6-aff4-ff8d14e25128')).toBe('98520401-1e2b-5cbb-926b-c5c4aae4e69d');
  });

  it("gives a service Kong's id: v5(name, v5('services', Kong's namespace))", () => {
    const config = load(FILE);
    const servicesNs = uuidV5('services', KONG_DECLARATIVE_NAMESPACE);
    expect(servicesNs).toBe('90050c4f-539a-5bd9-bfb5-2ff1c430ca18');
    expect(config.entities.services[0]!.id).toBe('7a267194-6123-5ee0-a1c9-4c1559eb0d95');
    expect(config.entities.services[0]!.id).toBe(declarativeId('services', 'example-service'));
  });

  it("keys plugins, targets and credentials by Kong's cache key (`entity:*:fields`)", () => {
    const { entities } = load(FILE);
    const service = entities.services[0]!.id;
    const alice = entities.consumers[0]!.id;
    const upstream = entities.upstreams[0]!.id;
    const plugin = (name: string) => entities.plugins.find((p) => p['name'] === name)!.id;
    expect(plugin('cors')).toBe(declarativeId('plugins', `plugins:*:cors::${service}:`));
    // A top-level reference enters the cache key as written, as in Kong.
    expect(plugin('rate-limiting')).toBe(declarativeId('plugins', 'plugins:*:rate-limiting::example-service:'));
    expect(plugin('key-auth')).toBe(declarativeId('plugins', `plugins:*:key-auth:${entities.routes[0]!.id}::`));
    expect(entities.targets[0]!.id).toBe(declarativeId('targets', `targets:*:${upstream}:a.internal:8080`));
    expect(entities.keyauth_credentials[0]!.id).toBe(declarativeId('keyauth_credentials', 'keyauth_credentials:*:alice-key'));
    expect(entities.acls[0]!.id).toBe(declarativeId('acls', `acls:*:${alice}:admins`));
    expect(entities.consumers[0]!.id).toBe(declarativeId('consumers', 'alice'));
  });

  it('derives ids of entities with no key from their parent and position, the same on every load', () => {
    const first = load(FILE);
    const second = load(FILE);
    const ids = (c: typeof first) => Object.values(c.entities).flatMap((list) => list.map((r) => r.id));
    expect(ids(second)).toEqual(ids(first));
    expect(new Set(ids(first)).size).toBe(ids(first).length);
    const service = first.entities.services[0]!.id;
    expect(first.entities.routes.map((r) => r.id)).toEqual([
      declarativeId('routes', `@position:services:${service}/routes/0`),
      declarativeId('routes', `@position:services:${service}/routes/1`),
    ]);
    expect(first.entities.consumers[1]!.id).toBe(declarativeId('consumers', '@custom_id:bob-123'));
  });

  it('keeps ids given in the file', () => {
    const id = '3c8d1c8a-0d64-4a8a-9f60-1a2b3c4d5e6f';
    const config = load(`_format_version: "3.0"\nservices: [{ id: ${id}, name: s, host: example.test, routes: [{ name: r, paths: [/] }] }]`);
    expect(config.entities.services[0]!.id).toBe(id);
    expect(config.entities.routes[0]!['service']).toEqual({ id });
  });

  it('reports two plugins that get the same id as a uniqueness violation, not twice', () => {
    const text = `_format_version: "3.0"\nservices: [{ name: s, host: example.test, plugins: [{ name: cors }, { name: cors }] }]`;
    expect(() => load(text)).toThrow("uniqueness violation: 'plugins' entity with name 'cors', service 's' already declared (as plugin 'cors' (on service 's'))");
  });
});
