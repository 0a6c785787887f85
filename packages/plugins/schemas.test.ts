// Pins the bundled plugin schemas: real Kong declarative files validate (or fail where Kong fails),
// the priority order is golden, and each schema fills Kong's defaults and rejects bad values by field.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCompiler, stripNulls, type FieldErrors, type PluginSchema } from '@tollgate/schema';
import { bundledPluginCatalog, bundledPluginSchemas } from './schemas.ts';

const compile = createCompiler();

type Outcome = { ok: true; value: Record<string, unknown> } | { ok: false; fields: FieldErrors; stage: 'schema' | 'check' };

/** What the EntityPreparer does with a config: nulls are "unset", then the JSON schema, then check(). */
function validate(schema: PluginSchema, input: unknown = {}): Outcome {
  const config = stripNulls(structuredClone((input ?? {}) as Record<string, unknown>));
  const result = compile(schema.config)(config);
  if (!result.ok) return { ok: false, fields: result.fields, stage: 'schema' };
  const fields = schema.check?.(config);
  return fields === undefined ? { ok: true, value: config } : { ok: false, fields, stage: 'check' };
}

function plugin(name: string): PluginSchema {
  const schema = bundledPluginCatalog.get(name);
  if (schema === undefined) throw new Error(`no schema for ${name}`);
  return schema;
}

// ---------------------------------------------------------------------------------------------
// 1. Real Kong files (see SOURCES.md in the fixture folder; they are read in place, never copied).

const FIXTURES = process.env['TOLLGATE_KONG_FIXTURES'] ?? '/work/shared/fixtures/kong-configs';

interface Instance { where: string; name: string; config: unknown }

/** Every plugin instance in a declarative file: top-level, and nested under services, routes and consumers. */
function pluginInstances(file: string): Instance[] {
  const doc: unknown = parse(readFileSync(join(FIXTURES, file), 'utf8'));
  const found: Instance[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, `${where}[${i}]`));
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        const at = where === '' ? key : `${where}.${key}`;
        if (key === 'plugins' && Array.isArray(value)) {
          value.forEach((p: { name?: unknown; config?: unknown }, i) => {
            if (typeof p.name === 'string' && bundledPluginCatalog.has(p.name)) found.push({ where: `${at}[${i}]`, name: p.name, config: p.config });
          });
        }
        walk(value, at);
      }
    }
  };
  walk(doc, '');
  return found;
}

/** Instances of the 15 bundled plugins per file, counted from SOURCES.md (01 also has 2 bot-detection). */
const CLEAN_FILES: Record<string, number> = {
  '01-comic-web-deck-dump.yml': 29,
  '02-supabase-selfhosted.yml': 22,
  '03-rules-mirror-keyauth-basicauth-acl.yml': 12,
  '05-digit-core-keyauth-ratelimit.yml': 19,
  '08-keyauth-proxy-cache.json': 4,
  '09-oan-auth-regex-jwt.yml': 18,
  '10-idva-ingress-hosts.yml': 1,
};

const hasFixtures = existsSync(FIXTURES);

describe.skipIf(!hasFixtures)(`Kong fixture files (skipped when ${FIXTURES} is absent)`, () => {
  it.each(Object.entries(CLEAN_FILES))('%s: every bundled plugin config is valid', (file, count) => {
    const instances = pluginInstances(file);
    expect(instances).toHaveLength(count);
    const failures = instances
      .map((i) => ({ where: i.where, name: i.name, outcome: validate(plugin(i.name), i.config) }))
      // 09 uses policy: redis without a host; Kong's entity check rejects that too (asserted below).
      .filter(({ outcome }) => !outcome.ok && !(outcome.stage === 'check' && file.startsWith('09')))
      .map(({ where, name, outcome }) => ({ where, name, fields: outcome.ok ? undefined : outcome.fields }));
    expect(failures).toEqual([]);
  });

  it('09: rate-limiting with policy redis and no redis host fails check() like Kong', () => {
    const checked = pluginInstances('09-oan-auth-regex-jwt.yml')
      .filter((i) => i.name === 'rate-limiting')
      .map((i) => ({ policy: (i.config as { policy?: string }).policy, outcome: validate(plugin(i.name), i.config) }));
    expect(checked).toHaveLength(12);
    for (const { outcome } of checked) {
      expect(outcome).toEqual({ ok: false, stage: 'check', fields: { redis: { host: 'required field missing' } } });
    }
  });

  it("06: fields Kong's schemas lack are rejected as unknown, naming each field", () => {
    const invalid = pluginInstances('06-gradeloop-jwt-upstream.yml')
      .map((i) => ({ name: i.name, outcome: validate(plugin(i.name), i.config) }))
      .filter(({ outcome }) => !outcome.ok)
      .map(({ name, outcome }) => ({ name, fields: outcome.ok ? undefined : outcome.fields }));
    const jwtUnknown = { secret_claim_name: 'unknown field', algorithm: 'unknown field', query_names: 'unknown field', hide_credentials: 'unknown field', token_type: 'unknown field' };
    expect(invalid).toEqual([
      { name: 'request-size-limiting', fields: { custom_response_message: 'unknown field' } },
      ...Array.from({ length: 4 }, () => ({ name: 'jwt', fields: jwtUnknown })),
      { name: 'rate-limiting', fields: { custom_response_message: 'unknown field' } },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Execution order. Changing this list is a deliberate, reviewed change.

const GOLDEN_PRIORITIES: ReadonlyArray<readonly [string, number]> = [
  ['correlation-id', 100001],
  ['cors', 2000],
  ['jwt', 1450],
  ['key-auth', 1250],
  ['basic-auth', 1100],
  ['ip-restriction', 990],
  ['request-size-limiting', 951],
  ['acl', 950],
  ['rate-limiting', 910],
  ['request-transformer', 801],
  ['response-transformer', 800],
  ['proxy-cache', 100],
  ['prometheus', 13],
  ['http-log', 12],
  ['file-log', 9],
];

describe('bundled plugin list', () => {
  it('runs in the golden priority order (highest first; ties by name, reverse alphabetical, as Kong)', () => {
    const sorted = [...bundledPluginSchemas].sort((a, b) => b.priority - a.priority || b.name.localeCompare(a.name));
    expect(sorted.map((s) => [s.name, s.priority])).toEqual(GOLDEN_PRIORITIES);
    expect(bundledPluginSchemas.map((s) => s.name)).toEqual(GOLDEN_PRIORITIES.map(([name]) => name));
    expect(bundledPluginCatalog.size).toBe(bundledPluginSchemas.length);
  });

  it('describes every config field, and closes every record', () => {
    const problems: string[] = [];
    const visit = (schema: Record<string, unknown>, path: string): void => {
      const props = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
      if (props === undefined) return;
      if (schema['additionalProperties'] !== false) problems.push(`${path}: not closed`);
      for (const [key, sub] of Object.entries(props)) {
        if (typeof sub['description'] !== 'string') problems.push(`${path}.${key}: no description`);
        visit(sub, `${path}.${key}`);
      }
    };
    for (const s of bundledPluginSchemas) visit(s.config as unknown as Record<string, unknown>, s.name);
    expect(problems).toEqual([]);
  });

  it('marks the plugins Kong declares with typedefs.no_consumer', () => {
    expect(bundledPluginSchemas.filter((s) => s.noConsumer === true).map((s) => s.name).sort()).toEqual(['acl', 'basic-auth', 'cors', 'jwt', 'key-auth']);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Behaviour of each schema: Kong's defaults, a rejected value named by field, the cross-field rules.

interface Case {
  /** A valid input and a subset of what it becomes once defaults are filled. */
  defaults: [input: Record<string, unknown>, expected: Record<string, unknown>];
  /** Invalid inputs and the field errors they produce (schema or check()). */
  rejects: Array<[input: Record<string, unknown>, fields: FieldErrors]>;
}

const CASES: Record<string, Case> = {
  'key-auth': {
    defaults: [{}, { key_names: ['apikey'], hide_credentials: false, key_in_header: true, key_in_query: true, key_in_body: false, run_on_preflight: true }],
    rejects: [
      [{ key_names: ['api key'] }, { key_names: { 0: "bad header name, allowed characters are A-Z, a-z, 0-9, '_', and '-'" } }],
      [{ key_names: [] }, { key_names: 'length must be at least 1' }],
    ],
  },
  'basic-auth': {
    defaults: [{}, { hide_credentials: false, realm: 'service' }],
    rejects: [[{ hide_credentials: 'yes' }, { hide_credentials: 'expected a boolean' }]],
  },
  jwt: {
    defaults: [{ maximum_expiration: 3600, claims_to_verify: ['exp'] }, { uri_param_names: ['jwt'], cookie_names: [], header_names: ['authorization'], key_claim_name: 'iss', secret_is_base64: false, run_on_preflight: true }],
    rejects: [
      [{ claims_to_verify: ['iat'] }, { claims_to_verify: { 0: 'expected one of: exp, nbf' } }],
      [{ maximum_expiration: 31536001 }, { maximum_expiration: 'value should be between 0 and 31536000' }],
      [{ maximum_expiration: 60 }, { claims_to_verify: 'expected to contain: exp (required when maximum_expiration is set)' }],
    ],
  },
  acl: {
    defaults: [{ allow: ['admin'] }, { allow: ['admin'], hide_groups_header: false, always_use_authenticated_groups: false }],
    rejects: [
      [{}, { '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"] }],
      [{ allow: ['a'], deny: ['b'] }, { '@entity': ["only one of these fields must be non-empty: 'config.allow', 'config.deny'"] }],
    ],
  },
  'rate-limiting': {
    defaults: [
      { minute: 5, redis_host: 'redis.internal', policy: 'redis' },
      { policy: 'redis', limit_by: 'consumer', fault_tolerant: true, hide_client_headers: false, error_code: 429, error_message: 'API rate limit exceeded', sync_rate: -1, redis: { port: 6379, timeout: 2000, database: 0, ssl: false, ssl_verify: false } },
    ],
    rejects: [
      [{ minute: -1 }, { minute: 'value must be greater than 0' }],
      [{ policy: 'local' }, { '@entity': ["at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'"] }],
      [{ minute: 50, hour: 10 }, { '@entity': ['The limit for hour(10.0) cannot be lower than the limit for minute(50.0)'] }],
      [{ minute: 5, policy: 'redis' }, { redis: { host: 'required field missing' } }],
      [{ minute: 5, limit_by: 'header' }, { header_name: 'required field missing' }],
      [{ minute: 5, sync_rate: 1 }, { sync_rate: 'sync_rate can only be used with the redis policy' }],
      [{ minute: 5, policy: 'sliding' }, { policy: 'expected one of: local, cluster, redis' }],
    ],
  },
  cors: {
    defaults: [{ origins: ['*', '(?i)^https://[a-z]+\\.example\\.com$'] }, { methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'], credentials: false, private_network: false, preflight_continue: false, allow_origin_absent: true }],
    rejects: [
      [{ max_age: 'x' }, { max_age: 'expected a number' }],
      [{ methods: ['FETCH'] }, { methods: { 0: 'expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT' } }],
      [{ origins: ['https://(a.example'] }, { origins: { 0: "'https://(a.example' is not a valid regex" } }],
    ],
  },
  'ip-restriction': {
    defaults: [{ allow: ['10.0.0.0/8', '192.168.1.1', '::1', '2001:db8::/32'] }, { allow: ['10.0.0.0/8', '192.168.1.1', '::1', '2001:db8::/32'] }],
    rejects: [
      [{ deny: ['300.1.1.1'] }, { deny: { 0: 'invalid ip or cidr range' } }],
      [{ allow: ['10.0.0.0/33'] }, { allow: { 0: 'invalid ip or cidr range' } }],
      [{ status: 403 }, { '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"] }],
    ],
  },
  'request-transformer': {
    defaults: [{ replace: { uri: '/health' } }, { remove: { body: [], headers: [], querystring: [] }, replace: { body: [], headers: [], querystring: [], uri: '/health' }, add: { body: [], headers: [], querystring: [] } }],
    rejects: [
      [{ add: { querystring: ['flag'] } }, { add: { querystring: { 0: "expected 'name:value' with a non-empty value" } } }],
      [{ add: { headers: ['Bad Header:x'] } }, { add: { headers: { 0: "expected 'Header-Name:value' with a valid header name" } } }],
      [{ http_method: 'get' }, { http_method: 'invalid value: expected an uppercase HTTP method' }],
      [{ rename: { headers: ['x-a:bad name'] } }, { rename: { headers: { 0: "'bad name' is not a valid header name" } } }],
      [{ add: { headers: ['x-b:ok\u0001'] } }, { add: { headers: { 0: "the value of 'x-b' has characters a header cannot carry (control characters or above U+00FF)" } } }],
    ],
  },
  'response-transformer': {
    defaults: [{ add: { json: ['ok:true'], json_types: ['boolean'] } }, { add: { json: ['ok:true'], json_types: ['boolean'], headers: [] }, remove: { json: [], headers: [] } }],
    rejects: [[{ add: { json_types: ['integer'] } }, { add: { json_types: { 0: 'expected one of: boolean, number, string' } } }]],
  },
  'request-size-limiting': {
    defaults: [{}, { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false }],
    rejects: [[{ size_unit: 'gigabytes' }, { size_unit: 'expected one of: megabytes, kilobytes, bytes' }]],
  },
  'correlation-id': {
    defaults: [{}, { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false }],
    rejects: [[{ generator: 'random' }, { generator: 'expected one of: uuid, uuid#counter, tracker' }]],
  },
  'proxy-cache': {
    defaults: [{ strategy: 'memory' }, { response_code: [200, 301, 404], request_method: ['GET', 'HEAD'], content_type: ['text/plain', 'application/json'], cache_ttl: 300, cache_control: false, memory: { dictionary_name: 'kong_db_cache' }, response_headers: { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true } }],
    rejects: [
      [{}, { strategy: 'required field missing' }],
      [{ strategy: 'memory', response_code: [99] }, { response_code: { 0: 'value should be between 100 and 900' } }],
      [{ strategy: 'memory', cache_ttl: 0 }, { cache_ttl: 'value must be greater than 0' }],
    ],
  },
  prometheus: {
    defaults: [{}, { per_consumer: false, status_code_metrics: false, latency_metrics: false, bandwidth_metrics: false, upstream_health_metrics: false, ai_metrics: false, wasm_metrics: false }],
    rejects: [[{ per_consumer: 'yes' }, { per_consumer: 'expected a boolean' }]],
  },
  'http-log': {
    defaults: [
      { http_endpoint: 'http://logs:8080/in', retry_count: 15, flush_timeout: 2 },
      { method: 'POST', content_type: 'application/json', timeout: 10000, keepalive: 60000, retry_count: 15, queue: { max_batch_size: 1, max_coalescing_delay: 1, max_entries: 10000, max_retry_time: 60, initial_retry_delay: 0.01, max_retry_delay: 60, concurrency_limit: 1 } },
    ],
    rejects: [
      [{}, { http_endpoint: 'required field missing' }],
      [{ http_endpoint: 'logs:8080' }, { http_endpoint: 'invalid url: expected scheme://host[:port][/path]' }],
      [{ http_endpoint: 'http://l', method: 'GET' }, { method: 'expected one of: POST, PUT, PATCH' }],
      [{ http_endpoint: 'http://l', headers: { Host: 'x' } }, { headers: expect.stringContaining('Host, Content-Length and Content-Type are not allowed') as unknown as string }],
    ],
  },
  'file-log': {
    defaults: [{ path: '/var/log/kong/access.log' }, { path: '/var/log/kong/access.log', reopen: false }],
    rejects: [
      [{}, { path: 'required field missing' }],
      [{ path: '/tmp/*.log' }, { path: 'not a valid filename' }],
    ],
  },
};

describe('plugin config behaviour', () => {
  it('has cases for every bundled plugin', () => {
    expect(Object.keys(CASES).sort()).toEqual(bundledPluginSchemas.map((s) => s.name).sort());
  });

  describe.each(Object.entries(CASES))('%s', (name, { defaults, rejects }) => {
    it("fills Kong's defaults", () => {
      const outcome = validate(plugin(name), defaults[0]);
      expect(outcome.ok ? outcome.value : outcome.fields).toMatchObject(defaults[1]);
    });

    it.each(rejects.map(([input, fields]) => [JSON.stringify(input), input, fields] as const))('rejects %s', (_label, input, fields) => {
      const outcome = validate(plugin(name), input);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.fields).toEqual(fields);
    });
  });

  it('accepts the deprecated flat redis_* fields next to the nested redis record', () => {
    const outcome = validate(plugin('rate-limiting'), { minute: 1, redis_host: 'r', redis_port: 6380, redis_timeout: 100, redis_database: 1, redis_ssl: true, redis: { host: 'r' } });
    expect(outcome.ok).toBe(true);
  });
});
