// loadDeclarative on small inline files: nesting, references, duplicates, transforms, document-level errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, type Pem } from '../../../../test/support/certs.ts';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import { basicAuthHash } from '../entities/credentials.ts';
import { KongError } from '../errors.ts';
import { EntityPreparer } from '../prepare.ts';
import type { FlattenedEntityError } from './errors.ts';
import { loadDeclarative } from './load.ts';
import { parseDeclarativeText } from './parse.ts';

const preparer = new EntityPreparer(bundledPluginCatalog);
const load = (yaml: string) => loadDeclarative(parseDeclarativeText(yaml), preparer);

function refusal(yaml: string): KongError {
  try {
    load(yaml);
  } catch (e) {
    if (e instanceof KongError) return e;
    throw e;
  }
  throw new Error('the config loaded, but it should have been refused');
}

const flattened = (e: KongError) => e.extra?.['flattened_errors'] as FlattenedEntityError[];

// A throwaway self-signed test certificate (CN=example.test, EC P-256, valid until 2126); not a secret.

describe('loadDeclarative: nesting and references', () => {
  let pem: Pem;
  beforeAll(async () => {
    pem = await makeCertificate({ dnsNames: ['a.example.test'] });
  });

  it('sets a nested child’s parent reference and resolves top-level references by name, id, {id} and {name}', () => {
    const { entities } = load(`
_format_version: "3.0"
services:
  - name: svc
    url: http://example.test/base
    routes:
      - name: r1
        paths: [/one]
        plugins:
          - name: key-auth
consumers:
  - username: alice
routes:
  - name: r2
    service: svc
    paths: [/two]
  - name: r3
    service: { name: svc }
    paths: [/three]
plugins:
  - name: rate-limiting
    consumer: alice
    route: { name: r2 }
    config: { minute: 5 }
`);
    const svc = entities.services[0]!;
    expect(svc).toMatchObject({ host: 'example.test', path: '/base', port: 80, protocol: 'http' });
    expect(entities.routes.map((r) => [r['name'], r['service']])).toEqual([['r1', { id: svc.id }], ['r2', { id: svc.id }], ['r3', { id: svc.id }]]);
    const [keyAuth, rateLimiting] = entities.plugins;
    expect(keyAuth).toMatchObject({ name: 'key-auth', route: { id: entities.routes[0]!.id }, service: null, consumer: null });
    expect(rateLimiting).toMatchObject({ route: { id: entities.routes[1]!.id }, consumer: { id: entities.consumers[0]!.id } });
  });

  it('accepts a redundant matching parent reference in a nested child, refuses a conflicting one', () => {
    const base = `
_format_version: "3.0"
consumers:
  - username: alice
  - username: bob
    basicauth_credentials:
      - { consumer: CONSUMER, username: b, password: pw }
`;
    expect(load(base.replace('CONSUMER', 'bob')).entities.basicauth_credentials).toHaveLength(1);
    const e = refusal(base.replace('CONSUMER', 'alice'));
    expect(e.fields).toEqual({ consumers: { 1: { basicauth_credentials: { 0: { consumer: "conflicting reference 'consumer: alice': this entry is nested under consumer 'bob'" } } } } });
  });

  it('reports an unresolved reference naming the entity and the field', () => {
    const e = refusal(`_format_version: "3.0"\nroutes: [{ name: r, service: nope, paths: [/] }]`);
    expect(e.message).toBe("declarative config is invalid: route 'r': service: invalid reference 'service: nope' (no such entry in 'services')");
    expect(flattened(e)).toEqual([
      { entity_type: 'route', entity_id: expect.any(String), entity_name: 'r', errors: [{ type: 'field', field: 'service', message: "invalid reference 'service: nope' (no such entry in 'services')" }] },
    ]);
  });

  it('resolves top-level targets and credentials by their parent’s key, without false duplicates for unresolved ones', () => {
    const { entities } = load(`_format_version: "3.0"\nupstreams: [{ name: up }]\ntargets: [{ upstream: up, target: "10.0.0.1:80" }]`);
    expect(entities.targets[0]).toMatchObject({ upstream: { id: entities.upstreams[0]!.id }, target: '10.0.0.1:80' });
    const e = refusal(`_format_version: "3.0"\nacls: [{ consumer: ghost, group: g }, { consumer: ghost, group: g }]`);
    expect(flattened(e).flatMap((f) => f.errors.map((x) => x.message))).toEqual([
      "invalid reference 'consumer: ghost' (no such entry in 'consumers')",
      "invalid reference 'consumer: ghost' (no such entry in 'consumers')",
    ]);
  });

  it('refuses duplicate names, wherever the entities are nested', () => {
    const e = refusal(`
_format_version: "3.0"
services:
  - { name: a, host: example.test, routes: [{ name: dup, paths: [/a] }] }
  - { name: a, host: example.test, routes: [{ name: dup, paths: [/b] }] }
`);
    expect(e.fields).toMatchObject({
      services: {
        1: { name: "uniqueness violation: 'services' entity with name 'a' already declared (as service 'a')", routes: { 0: { name: expect.stringContaining("with name 'dup' already declared") } } },
      },
    });
  });

  it('expands certificates’ nested SNIs given as names or records', () => {
    const { entities } = load(JSON.stringify({ _format_version: '3.0', certificates: [{ cert: pem.cert, key: pem.key, snis: ['a.example.test', { name: 'b.example.test', tags: ['t'] }] }] }));
    const cert = entities.certificates[0]!;
    expect(cert['snis']).toBeUndefined();
    expect(entities.snis.map((s) => [s['name'], s['certificate'], s['tags']])).toEqual([
      ['a.example.test', { id: cert.id }, null],
      ['b.example.test', { id: cert.id }, ['t']],
    ]);
  });
});

describe('loadDeclarative: transform and bookkeeping', () => {
  const file = (transform: boolean) => `
_format_version: "3.0"
_transform: ${transform}
consumers:
  - username: alice
    basicauth_credentials: [{ username: alice, password: secret }]
`;

  it('hashes basic-auth passwords when `_transform` is true (the default)', () => {
    const { entities } = load(file(true));
    expect(entities.basicauth_credentials[0]!['password']).toBe(basicAuthHash('secret', entities.consumers[0]!.id));
  });

  it('keeps basic-auth passwords as given with `_transform: false`', () => {
    expect(load(file(false)).entities.basicauth_credentials[0]!['password']).toBe('secret');
  });

  it('keeps timestamps from the file and leaves absent ones to the caller', () => {
    const { entities } = load(`_format_version: "3.0"\nconsumers: [{ username: a, created_at: 1700000000 }, { username: b }]`);
    expect(entities.consumers[0]!.created_at).toBe(1700000000);
    expect('created_at' in entities.consumers[1]!).toBe(false);
    expect('updated_at' in entities.consumers[0]!).toBe(false);
  });

  it('does not modify the document it is given', () => {
    const doc = parseDeclarativeText(file(true));
    const copy = structuredClone(doc);
    loadDeclarative(doc, preparer);
    expect(doc).toEqual(copy);
  });
});

describe('loadDeclarative: the document', () => {
  it('requires `_format_version` and refuses unknown top-level keys, reporting all problems at once', () => {
    const e = refusal(`metadata: { a: 1 }\nservices: [{ name: s, host: "bad host" }]\n_comment: hi\n_ignore: [x]\n_workspace: default`);
    expect(e.kind).toBe('INVALID_DECLARATIVE_CONFIG');
    expect(e.fields).toEqual({ metadata: 'unknown field', _format_version: 'required field missing', services: { 0: { host: 'invalid value: must be a hostname or an IP address' } } });
    expect(e.message).toBe(
      "declarative config is invalid: 3 errors: metadata: unknown field; _format_version: required field missing; service 's': host: invalid value: must be a hostname or an IP address",
    );
  });

  it('refuses an unsupported `_format_version`, a non-list entity key and an entry that is not a record', () => {
    const e = refusal(`_format_version: "2.0"\nservices: {}\nconsumers: [alice]`);
    expect(e.fields).toEqual({ _format_version: 'expected one of: 1.1, 2.1, 3.0', services: 'expected an array', consumers: { 0: { '@entity': ['expected a record'] } } });
  });

  it('accepts an unquoted `_format_version: 3.0` (YAML reads it as a number)', () => {
    expect(load('_format_version: 3.0\nconsumers: [{ username: a }]').formatVersion).toBe('3.0');
  });

  it('lists errors in file order, parents before their children', () => {
    const e = refusal(`_format_version: "3.0"\nservices: [{ name: s, host: example.test, port: -1, routes: [{ name: r, service: x, paths: [/] }] }, { name: t, host: "b a d" }]`);
    expect(flattened(e).map((f) => f.entity_name)).toEqual(['s', 'r', 't']);
  });

  it('refuses something that is not a document at all', () => {
    expect(() => loadDeclarative([], preparer)).toThrow('declarative config is invalid: expected a record at the top level');
  });

  it('migrates regex-looking route paths of 1.1 and 2.1 files, nested or not, and leaves 3.0 files alone', () => {
    const file = (v: string) => `_format_version: "${v}"\nservices: [{ name: s, host: example.test, routes: [{ name: a, paths: ['/users/\\d+', /plain] }] }]\nroutes: [{ name: b, paths: ['/x/(y|z)$'] }]`;
    const paths = (v: string) => load(file(v)).entities.routes.map((r) => r['paths']);
    expect(paths('2.1')).toEqual([['~/users/\\d+', '/plain'], ['~/x/(y|z)$']]);
    expect(paths('1.1')).toEqual(paths('2.1'));
    expect(paths('3.0')).toEqual([['/users/\\d+', '/plain'], ['/x/(y|z)$']]);
  });

  it('names every unavailable plugin with its scope, in the message and in flattened_errors', () => {
    const e = refusal(`
_format_version: "3.0"
services: [{ name: s, host: example.test, plugins: [{ name: hmac-auth }] }]
consumers: [{ username: c, plugins: [{ name: statsd }] }]
plugins: [{ name: ldap-auth }, { name: cors, config: { nope: 1 } }]
`);
    expect(e.message).toBe(
      "declarative config is invalid: 4 errors: plugin 'hmac-auth' (on service 's') is not available in this Tollgate node; " +
        "plugin 'statsd' (on consumer 'c') is not available in this Tollgate node; plugin 'ldap-auth' (global) is not available in this Tollgate node; " +
        "plugin 'cors' (global): config.nope: unknown field",
    );
    expect(flattened(e).map((f) => f.errors[0]!.field)).toEqual(['name', 'name', 'name', 'config.nope']);
  });
});
