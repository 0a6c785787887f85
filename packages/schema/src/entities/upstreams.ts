// upstreams: a virtual hostname balanced over targets, with health checks (kong/db/schema/entities/upstreams.lua).
import { Type, type TObject } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import type { FieldErrors } from '../errors.ts';
import { ForeignRef, Host, StringEnum } from '../fields.ts';
import { baseFields } from './common.ts';

const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;
const Count = (description: string) => Type.Integer({ minimum: 0, maximum: 255, default: 0, description });
const Seconds = (description: string) => Type.Number({ minimum: 0, maximum: 65535, default: 0, description });
const Statuses = (defaults: number[]) => Type.Array(Type.Integer({ minimum: 100, maximum: 999 }), { default: defaults });

const activeHealthchecks: TObject = Type.Object(
  {
    type: StringEnum(['tcp', 'http', 'https', 'grpc', 'grpcs'], { default: 'http' }),
    timeout: Type.Number({ minimum: 0, maximum: 65535, default: 1, description: 'Probe timeout in seconds.' }),
    concurrency: Type.Integer({ minimum: 1, maximum: 2147483648, default: 10 }),
    http_path: Type.String({ pattern: '^/', default: '/', tgMessage: 'should start with: /' }),
    https_sni: Type.Optional(Type.String()),
    https_verify_certificate: Type.Boolean({ default: true }),
    headers: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
    healthy: Type.Object(
      { interval: Seconds('Seconds between probes of healthy targets; 0 disables.'), http_statuses: Statuses([200, 302]), successes: Count('Successes that mark a target healthy.') },
      { additionalProperties: false, default: {} },
    ),
    unhealthy: Type.Object(
      {
        interval: Seconds('Seconds between probes of unhealthy targets; 0 disables.'),
        http_statuses: Statuses([429, 404, 500, 501, 502, 503, 504, 505]),
        tcp_failures: Count('TCP failures that mark a target unhealthy.'),
        timeouts: Count('Timeouts that mark a target unhealthy.'),
        http_failures: Count('HTTP failures that mark a target unhealthy.'),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

const passiveHealthchecks: TObject = Type.Object(
  {
    type: StringEnum(['tcp', 'http', 'https', 'grpc', 'grpcs'], { default: 'http' }),
    healthy: Type.Object(
      { http_statuses: Statuses([200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]), successes: Count('Successes that mark a target healthy.') },
      { additionalProperties: false, default: {} },
    ),
    unhealthy: Type.Object(
      {
        http_statuses: Statuses([429, 500, 503]),
        tcp_failures: Count('TCP failures that mark a target unhealthy.'),
        timeouts: Count('Timeouts that mark a target unhealthy.'),
        http_failures: Count('HTTP failures that mark a target unhealthy.'),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export const upstreams = defineEntity({
  name: 'upstreams',
  adminPath: 'upstreams',
  topLevel: true,
  endpointKey: 'name',
  uniques: ['name'],
  foreignKeys: { client_certificate: { entity: 'certificates', required: false, onDelete: 'restrict' } },
  nested: { targets: 'targets' },
  schema: Type.Object(
    {
      ...baseFields(),
      name: Host({ tgMessage: 'invalid value: must be a hostname' }),
      algorithm: StringEnum(['round-robin', 'consistent-hashing', 'least-connections', 'latency'], { default: 'round-robin' }),
      hash_on: StringEnum(HASH_ON, { default: 'none' }),
      hash_fallback: StringEnum(HASH_ON, { default: 'none' }),
      hash_on_header: Type.Optional(Type.String({ minLength: 1 })),
      hash_fallback_header: Type.Optional(Type.String({ minLength: 1 })),
      hash_on_cookie: Type.Optional(Type.String({ minLength: 1 })),
      hash_on_cookie_path: Type.String({ pattern: '^/', default: '/' }),
      hash_on_query_arg: Type.Optional(Type.String({ minLength: 1 })),
      hash_fallback_query_arg: Type.Optional(Type.String({ minLength: 1 })),
      hash_on_uri_capture: Type.Optional(Type.String({ minLength: 1 })),
      hash_fallback_uri_capture: Type.Optional(Type.String({ minLength: 1 })),
      slots: Type.Integer({ minimum: 10, maximum: 65536, default: 10000 }),
      healthchecks: Type.Object(
        {
          active: activeHealthchecks,
          passive: passiveHealthchecks,
          threshold: Type.Number({ minimum: 0, maximum: 100, default: 0 }),
        },
        { additionalProperties: false, default: {} },
      ),
      host_header: Type.Optional(Host()),
      client_certificate: Type.Optional(ForeignRef()),
      use_srv_name: Type.Boolean({ default: false }),
    },
    { additionalProperties: false },
  ),
  check(value) {
    const errors: FieldErrors = {};
    const name = value['name'] as string;
    if (/^[0-9.]+$/.test(name) || name.includes(':')) errors['name'] = 'invalid value: must be a hostname, not an IP address or host:port';
    const needs: Array<[string, string, string]> = [
      ['hash_on', 'header', 'hash_on_header'],
      ['hash_on', 'cookie', 'hash_on_cookie'],
      ['hash_on', 'query_arg', 'hash_on_query_arg'],
      ['hash_on', 'uri_capture', 'hash_on_uri_capture'],
      ['hash_fallback', 'header', 'hash_fallback_header'],
      ['hash_fallback', 'query_arg', 'hash_fallback_query_arg'],
      ['hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'],
    ];
    for (const [field, when, required] of needs) {
      if (value[field] === when && value[required] == null) errors[required] = `required field missing (needed when '${field}' is '${when}')`;
    }
    if (value['hash_on'] === 'none' && value['hash_fallback'] !== 'none') errors['hash_fallback'] = "expected one of: none (when 'hash_on' is 'none')";
    if (value['hash_on'] === 'cookie' && value['hash_fallback'] !== 'none') errors['hash_fallback'] = "expected one of: none (when 'hash_on' is 'cookie')";
    if (value['hash_on'] !== 'none' && value['hash_on'] === value['hash_fallback'] && !['header', 'query_arg', 'uri_capture'].includes(value['hash_on'] as string)) {
      errors['hash_fallback'] = "must be different from 'hash_on'";
    }
    return Object.keys(errors).length > 0 ? errors : undefined;
  },
});
