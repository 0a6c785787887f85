// Compiles JSON schemas once with ajv and turns ajv's errors into Kong's field messages.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { addFieldError, type FieldErrors } from './errors.ts';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; fields: FieldErrors };

/** A compiled validator: fills defaults in place and reports Kong-style field errors. */
export interface Validator<T = Record<string, unknown>> {
  (value: unknown): ValidationResult<T>;
  readonly schema: TSchema;
}

function newAjv(coerce: boolean) {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    verbose: true,
    strict: false,
    coerceTypes: coerce ? 'array' : false,
  });
  ajv.addKeyword({ keyword: 'tgMessage', schemaType: 'string' });
  return ajv;
}

/** Creates a compiler with its own cache; `coerce` turns "80" into 80 for form-encoded input. */
export function createCompiler(options: { coerce?: boolean } = {}) {
  const ajv = newAjv(options.coerce ?? false);
  const cache = new WeakMap<TSchema, Validator>();
  return function compile<T = Record<string, unknown>>(schema: TSchema): Validator<T> {
    const hit = cache.get(schema);
    if (hit !== undefined) return hit as unknown as Validator<T>;
    const fn: ValidateFunction = ajv.compile(schema);
    const validator = ((value: unknown): ValidationResult<T> => {
      if (fn(value)) return { ok: true, value: value as T };
      return { ok: false, fields: toFieldErrors(fn.errors ?? []) };
    }) as Validator<T>;
    Object.defineProperty(validator, 'schema', { value: schema });
    cache.set(schema, validator as unknown as Validator);
    return validator;
  };
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'an array',
  object: 'a record',
  null: 'null',
};

function pathOf(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function messageFor(err: ErrorObject): string {
  const parent = err.parentSchema as Record<string, unknown> | undefined;
  const custom = parent?.['tgMessage'];
  switch (err.keyword) {
    case 'required':
      return 'required field missing';
    case 'additionalProperties':
      return 'unknown field';
    case 'type': {
      const t = (err.params as { type: string | string[] }).type;
      const types = Array.isArray(t) ? t : [t];
      return `expected ${types.map((x) => TYPE_NAMES[x] ?? x).join(' or ')}`;
    }
    case 'enum': {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues;
      return `expected one of: ${allowed.map(String).join(', ')}`;
    }
    case 'const':
      return `value must be ${JSON.stringify((err.params as { allowedValue: unknown }).allowedValue)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      if (typeof custom === 'string') return custom;
      const min = parent?.['minimum'];
      const max = parent?.['maximum'];
      if (min !== undefined && max !== undefined) return `value should be between ${String(min)} and ${String(max)}`;
      if (min !== undefined) return `value must be at least ${String(min)}`;
      if (max !== undefined) return `value must be at most ${String(max)}`;
      return err.message ?? 'invalid value';
    }
    case 'minLength':
      return (err.params as { limit: number }).limit === 1 ? 'length must be at least 1' : `length must be at least ${(err.params as { limit: number }).limit}`;
    case 'maxLength':
      return `length must be at most ${(err.params as { limit: number }).limit}`;
    case 'minItems':
      return `length must be at least ${(err.params as { limit: number }).limit}`;
    case 'maxItems':
      return `length must be at most ${(err.params as { limit: number }).limit}`;
    case 'uniqueItems':
      return 'duplicate values are not allowed';
    case 'minProperties':
      return 'at least one entry is required';
    default:
      if (typeof custom === 'string') return custom;
      return err.message ?? 'invalid value';
  }
}

/**
 * Maps ajv errors to a field tree. Errors inside an anyOf/oneOf branch are folded into one message
 * for the union, so a user sees "expected a string or an integer" rather than every branch's failure.
 */
export function toFieldErrors(errors: readonly ErrorObject[]): FieldErrors {
  const tree: FieldErrors = {};
  const unionPaths = new Set<string>();
  for (const err of errors) if (err.keyword === 'anyOf' || err.keyword === 'oneOf') unionPaths.add(err.schemaPath);
  for (const err of errors) {
    if (err.keyword === 'if') continue;
    const insideUnion = [...unionPaths].some((p) => err.schemaPath !== p && err.schemaPath.startsWith(p + '/'));
    if (insideUnion) continue;
    const path = pathOf(err.instancePath);
    if (err.keyword === 'required') path.push((err.params as { missingProperty: string }).missingProperty);
    else if (err.keyword === 'additionalProperties') path.push((err.params as { additionalProperty: string }).additionalProperty);
    let message: string;
    if (err.keyword === 'anyOf' || err.keyword === 'oneOf') {
      const custom = (err.parentSchema as Record<string, unknown> | undefined)?.['tgMessage'];
      message = typeof custom === 'string' ? custom : 'value does not match any of the allowed forms';
    } else message = messageFor(err);
    addFieldError(tree, path.length === 0 ? ['@entity'] : path, message);
  }
  return tree;
}
