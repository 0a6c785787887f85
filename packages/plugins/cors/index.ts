import { definePlugin } from '@tollgate/plugin-sdk';
import { corsHandlers, prepareCors, type CorsConfig } from './handler.ts';
import { corsSchema } from './schema.ts';

export default definePlugin<CorsConfig>({ schema: corsSchema, prepare: prepareCors, handlers: corsHandlers });
