import { definePlugin } from '@tollgate/plugin-sdk';
import { keyAuthHandlers, type KeyAuthConfig } from './handler.ts';
import { keyAuthSchema } from './schema.ts';

export default definePlugin<KeyAuthConfig>({ schema: keyAuthSchema, handlers: keyAuthHandlers });
