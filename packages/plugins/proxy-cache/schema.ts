// proxy-cache: caches upstream responses by method, status and content type (kong/plugins/proxy-cache/schema.lua).
import { Type } from '@sinclair/typebox';
import { definePluginSchema, StringEnum } from '@tollgate/schema';
import { Bool, HTTP_PROTOCOLS, record, StringList } from '../shared-fields.ts';

export const proxyCacheSchema = definePluginSchema({
  name: 'proxy-cache',
  version: '1.0.0',
  priority: 100,
  protocols: HTTP_PROTOCOLS,
  config: record({
    response_code: Type.Array(Type.Integer({ minimum: 100, maximum: 900 }), {
      minItems: 1,
      default: [200, 301, 404],
      description: 'Upstream status codes that may be cached.',
    }),
    request_method: Type.Array(StringEnum(['HEAD', 'GET', 'POST', 'PATCH', 'PUT']), {
      default: ['GET', 'HEAD'],
      description: 'Request methods that may be cached.',
    }),
    content_type: StringList('Response content types that may be cached, matched exactly.', { default: ['text/plain', 'application/json'] }),
    cache_ttl: Type.Integer({ exclusiveMinimum: 0, tgMessage: 'value must be greater than 0', default: 300, description: 'Seconds a cached response is served.' }),
    strategy: StringEnum(['memory'], { description: 'Where responses are stored; only `memory` is available.' }),
    cache_control: Bool(false, 'Honour `Cache-Control` request and response directives (RFC 7234).'),
    ignore_uri_case: Bool(false, 'Build the cache key from the lower-cased path.'),
    storage_ttl: Type.Optional(Type.Integer({ description: 'Seconds entries are kept in storage, independent of `cache_ttl`.' })),
    memory: record(
      { dictionary_name: Type.String({ default: 'kong_db_cache', description: 'Name of the shared memory zone holding the entries.' }) },
      { default: {}, description: 'Settings of the `memory` strategy.' },
    ),
    vary_query_params: Type.Optional(StringList('Query parameters that are part of the cache key; all of them when unset.')),
    vary_headers: Type.Optional(StringList('Request headers that are part of the cache key; none when unset.')),
    response_headers: record(
      {
        age: Bool(true, 'Send the `Age` header.'),
        'X-Cache-Status': Bool(true, 'Send the `X-Cache-Status` header (Miss, Hit, Refresh, Bypass).'),
        'X-Cache-Key': Bool(true, 'Send the `X-Cache-Key` header.'),
      },
      { default: {}, description: 'Which cache headers are added to responses.' },
    ),
  }),
});
