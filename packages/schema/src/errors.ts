// Kong-shaped error values for schema and database problems. Codes and names are Kong's
// (kong/db/errors.lua), so clients written against Kong's Admin API read ours unchanged.

/** A field error tree mirroring the input: `{port: "...", config: {minute: "..."}}`; entity-level messages sit under "@entity". */
export interface FieldErrors {
  [field: string]: string | string[] | FieldErrors | undefined;
}

export const ErrorCodes = {
  INVALID_PRIMARY_KEY: { code: 1, name: 'invalid primary key', status: 400 },
  SCHEMA_VIOLATION: { code: 2, name: 'schema violation', status: 400 },
  PRIMARY_KEY_VIOLATION: { code: 3, name: 'primary key violation', status: 400 },
  FOREIGN_KEY_VIOLATION: { code: 4, name: 'foreign key violation', status: 400 },
  UNIQUE_VIOLATION: { code: 5, name: 'unique constraint violation', status: 409 },
  NOT_FOUND: { code: 6, name: 'not found', status: 404 },
  INVALID_OFFSET: { code: 7, name: 'invalid offset', status: 400 },
  INVALID_SIZE: { code: 9, name: 'invalid size', status: 400 },
  INVALID_OPTIONS: { code: 11, name: 'invalid options', status: 400 },
  OPERATION_UNSUPPORTED: { code: 12, name: 'operation unsupported', status: 405 },
  FOREIGN_KEYS_UNRESOLVED: { code: 13, name: 'foreign keys unresolved', status: 400 },
  INVALID_DECLARATIVE_CONFIG: { code: 14, name: 'invalid declarative configuration', status: 400 },
} as const;

export type ErrorKind = keyof typeof ErrorCodes;

/** The JSON body of an Admin API error, exactly as Kong shapes it. */
export interface KongErrorBody {
  code: number;
  name: string;
  message: string;
  fields?: FieldErrors;
  [extra: string]: unknown;
}

/** An error that knows its Kong code and HTTP status; the Admin API turns it into a response. */
export class KongError extends Error {
  readonly kind: ErrorKind;
  readonly fields: FieldErrors | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, fields?: FieldErrors, extra?: Record<string, unknown>) {
    super(message);
    this.name = 'KongError';
    this.kind = kind;
    this.fields = fields;
    this.extra = extra;
  }

  get status(): number {
    return ErrorCodes[this.kind].status;
  }

  toBody(): KongErrorBody {
    const { code, name } = ErrorCodes[this.kind];
    const body: KongErrorBody = { code, name, message: this.message };
    if (this.fields !== undefined) body.fields = this.fields;
    if (this.extra !== undefined) Object.assign(body, this.extra);
    return body;
  }
}

/** Flattens a field error tree into `a.b: message` pairs, in input order. */
export function flattenFieldErrors(fields: FieldErrors, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'string') out.push([path, value]);
    else if (Array.isArray(value)) for (const m of value) out.push([path, m]);
    else out.push(...flattenFieldErrors(value, path));
  }
  return out;
}

/** Kong's summary line: `schema violation (host: required field missing)` or `2 schema violations (a: x; b: y)`. */
export function schemaViolationMessage(fields: FieldErrors): string {
  const flat = flattenFieldErrors(fields);
  const parts = flat.map(([path, msg]) => (path === '@entity' ? msg : `${path}: ${msg}`)).join('; ');
  return flat.length === 1 ? `schema violation (${parts})` : `${flat.length} schema violations (${parts})`;
}

export function schemaViolation(fields: FieldErrors): KongError {
  return new KongError('SCHEMA_VIOLATION', schemaViolationMessage(fields), fields);
}

/** Sets a message at a dotted path in a field error tree, collecting several messages for one field. */
export function addFieldError(tree: FieldErrors, path: readonly string[], message: string): void {
  let node: FieldErrors = tree;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (next === undefined || typeof next === 'string' || Array.isArray(next)) {
      const created: FieldErrors = {};
      node[key] = created;
      node = created;
    } else node = next;
  }
  const leaf = path[path.length - 1] ?? '@entity';
  const existing = node[leaf];
  if (existing === undefined) node[leaf] = leaf === '@entity' ? [message] : message;
  else if (typeof existing === 'string') { if (existing !== message) node[leaf] = [existing, message]; }
  else if (Array.isArray(existing)) { if (!existing.includes(message)) existing.push(message); }
}
