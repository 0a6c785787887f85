// request-size-limiting: rejects request bodies above a size with 413 (kong/plugins/request-size-limiting/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema, StringEnum } from '@tollgate/schema';
import { Bool, HTTP_PROTOCOLS, record } from '../shared-fields.ts';

export const requestSizeLimitingSchema = definePluginSchema({
  name: 'request-size-limiting',
  version: '1.0.0',
  priority: 951,
  protocols: HTTP_PROTOCOLS,
  config: record({
    allowed_payload_size: Type.Integer({ default: 128, description: 'Largest allowed request body, in `size_unit`.' }),
    size_unit: StringEnum(['megabytes', 'kilobytes', 'bytes'], { default: 'megabytes', description: 'Unit of `allowed_payload_size`.' }),
    require_content_length: Bool(false, 'Reject requests without a valid `Content-Length` header (411).'),
  }),
});
