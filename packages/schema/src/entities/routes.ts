// routes: rules that match client requests to a service (kong/db/schema/entities/routes.lua).
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import type { FieldErrors } from '../errors.ts';
import { NameField, ForeignRef, IntegerEnum, StringEnum } from '../fields.ts';
import { compileRegex } from '../route-regex.ts';
import { baseFields, PROTOCOLS } from './common.ts';

/** Protocol groups a route may not mix (Kong: "these sets are mutually exclusive"). */
const PROTOCOL_GROUPS: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['http', 'https', 'ws', 'wss']),
  new Set(['tcp', 'tls', 'udp']),
  new Set(['tls_passthrough']),
  new Set(['grpc', 'grpcs']),
];

const HOST_RE = /^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?(:\d{1,5})?$/;
const HTTP_MATCH_FIELDS = ['methods', 'hosts', 'headers', 'paths'] as const;

export const routes = defineEntity({
  name: 'routes',
  adminPath: 'routes',
  nestedPath: 'routes',
  topLevel: true,
  endpointKey: 'name',
  uniques: ['name'],
  foreignKeys: { service: { entity: 'services', required: false, onDelete: 'restrict' } },
  nested: { plugins: 'plugins' },
  schema: Type.Object(
    {
      ...baseFields(),
      name: Type.Optional(NameField()),
      protocols: Type.Array(StringEnum(PROTOCOLS), { minItems: 1, uniqueItems: true, default: ['http', 'https'] }),
      methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$', tgMessage: 'invalid value: methods are upper-case letters' }))),
      hosts: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
      paths: Type.Optional(Type.Array(Type.String({ pattern: '^(/|~/|~\\^/|~)', tgMessage: 'should start with: / (fixed path) or ~/ (regex path)' }))),
      headers: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
      snis: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
      sources: Type.Optional(Type.Array(Type.Object({ ip: Type.Optional(Type.String()), port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })) }, { additionalProperties: false }))),
      destinations: Type.Optional(Type.Array(Type.Object({ ip: Type.Optional(Type.String()), port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })) }, { additionalProperties: false }))),
      https_redirect_status_code: IntegerEnum([426, 301, 302, 307, 308], { default: 426 }),
      regex_priority: Type.Integer({ default: 0 }),
      strip_path: Type.Boolean({ default: true }),
      path_handling: StringEnum(['v0', 'v1'], { default: 'v0' }),
      preserve_host: Type.Boolean({ default: false }),
      request_buffering: Type.Boolean({ default: true }),
      response_buffering: Type.Boolean({ default: true }),
      service: Type.Optional(ForeignRef()),
    },
    { additionalProperties: false },
  ),
  check(value) {
    const errors: FieldErrors = {};
    const protocols = value['protocols'] as string[];
    if (!PROTOCOL_GROUPS.some((g) => protocols.every((p) => g.has(p)))) {
      errors['protocols'] = "these sets are mutually exclusive: ('http', 'https', 'ws', 'wss'), ('tcp', 'tls', 'udp'), ('tls_passthrough'), ('grpc', 'grpcs')";
    }
    const hosts = value['hosts'] as string[] | undefined;
    hosts?.forEach((h, i) => {
      const stars = h.split('*').length - 1;
      if (stars > 1 || !HOST_RE.test(h)) {
        errors['hosts'] ??= {};
        (errors['hosts'] as FieldErrors)[String(i)] = stars > 1 ? 'invalid wildcard: must have at most one wildcard' : `invalid hostname: ${h}`;
      }
    });
    const paths = value['paths'] as string[] | undefined;
    paths?.forEach((p, i) => {
      // The data plane's own compiler: a path accepted here is one every data plane can route.
      const compiled = p.startsWith('~') ? compileRegex(p.slice(1), { anchored: true }) : undefined;
      if (compiled !== undefined && 'error' in compiled) {
        errors['paths'] ??= {};
        (errors['paths'] as FieldErrors)[String(i)] = `invalid regex: '${p.slice(1)}' (${compiled.error})`;
      }
    });
    const headers = value['headers'] as Record<string, string[]> | undefined;
    if (headers !== undefined && Object.keys(headers).some((h) => h.toLowerCase() === 'host')) {
      errors['headers'] = "cannot contain 'host' header, which must be specified in the 'hosts' attribute";
    } else if (headers !== undefined) {
      for (const [name, values] of Object.entries(headers)) {
        const bad = values.map((v) => (v.startsWith('~*') ? compileRegex(v.slice(2), { anchored: false, caseInsensitive: true }) : undefined)).find((c) => c !== undefined && 'error' in c);
        if (bad === undefined || !('error' in bad)) continue;
        errors['headers'] ??= {};
        (errors['headers'] as FieldErrors)[name] = `invalid regex: ${bad.error}`;
      }
    }
    const has = (f: string) => {
      const v = value[f];
      return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && Object.keys(v as object).length > 0;
    };
    const isHttp = protocols.some((p) => p === 'http' || p === 'https' || p === 'ws' || p === 'wss' || p === 'grpc' || p === 'grpcs');
    if (isHttp && Object.keys(errors).length === 0) {
      const fields: string[] = [...HTTP_MATCH_FIELDS];
      if (protocols.includes('https') || protocols.includes('grpcs') || protocols.includes('wss')) fields.push('snis');
      if (!fields.some(has)) errors['@entity'] = [`must set one of ${fields.map((f) => `'${f}'`).join(', ')} when 'protocols' is '${protocols.join("', '")}'`];
    }
    if (!isHttp && (has('methods') || has('paths') || has('hosts') || has('headers'))) {
      errors['@entity'] = [`'methods', 'hosts', 'headers' and 'paths' can only be set when 'protocols' is 'http', 'https', 'grpc' or 'grpcs'`];
    }
    if (protocols.includes('grpc') || protocols.includes('grpcs')) {
      if (value['strip_path'] === true) value['strip_path'] = false;
    }
    return Object.keys(errors).length > 0 ? errors : undefined;
  },
});
