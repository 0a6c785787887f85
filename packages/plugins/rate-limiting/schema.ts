// rate-limiting: counts requests per consumer, IP, header... in fixed calendar windows and answers 429
// over the limit (kong/plugins/rate-limiting/schema.lua, redis record from kong/tools/redis/schema.lua).
import { Type } from '@sinclair/typebox';
import { addFieldError, definePluginSchema, Host, Path, Port, StringEnum, Timeout, type FieldErrors } from '@tollgate/schema';
import { atLeastOneOf, Bool, HeaderName, HTTP_PROTOCOLS, record, result } from '../shared-fields.ts';

/** Periods from shortest to longest: a longer period may not have a lower limit. */
const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
const SYNC_RATE_REALTIME = -1;

const limit = (period: string) =>
  Type.Optional(
    Type.Number({ exclusiveMinimum: 0, tgMessage: 'value must be greater than 0', description: `Number of requests allowed per ${period}.` }),
  );

/** The shared Redis connection record, as Kong 3.x nests it under `config.redis`. */
const redis = record(
  {
    host: Type.Optional(Host({ description: 'Redis host; required with the `redis` policy.' })),
    port: Port({ default: 6379, description: 'Redis port.' }),
    timeout: Timeout({ minimum: 0, default: 2000, description: 'Connect, send and read timeout in milliseconds.' }),
    username: Type.Optional(Type.String({ description: 'Redis ACL username (Redis 6+).' })),
    password: Type.Optional(Type.String({ description: 'Redis password (AUTH).' })),
    database: Type.Integer({ default: 0, description: 'Redis database number.' }),
    ssl: Bool(false, 'Connect to Redis over TLS.'),
    ssl_verify: Bool(false, "Verify the Redis server's TLS certificate."),
    server_name: Type.Optional(Host({ description: 'SNI name sent in the TLS handshake with Redis.' })),
  },
  { default: {}, description: 'Redis connection used by the `redis` policy.' },
);

/** Kong's deprecated flat `redis_*` fields (removal planned for Kong 4.0), accepted because real files still carry them. */
const deprecated = (field: string) => ({ deprecated: true, description: `Deprecated: use \`redis.${field}\`.` });

export const rateLimitingSchema = definePluginSchema({
  name: 'rate-limiting',
  version: '1.0.0',
  priority: 910,
  protocols: HTTP_PROTOCOLS,
  config: record({
    second: limit('second'),
    minute: limit('minute'),
    hour: limit('hour'),
    day: limit('day'),
    month: limit('month'),
    year: limit('year'),
    limit_by: StringEnum(['consumer', 'credential', 'ip', 'service', 'header', 'path'], {
      default: 'consumer',
      description: 'What requests are counted by; falls back to the client IP when it cannot be determined.',
    }),
    header_name: Type.Optional(HeaderName({ description: 'Header counted by when `limit_by` is `header`.' })),
    path: Type.Optional(Path({ description: 'Path counted by when `limit_by` is `path`.' })),
    policy: StringEnum(['local', 'cluster', 'redis'], {
      default: 'local',
      description: 'Where counters live: node memory (`local`), the database (`cluster`) or Redis (`redis`).',
    }),
    fault_tolerant: Bool(true, 'Keep proxying when the counter store fails, instead of answering 500.'),
    redis,
    hide_client_headers: Bool(false, 'Do not send the `X-RateLimit-*` and `RateLimit-*` headers to the client.'),
    error_code: Type.Number({ exclusiveMinimum: 0, tgMessage: 'value must be greater than 0', default: 429, description: 'Status code returned over the limit.' }),
    error_message: Type.String({ default: 'API rate limit exceeded', description: 'Message returned over the limit.' }),
    sync_rate: Type.Number({
      default: SYNC_RATE_REALTIME,
      description: 'Seconds between counter syncs to Redis; -1 updates the store on every request.',
    }),
    redis_host: Type.Optional(Host(deprecated('host'))),
    redis_port: Type.Optional(Port(deprecated('port'))),
    redis_password: Type.Optional(Type.String(deprecated('password'))),
    redis_username: Type.Optional(Type.String(deprecated('username'))),
    redis_ssl: Type.Optional(Type.Boolean(deprecated('ssl'))),
    redis_ssl_verify: Type.Optional(Type.Boolean(deprecated('ssl_verify'))),
    redis_server_name: Type.Optional(Host(deprecated('server_name'))),
    redis_timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483646, ...deprecated('timeout') })),
    redis_database: Type.Optional(Type.Integer(deprecated('database'))),
  }),
  check(config) {
    const errors: FieldErrors = {};
    atLeastOneOf(errors, config, PERIODS);
    checkPeriodOrder(errors, config);
    const policy = config['policy'];
    const syncRate = config['sync_rate'];
    if (typeof syncRate === 'number' && syncRate !== SYNC_RATE_REALTIME) {
      if (policy !== 'redis') addFieldError(errors, ['sync_rate'], 'sync_rate can only be used with the redis policy');
      else if (syncRate < 0.02) addFieldError(errors, ['sync_rate'], 'sync_rate must be greater than 0.02, or -1 to disable');
    }
    if (policy === 'redis') {
      const nested = (config['redis'] ?? {}) as Record<string, unknown>;
      // The flat field is Kong's shorthand for the nested one, so either satisfies the requirement.
      if (nested['host'] === undefined && config['redis_host'] === undefined) addFieldError(errors, ['redis', 'host'], 'required field missing');
    }
    const limitBy = config['limit_by'];
    if (limitBy === 'header' && config['header_name'] === undefined) addFieldError(errors, ['header_name'], 'required field missing');
    if (limitBy === 'path' && config['path'] === undefined) addFieldError(errors, ['path'], 'required field missing');
    return result(errors);
  },
});

/** A longer window may not allow fewer requests than a shorter one (Kong's `validate_periods_order`). */
function checkPeriodOrder(errors: FieldErrors, config: Record<string, unknown>): void {
  for (const [i, lower] of PERIODS.entries()) {
    const low = config[lower];
    if (typeof low !== 'number') continue;
    for (const upper of PERIODS.slice(i + 1)) {
      const high = config[upper];
      if (typeof high === 'number' && high < low) {
        addFieldError(errors, ['@entity'], `The limit for ${upper}(${high.toFixed(1)}) cannot be lower than the limit for ${lower}(${low.toFixed(1)})`);
        return;
      }
    }
  }
}
