// Loads a parsed declarative document into flat, fully prepared entity lists: top-level checks,
// flattening, 1.1/2.1 migration, deterministic ids, references, validation, duplicates; every error collected.
import { ENTITY_NAMES, type EntityName, type EntityRecord } from '../entity.ts';
import { KongError } from '../errors.ts';
import { isPlainObject, type EntityPreparer } from '../prepare.ts';
import { labelOf, pluginScope } from './describe.ts';
import { DeclarativeErrors } from './errors.ts';
import { flattenDocument, type FlatItem } from './flatten.ts';
import { assignIds } from './ids.ts';
import { FORMAT_VERSIONS, migrateRoutes, type FormatVersion } from './migrate.ts';
import { ReferenceIndex, resolveReferences } from './references.ts';
import { checkUniques } from './uniques.ts';

/**
 * A loaded declarative file: every entity flat, prepared, with foreign keys as `{id}`.
 * `created_at`/`updated_at` are present only when the file gives them; the importer sets the others.
 */
export interface DeclarativeConfig {
  formatVersion: '3.0';
  entities: Record<EntityName, EntityRecord[]>;
}

export interface LoadOptions {
  /** Overrides the file's `_transform` (false: values such as basic-auth passwords are already hashed). */
  readonly transform?: boolean;
}

/** Top-level keys that are not entity lists (kong/db/schema/others/declarative_config.lua, plus decK's `_workspace`). */
const META_KEYS: ReadonlySet<string> = new Set(['_format_version', '_transform', '_comment', '_ignore', '_workspace']);
const ENTITY_KEYS: ReadonlySet<string> = new Set(ENTITY_NAMES);

interface Meta {
  readonly version: FormatVersion | undefined;
  readonly transform: boolean;
}

function readMeta(doc: Readonly<Record<string, unknown>>, errors: DeclarativeErrors): Meta {
  for (const key of Object.keys(doc)) if (!META_KEYS.has(key) && !ENTITY_KEYS.has(key)) errors.top(key, 'unknown field');
  const raw = doc['_format_version'];
  // An unquoted `_format_version: 3.0` reads as a number; accept it rather than fail on YAML typing.
  const text = typeof raw === 'number' ? raw.toFixed(1) : raw;
  let version: FormatVersion | undefined;
  if (raw === undefined || raw === null) errors.top('_format_version', 'required field missing');
  else if (typeof text === 'string' && (FORMAT_VERSIONS as readonly string[]).includes(text)) version = text as FormatVersion;
  else errors.top('_format_version', `expected one of: ${FORMAT_VERSIONS.join(', ')}`);
  const transform = doc['_transform'];
  if (transform !== undefined && transform !== null && typeof transform !== 'boolean') errors.top('_transform', 'expected a boolean');
  const types: Array<[string, string, (v: unknown) => boolean]> = [
    ['_comment', 'expected a string', (v) => typeof v === 'string'],
    ['_workspace', 'expected a string', (v) => typeof v === 'string'],
    ['_ignore', 'expected an array', Array.isArray],
  ];
  for (const [key, message, ok] of types) if (doc[key] !== undefined && doc[key] !== null && !ok(doc[key])) errors.top(key, message);
  return { version, transform: transform !== false };
}

/** Validates one item through the preparer; unknown plugins are reported with where they are used. */
function prepareItem(item: FlatItem, preparer: EntityPreparer, transform: boolean, errors: DeclarativeErrors): EntityRecord | undefined {
  const name = item.input['name'];
  if (item.def.name === 'plugins' && typeof name === 'string' && !preparer.plugins.has(name)) {
    const message = `plugin '${name}' (${pluginScope(item)}) is not available in this Tollgate node`;
    errors.entity(item, { name: message }, [message]);
    return undefined;
  }
  try {
    const record = preparer.prepare(item.def, item.input, { transform });
    // Timestamps the file does not give are left for the importer to set.
    const fields: Record<string, unknown> = record;
    if (fields['created_at'] === null) delete fields['created_at'];
    if (fields['updated_at'] === null) delete fields['updated_at'];
    // A certificate's `snis` field is transient: its SNIs are entities of their own.
    if (item.def.name === 'certificates') delete fields['snis'];
    return record;
  } catch (e) {
    if (!(e instanceof KongError) || e.fields === undefined) throw e;
    errors.entity(item, e.fields);
    return undefined;
  }
}

/**
 * Loads a parsed declarative document (format 3.0, or 1.1/2.1 migrated on load) into flat entity lists,
 * each record prepared by `preparer` (defaults filled, validated, transformed unless `_transform: false`).
 * Entities without an `id` get Kong's deterministic UUIDv5, so loading the same file twice gives the same ids.
 * Throws one KongError INVALID_DECLARATIVE_CONFIG listing every problem (`fields` mirrors the file;
 * `extra.flattened_errors` is Kong's per-entity list).
 * @example
 * const config = loadDeclarative(parseDeclarativeText(text), new EntityPreparer(bundledPluginCatalog));
 * config.entities.routes[0].service // { id: '...' }
 */
export function loadDeclarative(doc: unknown, preparer: EntityPreparer, options: LoadOptions = {}): DeclarativeConfig {
  const errors = new DeclarativeErrors();
  if (!isPlainObject(doc)) {
    throw new KongError('INVALID_DECLARATIVE_CONFIG', 'declarative config is invalid: expected a record at the top level', { '@entity': ['expected a record'] }, { flattened_errors: [] });
  }
  const meta = readMeta(doc, errors);
  const items = flattenDocument(doc, errors);
  if (meta.version !== undefined) migrateRoutes(items, meta.version);
  assignIds(items);
  resolveReferences(items, new ReferenceIndex(items), errors);
  const transform = options.transform ?? meta.transform;
  const prepared: Array<readonly [FlatItem, EntityRecord]> = [];
  for (const item of items) {
    if (!item.wellFormed) continue;
    const record = prepareItem(item, preparer, transform, errors);
    if (record !== undefined) prepared.push([item, record]);
  }
  checkUniques(prepared, errors);
  if (!errors.empty) throw errors.toError(labelOf);
  const entities = Object.fromEntries(ENTITY_NAMES.map((name) => [name, [] as EntityRecord[]])) as Record<EntityName, EntityRecord[]>;
  for (const [item, record] of prepared) entities[item.def.name].push(record);
  return { formatVersion: '3.0', entities };
}
