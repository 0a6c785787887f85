import { definePlugin } from '@tollgate/plugin-sdk';
import { fileLogHandlers, prepareFileLog, type FileLogConfig } from './handler.ts';
import { fileLogSchema } from './schema.ts';

export default definePlugin<FileLogConfig>({ schema: fileLogSchema, prepare: prepareFileLog, handlers: fileLogHandlers });
