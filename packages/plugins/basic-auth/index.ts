import { definePlugin } from '@tollgate/plugin-sdk';
import { basicAuthHandlers, type BasicAuthConfig } from './handler.ts';
import { basicAuthSchema } from './schema.ts';

export default definePlugin<BasicAuthConfig>({ schema: basicAuthSchema, handlers: basicAuthHandlers });
