// The real Kong files in /work/shared/fixtures/kong-configs (see SOURCES.md there), read in place.
// Skipped where that shared folder is absent (e.g. a checkout of the repository on its own).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import { KongError } from '../errors.ts';
import { EntityPreparer } from '../prepare.ts';
import type { FlattenedEntityError } from './errors.ts';
import { loadDeclarative, type DeclarativeConfig } from './load.ts';
import { parseDeclarativeText } from './parse.ts';

const dir = '/work/shared/fixtures/kong-configs';
const preparer = new EntityPreparer(bundledPluginCatalog);

function load(file: string): DeclarativeConfig {
  return loadDeclarative(parseDeclarativeText(readFileSync(join(dir, file), 'utf8')), preparer);
}

function refusal(file: string): KongError {
  try {
    load(file);
  } catch (e) {
    if (e instanceof KongError) return e;
    throw e;
  }
  throw new Error(`${file} loaded, but it should have been refused`);
}

function flattened(e: KongError): FlattenedEntityError[] {
  return e.extra?.['flattened_errors'] as FlattenedEntityError[];
}

function messages(e: KongError): string[] {
  return flattened(e).flatMap((entry) => entry.errors.map((x) => (x.field === undefined ? x.message : `${x.field}: ${x.message}`)));
}

function counts(config: DeclarativeConfig): Record<string, number> {
  return Object.fromEntries(Object.entries(config.entities).filter(([, list]) => list.length > 0).map(([name, list]) => [name, list.length]));
}

describe.skipIf(!existsSync(dir))('Kong fixtures (skipped: /work/shared/fixtures/kong-configs is absent)', () => {
  it('02 Supabase (format 2.1): nested and top-level credentials by username, `_comment` on services', () => {
    const config = load('02-supabase-selfhosted.yml');
    expect(counts(config)).toEqual({ services: 13, routes: 13, consumers: 3, plugins: 22, keyauth_credentials: 2, basicauth_credentials: 1, acls: 2 });
    const byName = (name: string) => config.entities.plugins.filter((p) => p['name'] === name).length;
    expect({ cors: byName('cors'), acl: byName('acl'), keyAuth: byName('key-auth'), basicAuth: byName('basic-auth') }).toEqual({ cors: 11, acl: 5, keyAuth: 5, basicAuth: 1 });
    const dashboard = config.entities.consumers.find((c) => c['username'] === 'DASHBOARD')!;
    expect(config.entities.basicauth_credentials[0]!['consumer']).toEqual({ id: dashboard.id });
    expect(config.formatVersion).toBe('3.0');
  });

  it('03 (format 1.1): nested credentials, a redundant matching `consumer:` accepted', () => {
    const config = load('03-rules-mirror-keyauth-basicauth-acl.yml');
    expect(counts(config)).toEqual({ services: 6, routes: 6, consumers: 2, plugins: 12, keyauth_credentials: 2, basicauth_credentials: 2, acls: 4 });
    const kd1234 = config.entities.consumers.find((c) => c['username'] === 'kd1234')!;
    expect(config.entities.basicauth_credentials.find((b) => b['username'] === 'kd1234')!['consumer']).toEqual({ id: kd1234.id });
  });

  it('04 (format 1.1): top-level routes by service name; regex paths carry exactly one `~`', () => {
    const config = load('04-fleet-toplevel-routes-regex.yml');
    expect(counts(config)).toEqual({ services: 2, routes: 18 });
    const paths = config.entities.routes.flatMap((r) => r['paths'] as string[]);
    expect(paths.filter((p) => p.startsWith('~'))).toEqual([
      '~/api/v1/fleet/assets/[^/]+',
      '~/api/v1/fleet/assets/[^/]+',
      '~/api/v1/fleet/assets/[^/]+',
      '~/api/v1/reports/[^/]+/download',
      '~/api/v1/reports/[^/]+/status',
    ]);
    expect(paths.filter((p) => !p.startsWith('~')).every((p) => /^\/[a-z0-9/]*$/.test(p))).toBe(true);
    const grafana = config.entities.services.find((s) => s['name'] === 'grafana-service')!;
    expect(config.entities.routes.find((r) => r['name'] === 'grafana-root-path')).toMatchObject({ service: { id: grafana.id }, regex_priority: 100, preserve_host: true });
  });

  it('05: per-service plugins, global cors and request-size-limiting', () => {
    const config = load('05-digit-core-keyauth-ratelimit.yml');
    expect(counts(config)).toEqual({ services: 18, routes: 18, consumers: 2, plugins: 19, keyauth_credentials: 2 });
    expect(config.entities.plugins.filter((p) => p['name'] === 'rate-limiting')).toHaveLength(12);
  });

  it('08 (JSON, format 1.1): loads cleanly', () => {
    expect(counts(load('08-keyauth-proxy-cache.json'))).toEqual({ services: 3, routes: 3, consumers: 1, plugins: 4, keyauth_credentials: 1 });
  });

  it('01 (decK dump) is refused only for bot-detection, naming both routes', () => {
    const e = refusal('01-comic-web-deck-dump.yml');
    expect(messages(e)).toEqual([
      "name: plugin 'bot-detection' (on route 'manga-route') is not available in this Tollgate node",
      "name: plugin 'bot-detection' (on route 'novel-route') is not available in this Tollgate node",
    ]);
    expect(e.message).toContain("plugin 'bot-detection' (on route 'manga-route')");
    expect(e.message).toContain("plugin 'bot-detection' (on route 'novel-route')");
  });

  it('11 is refused naming hmac-auth, ldap-auth and statsd and the service each is on', () => {
    const e = refusal('11-healthy-cameras-auth-plugins.yml');
    const missing = [
      "plugin 'statsd' (on service 'camera-1-service') is not available in this Tollgate node",
      "plugin 'hmac-auth' (on service 'camera-2-service') is not available in this Tollgate node",
      "plugin 'ldap-auth' (on service 'camera-5-service') is not available in this Tollgate node",
    ];
    expect(messages(e)).toEqual(missing.map((m) => `name: ${m}`));
    for (const m of missing) expect(e.message).toContain(m);
    expect(flattened(e).map((f) => [f.entity_type, f.entity_name])).toEqual([['plugin', 'statsd'], ['plugin', 'hmac-auth'], ['plugin', 'ldap-auth']]);
  });

  it('12 (Konnect) is refused naming mtls-auth, openid-connect and rate-limiting-advanced and their routes', () => {
    const e = refusal('12-orders-konnect-enterprise.json');
    for (const m of [
      "plugin 'openid-connect' (on route 'orders-public-v1') is not available in this Tollgate node",
      "plugin 'rate-limiting-advanced' (on route 'orders-public-v1') is not available in this Tollgate node",
      "plugin 'mtls-auth' (on route 'caller-debug-v1') is not available in this Tollgate node",
    ]) {
      expect(messages(e)).toContain(`name: ${m}`);
      expect(e.message).toContain(m);
    }
    // Its ca_certificates entry has the id `orders-clients-ca`, which is not a UUID.
    expect(messages(e)).toContain('id: expected a valid UUID');
  });

  it('06 is refused for the unknown top-level `metadata` and the unknown jwt / rate-limiting fields', () => {
    const e = refusal('06-gradeloop-jwt-upstream.yml');
    expect(e.fields?.['metadata']).toBe('unknown field');
    expect(e.message).toContain('metadata: unknown field');
    const jwt = flattened(e).filter((f) => f.entity_name === 'jwt');
    expect(jwt).toHaveLength(4);
    for (const entry of jwt) {
      expect(entry.errors.map((x) => x.field).sort()).toEqual(['config.algorithm', 'config.hide_credentials', 'config.query_names', 'config.secret_claim_name', 'config.token_type']);
    }
    const rateLimiting = flattened(e).filter((f) => f.entity_name === 'rate-limiting').flatMap((f) => f.errors);
    expect(rateLimiting).toEqual([{ type: 'field', field: 'config.custom_response_message', message: 'unknown field' }]);
  });

  it('07 is refused for its placeholder PEM certificate', () => {
    const e = refusal('07-wordpress-hosts-certificate.yml');
    expect(flattened(e)).toEqual([
      { entity_type: 'certificate', entity_id: expect.any(String), errors: [{ type: 'field', field: 'cert', message: 'invalid certificate: could not parse the PEM certificate' }] },
    ]);
  });

  it('09 is refused for its placeholder rsa_public_key (and, as in Kong, redis policy without a host)', () => {
    const e = refusal('09-oan-auth-regex-jwt.yml');
    const secret = flattened(e).find((f) => f.entity_type === 'jwt_secret')!;
    expect(secret.errors).toEqual([{ type: 'field', field: 'rsa_public_key', message: 'invalid key: could not parse the PEM public key' }]);
    expect(e.message).toContain('jwt_secret at consumers[0].jwt_secrets[0]: rsa_public_key: invalid key');
  });

  it('10 is refused: `${ENVIRONMENT_NAME}` placeholders are not valid hostnames (as in Kong)', () => {
    const e = refusal('10-idva-ingress-hosts.yml');
    const byType = (type: string) => flattened(e).filter((f) => f.entity_type === type).map((f) => f.entity_name);
    expect(byType('service')).toEqual(['sk-api', 'sk-portal', 'sk-sdk', 'token', 'authenticid', 'incode']);
    expect(byType('route')).toHaveLength(6);
    expect(e.message).toContain('invalid hostname: idva-api-${ENVIRONMENT_NAME}.app.cloud.gov');
  });
});
