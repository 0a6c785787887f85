import { definePlugin } from '@tollgate/plugin-sdk';
import { prepareRequestTransformer, requestTransformerHandlers, type RequestTransformerConfig } from './handler.ts';
import { requestTransformerSchema } from './schema.ts';

export default definePlugin<RequestTransformerConfig>({
  schema: requestTransformerSchema,
  prepare: prepareRequestTransformer,
  handlers: requestTransformerHandlers,
});
