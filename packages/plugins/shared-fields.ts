// Field types and checks that several bundled plugin schemas share (Kong's `typedefs` for plugins):
// header names, IPs and CIDRs, URLs, the log queue, and the entity checks Kong writes declaratively.
import { Type, type SchemaOptions, type TProperties, type TObject, type TSchema, type TString, type TBoolean, type TArray } from '@sinclair/typebox';
import { addFieldError, type FieldErrors, type PluginProtocol } from '@tollgate/schema';

/** Kong's default `protocols` for HTTP plugins (`typedefs.protocols_http`), sorted as Kong shows them. */
export const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'] as const satisfies readonly PluginProtocol[];

/**
 * A closed record: unknown keys are errors, as in Kong. Pass `default: {}` when it has defaults inside,
 * so ajv creates it and fills them.
 * @example record({ dictionary_name: Type.String({ default: 'kong_db_cache' }) }, { default: {}, description: '...' })
 */
export function record<P extends TProperties>(properties: P, options: SchemaOptions = {}): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** A boolean with Kong's default. */
export const Bool = (defaultValue: boolean, description: string): TBoolean => Type.Boolean({ default: defaultValue, description });

/** An array of free-form strings. */
export const StringList = (description: string, options: SchemaOptions = {}): TArray<TString> =>
  Type.Array(Type.String(), { description, ...options });

/** What node's `validateHeaderValue` accepts, so what a plugin can send: no control characters but tab, nothing above U+00FF. */
export const SENDABLE_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Kong's `typedefs.header_name`: letters, digits, `_` and `-`. */
export const HeaderName = (options: SchemaOptions = {}): TString =>
  Type.String({
    minLength: 1,
    pattern: '^[A-Za-z0-9_-]+$',
    tgMessage: "bad header name, allowed characters are A-Z, a-z, 0-9, '_', and '-'",
    ...options,
  });

/** A consumer id or username used when authentication fails (auth plugins' `anonymous`). */
export const Anonymous = (): TString =>
  Type.String({
    minLength: 1,
    description: 'Consumer id or username to use when authentication fails; unset means the request is rejected with 401.',
  });

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H = '[0-9A-Fa-f]{1,4}';
const IPV6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
  `(?:${H}:){1,4}:${IPV4}`,
  `::(?:[Ff]{4}(?::0{1,4})?:)?${IPV4}`,
].join('|');

/** Kong's `typedefs.ip_or_cidr`: an IPv4 or IPv6 address, optionally with a prefix length. */
export const IpOrCidr = (options: SchemaOptions = {}): TString =>
  Type.String({
    pattern: `^(?:${IPV4}(?:/(?:3[0-2]|[12]?[0-9]))?|(?:${IPV6})(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)$`,
    tgMessage: 'invalid ip or cidr range',
    ...options,
  });

/** Kong's `typedefs.url` (scheme and host required); a `{vault://...}` reference is also accepted. */
export const Url = (options: SchemaOptions = {}): TString =>
  Type.String({
    pattern: '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#\\s]+\\S*|\\{vault://\\S+\\})$',
    tgMessage: 'invalid url: expected scheme://host[:port][/path]',
    ...options,
  });

/** Kong's `typedefs.lua_code`: field name to Lua expression, e.g. `custom_fields_by_lua` of the loggers. */
export const LuaCode = (description: string): TSchema =>
  Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), { description });

/** Kong's `typedefs.queue` (kong/tools/queue_schema.lua): batching and retries of the log plugins. */
export const Queue = (): TObject =>
  record(
    {
      max_batch_size: Type.Integer({ minimum: 1, maximum: 1000000, default: 1, description: 'Maximum number of entries processed together as a batch.' }),
      max_coalescing_delay: Type.Number({ minimum: 0, maximum: 3600, default: 1, description: 'Seconds to wait for more entries before sending a partial batch.' }),
      max_entries: Type.Integer({ minimum: 1, maximum: 1000000, default: 10000, description: 'Maximum number of entries waiting in the queue.' }),
      max_bytes: Type.Optional(Type.Integer({ description: 'Maximum number of bytes waiting in the queue (string entries only).' })),
      max_retry_time: Type.Number({ default: 60, description: 'Seconds to keep retrying a failed batch before dropping it; -1 means no retries.' }),
      initial_retry_delay: Type.Number({ minimum: 0.001, maximum: 1000000, default: 0.01, description: 'Seconds before the first retry; doubles on each retry.' }),
      max_retry_delay: Type.Number({ minimum: 0.001, maximum: 1000000, default: 60, description: 'Upper bound, in seconds, of the delay between retries.' }),
      concurrency_limit: Type.Integer({ enum: [-1, 1], default: 1, description: 'Number of delivery timers: 1, or -1 for unlimited.' }),
    },
    { default: {}, description: 'How log entries are queued, batched and retried.' },
  );

/** True when Kong's `is_nonempty` holds: set, and not an empty string or array. */
function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  return true;
}

/** Kong's `at_least_one_of` entity check over config fields; the message names them like Kong does. */
export function atLeastOneOf(errors: FieldErrors, config: Record<string, unknown>, fields: readonly string[]): void {
  if (fields.some((f) => isSet(config[f]))) return;
  addFieldError(errors, ['@entity'], `at least one of these fields must be non-empty: ${fields.map((f) => `'config.${f}'`).join(', ')}`);
}

/** Kong's `only_one_of` entity check over config fields. */
export function onlyOneOf(errors: FieldErrors, config: Record<string, unknown>, fields: readonly string[]): void {
  if (fields.filter((f) => isSet(config[f])).length <= 1) return;
  addFieldError(errors, ['@entity'], `only one of these fields must be non-empty: ${fields.map((f) => `'config.${f}'`).join(', ')}`);
}

/** Returns the collected errors, or undefined when there are none (what `PluginSchema.check` expects). */
export function result(errors: FieldErrors): FieldErrors | undefined {
  return Object.keys(errors).length > 0 ? errors : undefined;
}
