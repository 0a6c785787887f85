// Reusable field types shared by entity and plugin schemas. Each is plain JSON Schema (TypeBox),
// so the same definitions can be served to an admin console; `tgMessage` carries the Kong-style
// message shown when a pattern or format check fails.
import { Type, type TSchema, type TUnsafe, type SchemaOptions, type TString, type TInteger, type TArray } from '@sinclair/typebox';

/** A closed set of strings, compiled as `enum` (not anyOf) so errors read "expected one of: a, b". */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A closed set of integers, e.g. redirect status codes. */
export function IntegerEnum<const T extends readonly number[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'integer', enum: [...values], ...options });
}

export const Uuid = (options: SchemaOptions = {}): TString =>
  Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', tgMessage: 'expected a valid UUID', ...options });

/** Kong's tag rule: printable ASCII except `,` and `/`, or any non-ASCII UTF-8. */
export const Tags = (): TArray<TString> =>
  Type.Array(Type.String({ minLength: 1, pattern: '^[^,/\\u0000-\\u001f\\u007f]+$', tgMessage: 'invalid tag: must not contain "," or "/" or control characters' }), {
    description: 'Free-form labels for grouping and filtering (`?tags=a,b`).',
  });

export const Port = (options: SchemaOptions = {}): TInteger => Type.Integer({ minimum: 0, maximum: 65535, ...options });

/** Milliseconds, 1 .. 2^31-2, Kong's `timeout` type. */
export const Timeout = (options: SchemaOptions = {}): TInteger => Type.Integer({ minimum: 1, maximum: 2147483646, default: 60000, ...options });

export const PositiveInteger = (options: SchemaOptions = {}): TInteger => Type.Integer({ minimum: 1, maximum: 2147483646, ...options });

/** A hostname (no port): letters, digits, dots, hyphens, underscores; or an IPv4/IPv6 literal. */
export const Host = (options: SchemaOptions = {}): TString =>
  Type.String({ minLength: 1, maxLength: 253, pattern: '^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\\.?|\\[?[0-9A-Fa-f:.]+\\]?)$', tgMessage: 'invalid value: must be a hostname or an IP address', ...options });

/** Entity names (services, routes, upstreams): Kong allows alphanumerics and `.-_~`, plus any non-ASCII. */
export const NameField = (options: SchemaOptions = {}): TString =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^(?:[A-Za-z0-9._~-]|[^\\u0000-\\u007f])+$', tgMessage: "invalid value: the only accepted ascii characters are alphanumerics or ., -, _, and ~", ...options });

/** A request path as used by services and routes: starts with `/`, RFC 3986 characters only. */
export const Path = (options: SchemaOptions = {}): TString =>
  Type.String({ minLength: 1, maxLength: 1024, pattern: "^/[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=%]*$", tgMessage: 'should start with: / (fixed path) and contain only URL characters', ...options });

/** A PEM-encoded block of the given type (CERTIFICATE, PRIVATE KEY...). Content is checked by the entity. */
export const Pem = (options: SchemaOptions = {}): TString =>
  Type.String({ minLength: 1, pattern: '-----BEGIN [A-Z0-9 ]+-----', tgMessage: 'invalid value: expected a PEM-encoded block', ...options });

/** A reference to another entity, stored as `{id}` exactly like Kong's API shows it. */
export const ForeignRef = (options: SchemaOptions = {}) => Type.Object({ id: Uuid() }, { additionalProperties: false, ...options });

export const Timestamp = (): TInteger => Type.Integer({ minimum: 0, description: 'Unix epoch seconds.' });

/** Seconds or any other free-form JSON value in a plugin config, kept for Kong compatibility. */
export const AnyValue = (): TSchema => Type.Unknown();
