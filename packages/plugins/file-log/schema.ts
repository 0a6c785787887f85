// file-log: appends one JSON line per request to a file (kong/plugins/file-log/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema } from '@tollgate/schema';
import { Bool, HTTP_PROTOCOLS, LuaCode, record } from '../shared-fields.ts';

export const fileLogSchema = definePluginSchema({
  name: 'file-log',
  version: '1.0.0',
  priority: 9,
  protocols: HTTP_PROTOCOLS,
  config: record({
    path: Type.String({
      minLength: 1,
      pattern: '^[^*&%`]+$',
      tgMessage: 'not a valid filename',
      description: 'File the log lines are appended to; created when missing.',
    }),
    reopen: Bool(false, 'Close and reopen the file on every request, so rotated files are picked up.'),
    custom_fields_by_lua: Type.Optional(LuaCode('Fields added to or replaced in each log entry, computed by Lua expressions.')),
  }),
});
