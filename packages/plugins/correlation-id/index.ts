import { definePlugin } from '@tollgate/plugin-sdk';
import { correlationIdHandlers, type CorrelationIdConfig } from './handler.ts';
import { correlationIdSchema } from './schema.ts';

export default definePlugin<CorrelationIdConfig>({ schema: correlationIdSchema, handlers: correlationIdHandlers });
