// key-auth: authenticates consumers by an API key sent in a header, the query string or the body
// (kong/plugins/key-auth/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema } from '@tollgate/schema';
import { Anonymous, Bool, HeaderName, HTTP_PROTOCOLS, record } from '../shared-fields.ts';

export const keyAuthSchema = definePluginSchema({
  name: 'key-auth',
  version: '1.0.0',
  priority: 1250,
  protocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: record({
    key_names: Type.Array(HeaderName(), {
      minItems: 1,
      default: ['apikey'],
      description: 'Names of the header, query parameter or body field that carry the key, tried in order.',
    }),
    hide_credentials: Bool(false, 'Remove the key from the request before proxying it upstream.'),
    anonymous: Type.Optional(Anonymous()),
    key_in_header: Bool(true, 'Look for the key in request headers.'),
    key_in_query: Bool(true, 'Look for the key in query parameters.'),
    key_in_body: Bool(false, 'Look for the key in a form, multipart or JSON request body.'),
    run_on_preflight: Bool(true, 'Authenticate OPTIONS preflight requests too; when false they always pass.'),
    realm: Type.Optional(Type.String({ description: 'Realm sent in the `WWW-Authenticate` header on failure.' })),
  }),
});
