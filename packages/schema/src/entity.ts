// What every entity declares: its JSON schema, its keys, its references, and its hooks.
// The Admin API, the store and the declarative loader are generic over these definitions.
import type { TObject } from '@sinclair/typebox';
import type { FieldErrors } from './errors.ts';

export const ENTITY_NAMES = [
  'services',
  'routes',
  'consumers',
  'plugins',
  'upstreams',
  'targets',
  'certificates',
  'snis',
  'ca_certificates',
  'keyauth_credentials',
  'basicauth_credentials',
  'jwt_secrets',
  'acls',
] as const;

export type EntityName = (typeof ENTITY_NAMES)[number];

/** A stored entity: schema fields plus the bookkeeping every entity has. */
export interface EntityRecord {
  id: string;
  created_at: number;
  updated_at?: number;
  tags?: string[] | null;
  [field: string]: unknown;
}

export interface ForeignKey {
  /** The referenced entity. */
  readonly entity: EntityName;
  readonly required: boolean;
  /** What deleting the referenced entity does to this one. */
  readonly onDelete: 'restrict' | 'cascade';
}

/** Context for hooks that need to know where a write comes from. */
export interface WriteContext {
  /** False for declarative files written with `_transform: false` (values already transformed, e.g. hashed passwords). */
  readonly transform: boolean;
  /** The entity as stored before this write, when updating. */
  readonly previous?: EntityRecord | undefined;
}

export interface EntityDefinition {
  readonly name: EntityName;
  /** Top-level collection path in the Admin API, e.g. `services`, `key-auths`. */
  readonly adminPath: string;
  /** Path segment when nested under its parent, e.g. `key-auth` in `/consumers/{c}/key-auth`. */
  readonly nestedPath?: string;
  /** Nested-only entities (targets) have no top-level collection. */
  readonly topLevel: boolean;
  /** The full JSON schema, bookkeeping fields included; closed (unknown fields are errors). */
  readonly schema: TObject;
  /** The field a path segment that is not a UUID is looked up by (`name`, `username`, ...). */
  readonly endpointKey?: string;
  /** Unique constraints: a field name, or several fields unique together. */
  readonly uniques: ReadonlyArray<string | readonly string[]>;
  readonly foreignKeys: Readonly<Record<string, ForeignKey>>;
  /** Kong's cache key: the fields that identify the entity for deterministic declarative ids. */
  readonly cacheKey?: readonly string[];
  /** Timestamps in milliseconds (targets) rather than seconds. */
  readonly millisecondTimestamps?: boolean;
  /** Expands shorthand fields (a service `url`) into real ones, in place; returns errors for bad shorthands. */
  readonly expandShorthands?: (input: Record<string, unknown>) => FieldErrors | undefined;
  /** Fills fields Kong generates when absent (a key-auth `key`), before validation. */
  readonly autoFill?: (input: Record<string, unknown>) => void;
  /** Entity-level checks the JSON schema cannot express. */
  readonly check?: (value: EntityRecord) => FieldErrors | undefined;
  /** Turns a validated value into its stored form (hashing a password). */
  readonly transform?: (value: EntityRecord, ctx: WriteContext) => void;
  /** Declarative files may nest these children inside this entity: key in the file → child entity. */
  readonly nested?: Readonly<Record<string, EntityName>>;
}

/** Identity helper that keeps literal types of a definition. */
export function defineEntity<const D extends EntityDefinition>(definition: D): D {
  return definition;
}

/** The flattened list of fields that need their own column: every unique field and every foreign key. */
export function uniqueFieldSets(def: EntityDefinition): string[][] {
  return def.uniques.map((u) => (typeof u === 'string' ? [u] : [...u]));
}
