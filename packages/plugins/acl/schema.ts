// acl: lets consumers through by the groups they belong to (kong/plugins/acl/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema, type FieldErrors } from '@tollgate/schema';
import { atLeastOneOf, Bool, HTTP_PROTOCOLS, onlyOneOf, record, result, StringList } from '../shared-fields.ts';

const LISTS = ['allow', 'deny'] as const;

export const aclSchema = definePluginSchema({
  name: 'acl',
  version: '1.0.0',
  priority: 950,
  protocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: record({
    allow: Type.Optional(StringList('Groups allowed to use the service or route; set this or `deny`.')),
    deny: Type.Optional(StringList('Groups refused access to the service or route; set this or `allow`.')),
    hide_groups_header: Bool(false, 'Do not send the `X-Consumer-Groups` header upstream.'),
    always_use_authenticated_groups: Bool(
      false,
      'Use the groups from an external authentication (e.g. OAuth scopes) even when a consumer is known, falling back to its groups.',
    ),
  }),
  check(config) {
    const errors: FieldErrors = {};
    onlyOneOf(errors, config, LISTS);
    atLeastOneOf(errors, config, LISTS);
    return result(errors);
  },
});
