import { definePlugin } from '@tollgate/plugin-sdk';
import { ipRestrictionHandlers, prepareIpRestriction, type IpRestrictionConfig } from './handler.ts';
import { ipRestrictionSchema } from './schema.ts';

export default definePlugin<IpRestrictionConfig>({
  schema: ipRestrictionSchema,
  prepare: prepareIpRestriction,
  handlers: ipRestrictionHandlers,
});
