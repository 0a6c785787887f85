// correlation-id: tags each request with a unique id in a header, optionally echoed to the client
// (kong/plugins/correlation-id/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema, StringEnum } from '@tollgate/schema';
import { Bool, HTTP_PROTOCOLS, record } from '../shared-fields.ts';

export const correlationIdSchema = definePluginSchema({
  name: 'correlation-id',
  version: '1.0.0',
  priority: 100001,
  protocols: HTTP_PROTOCOLS,
  config: record({
    header_name: Type.String({ default: 'Kong-Request-ID', description: 'Header that carries the id; an id already sent by the client is kept.' }),
    generator: StringEnum(['uuid', 'uuid#counter', 'tracker'], {
      default: 'uuid#counter',
      description: 'How ids are made: a UUID per request, a per-worker UUID plus a counter, or nginx request details.',
    }),
    echo_downstream: Bool(false, 'Also send the header back to the client.'),
  }),
});
