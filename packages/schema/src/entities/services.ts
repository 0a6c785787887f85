// services: an upstream API that routes forward to (kong/db/schema/entities/services.lua).
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import type { FieldErrors } from '../errors.ts';
import { NameField, ForeignRef, Host, Path, Port, StringEnum, Timeout, Uuid } from '../fields.ts';
import { baseFields, PROTOCOLS } from './common.ts';

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, grpc: 80, grpcs: 443, ws: 80, wss: 443 };
const NO_PATH = new Set(['tcp', 'tls', 'udp', 'grpc', 'grpcs', 'tls_passthrough']);
const TLS_ONLY = new Set(['https', 'tls', 'wss', 'grpcs', 'tls_passthrough']);

export const services = defineEntity({
  name: 'services',
  adminPath: 'services',
  topLevel: true,
  endpointKey: 'name',
  uniques: ['name'],
  foreignKeys: { client_certificate: { entity: 'certificates', required: false, onDelete: 'restrict' } },
  nested: { routes: 'routes', plugins: 'plugins' },
  schema: Type.Object(
    {
      ...baseFields(),
      name: Type.Optional(NameField()),
      protocol: StringEnum(PROTOCOLS, { default: 'http' }),
      host: Host(),
      port: Port({ default: 80 }),
      path: Type.Optional(Path()),
      retries: Type.Integer({ minimum: 0, maximum: 32767, default: 5 }),
      connect_timeout: Timeout(),
      write_timeout: Timeout(),
      read_timeout: Timeout(),
      enabled: Type.Boolean({ default: true }),
      client_certificate: Type.Optional(ForeignRef()),
      tls_verify: Type.Optional(Type.Boolean()),
      tls_verify_depth: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
      ca_certificates: Type.Optional(Type.Array(Uuid())),
    },
    { additionalProperties: false },
  ),
  expandShorthands(input) {
    const url = input['url'];
    if (url === undefined) return undefined;
    delete input['url'];
    if (typeof url !== 'string') return { url: 'expected a string' };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { url: 'invalid url: expected scheme://host[:port][/path]' };
    }
    const protocol = parsed.protocol.replace(/:$/, '');
    if (parsed.hostname === '') return { url: 'missing host in url' };
    input['protocol'] = protocol;
    input['host'] = parsed.hostname.replace(/^\[|\]$/g, '');
    input['port'] = parsed.port !== '' ? Number(parsed.port) : (DEFAULT_PORTS[protocol] ?? 80);
    const path = parsed.pathname + parsed.search;
    // new URL() turns an empty path into "/" for special schemes; Kong keeps it unset.
    if (path !== '' && !(path === '/' && !/^[a-z]+:\/\/[^/]+\/$/i.test(url))) input['path'] = path;
    return undefined;
  },
  check(value) {
    const errors: FieldErrors = {};
    const protocol = value['protocol'] as string;
    if (value['path'] != null && NO_PATH.has(protocol)) errors['path'] = `value must be null (path is not allowed for protocol '${protocol}')`;
    if (typeof value['path'] === 'string' && value['path'].includes('//')) errors['path'] = 'must not have empty segments';
    for (const f of ['client_certificate', 'tls_verify', 'tls_verify_depth', 'ca_certificates'] as const) {
      if (value[f] != null && !TLS_ONLY.has(protocol)) errors[f] = `value must be null (only allowed for protocols https, tls, wss, grpcs)`;
    }
    return Object.keys(errors).length > 0 ? errors : undefined;
  },
});
