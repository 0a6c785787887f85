// http-log: sends each request's log entry as JSON to an HTTP endpoint, batched through a queue
// (kong/plugins/http-log/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema, StringEnum } from '@tollgate/schema';
import { HTTP_PROTOCOLS, LuaCode, Queue, record, Url } from '../shared-fields.ts';

const HEADERS_MESSAGE = "invalid header name: allowed characters are A-Z, a-z, 0-9, '_' and '-', and Host, Content-Length and Content-Type are not allowed";

/** Extra headers for the log request; Kong sets Host, Content-Length and Content-Type itself. */
const headers = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: {
    pattern: '^[A-Za-z0-9_-]+$',
    not: { pattern: '^(?:[Hh][Oo][Ss][Tt]|[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-(?:[Ll][Ee][Nn][Gg][Tt][Hh]|[Tt][Yy][Pp][Ee]))$' },
    tgMessage: HEADERS_MESSAGE,
  },
  additionalProperties: { type: 'string' },
  tgMessage: HEADERS_MESSAGE,
  description: 'Headers added to the log request, name to value.',
});

/** Pre-3.3 batching fields: Kong still accepts them and reads them as fallbacks for `queue` (`retry_count` is ignored). */
const legacy = (replacement: string) => ({ deprecated: true, description: `Deprecated: use \`${replacement}\`.` });

export const httpLogSchema = definePluginSchema({
  name: 'http-log',
  version: '1.0.0',
  priority: 12,
  protocols: HTTP_PROTOCOLS,
  config: record({
    http_endpoint: Url({ description: 'URL the log entries are sent to; userinfo in it becomes Basic authentication.' }),
    method: StringEnum(['POST', 'PUT', 'PATCH'], { default: 'POST', description: 'Method of the log request.' }),
    content_type: StringEnum(['application/json', 'application/json; charset=utf-8'], {
      default: 'application/json',
      description: 'Content type of the log request.',
    }),
    timeout: Type.Number({ default: 10000, description: 'Milliseconds to wait for the log endpoint.' }),
    keepalive: Type.Number({ default: 60000, description: 'Milliseconds an idle connection to the endpoint is kept open.' }),
    headers: Type.Optional(headers),
    queue: Queue(),
    custom_fields_by_lua: Type.Optional(LuaCode('Fields added to or replaced in each log entry, computed by Lua expressions.')),
    retry_count: Type.Optional(Type.Integer(legacy('queue.max_retry_time'))),
    queue_size: Type.Optional(Type.Integer(legacy('queue.max_batch_size'))),
    flush_timeout: Type.Optional(Type.Number(legacy('queue.max_coalescing_delay'))),
  }),
});
