// plugins: an instance of a plugin, global or scoped to a service, route and/or consumer.
// The `config` record is validated by the plugin's own schema (see EntityPreparer).
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import { ForeignRef, StringEnum } from '../fields.ts';
import { baseFields, PROTOCOLS } from './common.ts';

export const plugins = defineEntity({
  name: 'plugins',
  adminPath: 'plugins',
  nestedPath: 'plugins',
  topLevel: true,
  endpointKey: 'instance_name',
  uniques: ['instance_name', ['name', 'route', 'service', 'consumer']],
  cacheKey: ['name', 'route', 'service', 'consumer'],
  foreignKeys: {
    route: { entity: 'routes', required: false, onDelete: 'cascade' },
    service: { entity: 'services', required: false, onDelete: 'cascade' },
    consumer: { entity: 'consumers', required: false, onDelete: 'cascade' },
  },
  schema: Type.Object(
    {
      ...baseFields(),
      name: Type.String({ minLength: 1 }),
      instance_name: Type.Optional(Type.String({ minLength: 1, pattern: '^(?:[A-Za-z0-9._~-]|[^\\u0000-\\u007f])+$', tgMessage: 'invalid value: the only accepted ascii characters are alphanumerics or ., -, _, and ~' })),
      route: Type.Optional(ForeignRef()),
      service: Type.Optional(ForeignRef()),
      consumer: Type.Optional(ForeignRef()),
      config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
      protocols: Type.Array(StringEnum(PROTOCOLS), { uniqueItems: true, minItems: 1, default: ['grpc', 'grpcs', 'http', 'https'] }),
      enabled: Type.Boolean({ default: true }),
    },
    { additionalProperties: false },
  ),
});
