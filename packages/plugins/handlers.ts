// The bundled plugins with their runtime (schema + handlers), for data planes. Plugins without a
// handler yet are accepted by the Admin API (schemas.ts) but not run: a data plane refuses configs
// that use them in hybrid mode, and answers 500 on their routes otherwise (never skips them).
import type { PluginDefinition } from '@tollgate/plugin-sdk';
import acl from './acl/index.ts';
import basicAuth from './basic-auth/index.ts';
import correlationId from './correlation-id/index.ts';
import fileLog from './file-log/index.ts';
import httpLog from './http-log/index.ts';
import cors from './cors/index.ts';
import ipRestriction from './ip-restriction/index.ts';
import jwt from './jwt/index.ts';
import keyAuth from './key-auth/index.ts';
import prometheus from './prometheus/index.ts';
import proxyCache from './proxy-cache/index.ts';
import rateLimiting from './rate-limiting/index.ts';
import requestSizeLimiting from './request-size-limiting/index.ts';
import requestTransformer from './request-transformer/index.ts';
import responseTransformer from './response-transformer/index.ts';

export const bundledPlugins: readonly PluginDefinition[] = [
  correlationId,
  cors,
  jwt,
  keyAuth,
  basicAuth,
  acl,
  ipRestriction,
  requestSizeLimiting,
  rateLimiting,
  requestTransformer,
  responseTransformer,
  proxyCache,
  prometheus,
  httpLog,
  fileLog,
];
