// basic-auth: authenticates consumers with a username and password in the Authorization header
// (kong/plugins/basic-auth/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema } from '@tollgate/schema';
import { Anonymous, Bool, HTTP_PROTOCOLS, record } from '../shared-fields.ts';

export const basicAuthSchema = definePluginSchema({
  name: 'basic-auth',
  version: '1.0.0',
  priority: 1100,
  protocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: record({
    anonymous: Type.Optional(Anonymous()),
    hide_credentials: Bool(false, 'Remove the Authorization header before proxying the request upstream.'),
    realm: Type.String({ default: 'service', description: 'Realm sent in the `WWW-Authenticate` header on failure.' }),
  }),
});
