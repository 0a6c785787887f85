import { definePlugin } from '@tollgate/plugin-sdk';
import { aclHandlers, type AclConfig } from './handler.ts';
import { aclSchema } from './schema.ts';

export default definePlugin<AclConfig>({ schema: aclSchema, handlers: aclHandlers });
