// Writes loaded entities back out as a `_format_version: "3.0"` declarative document, flat or nested,
// such that loading the export and exporting again gives the same bytes.
import { stringify } from 'yaml';
import type { EntityDefinition, EntityRecord } from '../entity.ts';
import { isPlainObject } from '../prepare.ts';
import { ENTITIES } from '../registry.ts';
import type { DeclarativeConfig } from './load.ts';

export interface ExportOptions {
  /** Nest children under their parents (routes under services, credentials under consumers...). */
  readonly nest?: boolean;
}

/** Drops nulls from records (null means unset) and orders keys, so equal data gives equal text. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== null && value[key] !== undefined) out[key] = clean(value[key]);
  return out;
}

/** One record as written in the file: `id` first, then fields in name order, references as the parent's id. */
function exportRecord(def: EntityDefinition, record: EntityRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { id: record.id };
  for (const key of Object.keys(record).sort()) {
    const value = record[key];
    if (key === 'id' || value === null || value === undefined) continue;
    if (def.name === 'certificates' && key === 'snis') continue;
    const reference = def.foreignKeys[key] !== undefined && isPlainObject(value) ? value['id'] : undefined;
    out[key] = typeof reference === 'string' ? reference : clean(value);
  }
  return out;
}

/** The parents an entity can be nested under in a file: parent definition, list key, and our field pointing at it. */
function nestingParents(def: EntityDefinition): Array<{ parent: EntityDefinition; listKey: string; field: string }> {
  const out: Array<{ parent: EntityDefinition; listKey: string; field: string }> = [];
  // Foreign key order decides precedence: a plugin on a route and a service nests under the route.
  for (const [field, fk] of Object.entries(def.foreignKeys)) {
    const parent = ENTITIES.find((p) => p.name === fk.entity);
    const listKey = Object.entries(parent?.nested ?? {}).find(([, child]) => child === def.name)?.[0];
    if (parent !== undefined && listKey !== undefined) out.push({ parent, listKey, field });
  }
  return out;
}

/**
 * Exports a loaded config as a declarative document: `_format_version: "3.0"`, `_transform: false` (values are
 * already transformed, e.g. hashed passwords), entity lists in ENTITIES order, null fields left out.
 * Foreign keys are the parent's id at the top level; with `nest` children sit inside their parents.
 * @example toYaml(exportDeclarative(loadDeclarative(doc, preparer), { nest: true }))
 */
export function exportDeclarative(config: DeclarativeConfig, options: ExportOptions = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = { _format_version: '3.0', _transform: false };
  const written = new Map<string, Record<string, unknown>>();
  const topLevel = new Map<string, Array<Record<string, unknown>>>();
  // ENTITIES lists parents before children, so a parent is always written before anything nested in it.
  for (const def of ENTITIES) {
    const parents = options.nest === true ? nestingParents(def) : [];
    for (const record of config.entities[def.name] ?? []) {
      const out = exportRecord(def, record);
      written.set(`${def.name}\u0000${record.id}`, out);
      const home = parents
        .map((p) => ({ ...p, object: written.get(`${p.parent.name}\u0000${String(out[p.field])}`) }))
        .find((p) => p.object !== undefined);
      if (home === undefined) {
        const list = topLevel.get(def.name) ?? [];
        list.push(out);
        topLevel.set(def.name, list);
        continue;
      }
      delete out[home.field];
      const siblings = (home.object![home.listKey] ??= []) as Array<Record<string, unknown>>;
      siblings.push(out);
    }
  }
  for (const def of ENTITIES) {
    const list = topLevel.get(def.name);
    if (list !== undefined) doc[def.name] = list;
  }
  return doc;
}

/**
 * A declarative document as YAML: no anchors, no line folding (PEM blocks stay intact).
 * @example toYaml({ _format_version: '3.0' }) // '_format_version: "3.0"\n'
 */
export function toYaml(doc: Readonly<Record<string, unknown>>): string {
  return stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/**
 * A declarative document as indented JSON with a final newline.
 * @example toJson({ _format_version: '3.0' }) // '{\n  "_format_version": "3.0"\n}\n'
 */
export function toJson(doc: Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
