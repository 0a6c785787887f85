// The bundled plugins' config schemas, in one explicit list: what the control plane validates plugin
// instances against. Handlers are not imported here, so the control plane never loads them.
import { pluginCatalog, type PluginCatalog, type PluginSchema } from '@tollgate/schema';
import { aclSchema } from './acl/schema.ts';
import { basicAuthSchema } from './basic-auth/schema.ts';
import { correlationIdSchema } from './correlation-id/schema.ts';
import { corsSchema } from './cors/schema.ts';
import { fileLogSchema } from './file-log/schema.ts';
import { httpLogSchema } from './http-log/schema.ts';
import { ipRestrictionSchema } from './ip-restriction/schema.ts';
import { jwtSchema } from './jwt/schema.ts';
import { keyAuthSchema } from './key-auth/schema.ts';
import { prometheusSchema } from './prometheus/schema.ts';
import { proxyCacheSchema } from './proxy-cache/schema.ts';
import { rateLimitingSchema } from './rate-limiting/schema.ts';
import { requestSizeLimitingSchema } from './request-size-limiting/schema.ts';
import { requestTransformerSchema } from './request-transformer/schema.ts';
import { responseTransformerSchema } from './response-transformer/schema.ts';

/**
 * Every bundled plugin schema, listed in execution order (highest priority first). The order that
 * actually runs comes from `priority`; `schemas.test.ts` pins it, so changing one is a reviewed change.
 * @example bundledPluginSchemas.map((s) => s.name) // ['correlation-id', 'cors', 'jwt', ...]
 */
export const bundledPluginSchemas: readonly PluginSchema[] = [
  correlationIdSchema,
  corsSchema,
  jwtSchema,
  keyAuthSchema,
  basicAuthSchema,
  ipRestrictionSchema,
  requestSizeLimitingSchema,
  aclSchema,
  rateLimitingSchema,
  requestTransformerSchema,
  responseTransformerSchema,
  proxyCacheSchema,
  prometheusSchema,
  httpLogSchema,
  fileLogSchema,
];

/**
 * The bundled schemas by plugin name, for `new EntityPreparer(bundledPluginCatalog)`.
 * @example bundledPluginCatalog.get('key-auth')?.priority // 1250
 */
export const bundledPluginCatalog: PluginCatalog = pluginCatalog(bundledPluginSchemas);

export {
  aclSchema,
  basicAuthSchema,
  correlationIdSchema,
  corsSchema,
  fileLogSchema,
  httpLogSchema,
  ipRestrictionSchema,
  jwtSchema,
  keyAuthSchema,
  prometheusSchema,
  proxyCacheSchema,
  rateLimitingSchema,
  requestSizeLimitingSchema,
  requestTransformerSchema,
  responseTransformerSchema,
};
