// Collects every problem found in a declarative file, then throws them as one Kong-shaped error:
// code 14 with a field tree mirroring the file and Kong's `flattened_errors` list (kong/db/errors.lua).
import { flattenFieldErrors, KongError, type FieldErrors } from '../errors.ts';
import { isPlainObject } from '../prepare.ts';
import type { FlatItem } from './flatten.ts';

/** One entry of Kong's `flattened_errors`: an entity and everything wrong with it. */
export interface FlattenedEntityError {
  entity_type: string;
  entity_id?: string;
  entity_name?: string;
  entity_tags?: string[];
  errors: Array<{ type: 'field' | 'entity'; field?: string; message: string }>;
}

/** How an item is named in messages, e.g. `route 'users'` or `plugin 'jwt' (on route 'users')`. */
export type ItemLabeller = (item: FlatItem) => string;

interface Entry {
  readonly item: FlatItem;
  readonly fields: FieldErrors;
  /** Messages that already say which entity they are about (a missing plugin names its scope). */
  readonly selfDescribing: string[];
}

/** Message lines kept in the summary besides the self-describing ones; the full list is in the body. */
const SUMMARY_LIMIT = 20;

/** Kong's `entity_type` is the singular schema name: `basicauth_credential`, `plugin`, `target`. */
export function singular(entityName: string): string {
  return entityName.endsWith('s') ? entityName.slice(0, -1) : entityName;
}

function mergeInto(target: FieldErrors, source: FieldErrors): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const current = target[key];
    if (current === undefined) target[key] = structuredClone(value);
    else if (isPlainObject(current) && isPlainObject(value)) mergeInto(current as FieldErrors, value as FieldErrors);
    else {
      const list = [current, value].flatMap((v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : []));
      target[key] = [...new Set(list)];
    }
  }
}

function nodeAt(tree: FieldErrors, path: ReadonlyArray<string | number>): FieldErrors {
  let node = tree;
  for (const segment of path) {
    const key = String(segment);
    const next = node[key];
    if (isPlainObject(next)) node = next as FieldErrors;
    else {
      const created: FieldErrors = {};
      node[key] = created;
      node = created;
    }
  }
  return node;
}

/** The error sink shared by every loading step. */
export class DeclarativeErrors {
  readonly #top: FieldErrors = {};
  readonly #topLines: string[] = [];
  readonly #entries = new Map<FlatItem, Entry>();

  get empty(): boolean {
    return this.#topLines.length === 0 && this.#entries.size === 0;
  }

  /** A problem with a top-level key of the document, e.g. an unknown `metadata:`. */
  top(key: string, message: string): void {
    mergeInto(this.#top, { [key]: message });
    this.#topLines.push(`${key}: ${message}`);
  }

  /** Field errors of one entity; `selfDescribing` messages are shown as they are in the summary. */
  entity(item: FlatItem, fields: FieldErrors, selfDescribing: readonly string[] = []): void {
    let entry = this.#entries.get(item);
    if (entry === undefined) {
      entry = { item, fields: {}, selfDescribing: [] };
      this.#entries.set(item, entry);
    }
    mergeInto(entry.fields, fields);
    entry.selfDescribing.push(...selfDescribing);
  }

  /** Everything collected, as one `INVALID_DECLARATIVE_CONFIG` error. */
  toError(label: ItemLabeller): KongError {
    const fields: FieldErrors = structuredClone(this.#top);
    const flattened: FlattenedEntityError[] = [];
    const firstLines: string[] = [];
    const otherLines: string[] = [...this.#topLines];
    const entries = [...this.#entries.values()].sort((a, b) => a.item.order - b.item.order);
    for (const { item, fields: itemFields, selfDescribing } of entries) {
      mergeInto(nodeAt(fields, item.path), itemFields);
      flattened.push(flattenedEntry(item, itemFields));
      firstLines.push(...selfDescribing);
      for (const [path, message] of flattenFieldErrors(itemFields)) {
        if (selfDescribing.includes(message)) continue;
        otherLines.push(path === '@entity' ? `${label(item)}: ${message}` : `${label(item)}: ${path}: ${message}`);
      }
    }
    const lines = [...firstLines, ...otherLines.slice(0, SUMMARY_LIMIT)];
    const hidden = otherLines.length - Math.min(otherLines.length, SUMMARY_LIMIT);
    const total = firstLines.length + otherLines.length;
    const summary = total === 1 ? lines[0]! : `${total} errors: ${lines.join('; ')}${hidden > 0 ? `; and ${hidden} more` : ''}`;
    return new KongError('INVALID_DECLARATIVE_CONFIG', `declarative config is invalid: ${summary}`, fields, { flattened_errors: flattened });
  }
}

/** The entity's own name, if it has one that is not a secret (key-auth keys are endpoint keys too). */
export function displayName(item: FlatItem): string | undefined {
  for (const field of ['name', 'username', 'target']) {
    const value = item.input[field];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function flattenedEntry(item: FlatItem, fields: FieldErrors): FlattenedEntityError {
  const { input, def } = item;
  const entry: FlattenedEntityError = { entity_type: singular(def.name), errors: [] };
  if (item.id !== '' && item.wellFormed) entry.entity_id = item.id;
  const name = displayName(item);
  if (name !== undefined) entry.entity_name = name;
  const tags = input['tags'];
  if (Array.isArray(tags) && tags.every((t) => typeof t === 'string')) entry.entity_tags = [...tags];
  for (const [path, message] of flattenFieldErrors(fields)) {
    if (path === '@entity') entry.errors.push({ type: 'entity', message });
    else entry.errors.push({ type: 'field', field: path.replace(/\.@entity$/, ''), message });
  }
  return entry;
}
