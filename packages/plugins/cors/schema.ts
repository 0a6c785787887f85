// cors: answers CORS preflights and adds the Access-Control-* headers (kong/plugins/cors/schema.lua).
import { Type } from '@sinclair/typebox';
import { addFieldError, definePluginSchema, StringEnum, type FieldErrors } from '@tollgate/schema';
import { Bool, HTTP_PROTOCOLS, record, result, StringList } from '../shared-fields.ts';

const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

export const corsSchema = definePluginSchema({
  name: 'cors',
  version: '1.0.0',
  priority: 2000,
  protocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: record({
    origins: Type.Optional(
      StringList('Allowed origins for `Access-Control-Allow-Origin`: `*`, exact origins or PCRE regexes.'),
    ),
    headers: Type.Optional(
      StringList('Value of `Access-Control-Allow-Headers`; when unset, the request\'s `Access-Control-Request-Headers` is echoed.'),
    ),
    exposed_headers: Type.Optional(StringList('Value of `Access-Control-Expose-Headers`; when unset, no custom header is exposed.')),
    methods: Type.Array(StringEnum(METHODS), {
      default: [...METHODS],
      description: 'Value of `Access-Control-Allow-Methods`; all methods by default.',
    }),
    max_age: Type.Optional(Type.Number({ description: 'Seconds a preflight result may be cached (`Access-Control-Max-Age`).' })),
    credentials: Bool(false, 'Send `Access-Control-Allow-Credentials: true`.'),
    private_network: Bool(false, 'Send `Access-Control-Allow-Private-Network: true` when a preflight asks for it.'),
    preflight_continue: Bool(false, 'Proxy OPTIONS preflights to the upstream instead of answering them.'),
    allow_origin_absent: Bool(true, 'Add the CORS headers even when the request has no `Origin` header.'),
  }),
  check(config) {
    const errors: FieldErrors = {};
    const origins = config['origins'];
    if (Array.isArray(origins)) {
      origins.forEach((origin: unknown, i) => {
        if (typeof origin === 'string' && origin !== '*' && !isRegex(origin)) {
          addFieldError(errors, ['origins', String(i)], `'${origin}' is not a valid regex`);
        }
      });
    }
    return result(errors);
  },
});

/**
 * Kong compiles origins as PCRE. JavaScript's syntax is close enough to catch what would never compile;
 * PCRE's leading inline flags, e.g. `(?i)`, are not JavaScript, so they are dropped before the test.
 */
function isRegex(source: string): boolean {
  try {
    new RegExp(source.replace(/^\(\?[a-zA-Z]+\)/, ''));
    return true;
  } catch {
    return false;
  }
}
