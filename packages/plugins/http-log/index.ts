import { definePlugin } from '@tollgate/plugin-sdk';
import { httpLogHandlers, prepareHttpLog, type HttpLogConfig } from './handler.ts';
import { httpLogSchema } from './schema.ts';

export default definePlugin<HttpLogConfig>({ schema: httpLogSchema, prepare: prepareHttpLog, handlers: httpLogHandlers });
