import { definePlugin } from '@tollgate/plugin-sdk';
import { jwtHandlers, type JwtConfig } from './handler.ts';
import { jwtSchema } from './schema.ts';

export default definePlugin<JwtConfig>({ schema: jwtSchema, handlers: jwtHandlers });
