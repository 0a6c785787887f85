import { definePlugin } from '@tollgate/plugin-sdk';
import { prepareRateLimiting, rateLimitingHandlers, type RateLimitingConfig } from './handler.ts';
import { rateLimitingSchema } from './schema.ts';

export default definePlugin<RateLimitingConfig>({ schema: rateLimitingSchema, prepare: prepareRateLimiting, handlers: rateLimitingHandlers });
