import { definePlugin } from '@tollgate/plugin-sdk';
import { prepareRequestSizeLimiting, requestSizeLimitingHandlers, type RequestSizeLimitingConfig } from './handler.ts';
import { requestSizeLimitingSchema } from './schema.ts';

export default definePlugin<RequestSizeLimitingConfig>({
  schema: requestSizeLimitingSchema,
  prepare: prepareRequestSizeLimiting,
  handlers: requestSizeLimitingHandlers,
});
