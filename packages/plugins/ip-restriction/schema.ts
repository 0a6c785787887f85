// ip-restriction: allows or denies requests by client IP or CIDR range, also for TCP/TLS streams
// (kong/plugins/ip-restriction/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema, type FieldErrors } from '@tollgate/schema';
import { atLeastOneOf, IpOrCidr, record, result } from '../shared-fields.ts';

export const ipRestrictionSchema = definePluginSchema({
  name: 'ip-restriction',
  version: '1.0.0',
  priority: 990,
  // Kong declares its own list here, stream protocols included, in this order.
  protocols: ['http', 'https', 'tcp', 'tls', 'grpc', 'grpcs'],
  config: record({
    allow: Type.Optional(Type.Array(IpOrCidr(), { description: 'IPs or CIDR ranges allowed; set this and/or `deny`.' })),
    deny: Type.Optional(Type.Array(IpOrCidr(), { description: 'IPs or CIDR ranges denied; checked before `allow`.' })),
    status: Type.Optional(Type.Number({ description: 'Status code of the rejection (403 by default).' })),
    message: Type.Optional(Type.String({ description: 'Message of the rejection (`IP address not allowed: <ip>` by default).' })),
  }),
  check(config) {
    const errors: FieldErrors = {};
    atLeastOneOf(errors, config, ['allow', 'deny']);
    return result(errors);
  },
});
