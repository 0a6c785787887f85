import { definePlugin } from '@tollgate/plugin-sdk';
import { needsBody, prepareResponseTransformer, responseTransformerHandlers, wantsBody, type ResponseTransformerConfig } from './handler.ts';
import { responseTransformerSchema } from './schema.ts';

export default definePlugin<ResponseTransformerConfig>({
  schema: responseTransformerSchema,
  prepare: prepareResponseTransformer,
  bufferResponseBody: needsBody,
  wantsResponseBody: wantsBody,
  handlers: responseTransformerHandlers,
});
