// Declarative config in and out of the store: a whole Kong file replaces the store's contents in one
// transaction (all or nothing), and the store exports back to the same format.
import { ENTITIES, type EntityPreparer, type EntityRecord, type EntityName } from '@tollgate/schema';
import { exportDeclarative, loadDeclarative, parseDeclarativeText, type DeclarativeConfig } from '@tollgate/schema/declarative';
import { CONSISTENT_READ, type EntityStore } from '../store/index.ts';

export interface ImportResult {
  version: number;
  counts: Partial<Record<EntityName, number>>;
}

/** Parses and validates a declarative file (YAML or JSON text, or an already parsed object). Throws code 14 on any error. */
export function validateConfig(input: string | Record<string, unknown>, preparer: EntityPreparer, now = Date.now()): DeclarativeConfig {
  const doc = typeof input === 'string' ? parseDeclarativeText(input) : input;
  const config = loadDeclarative(doc, preparer);
  stampTimestamps(config, now);
  return config;
}

/** Fills created_at/updated_at the file left out: seconds, or milliseconds where the entity uses them. */
function stampTimestamps(config: DeclarativeConfig, now: number): void {
  for (const def of ENTITIES) {
    const ts = def.millisecondTimestamps === true ? now / 1000 : Math.floor(now / 1000);
    for (const record of config.entities[def.name] ?? []) {
      record.created_at ??= ts;
      record['updated_at'] ??= record.created_at;
    }
  }
}

/** Replaces everything in the store with `config`, atomically. */
export async function importConfig(store: EntityStore, config: DeclarativeConfig): Promise<ImportResult> {
  const counts: Partial<Record<EntityName, number>> = {};
  await store.transaction(async (tx) => {
    // Children first, so restrict-on-delete references never block; then parents first on the way in.
    for (const def of [...ENTITIES].reverse()) await tx.deleteAll(def);
    for (const def of ENTITIES) {
      const records = config.entities[def.name] ?? [];
      if (records.length > 0) await tx.insertMany(def, records);
      counts[def.name] = records.length;
    }
  });
  return { version: await store.configVersion(), counts };
}

/** Reads every entity, in dependency order. */
export async function readConfig(store: EntityStore): Promise<DeclarativeConfig> {
  const entities = {} as Record<EntityName, EntityRecord[]>;
  await store.transaction(async (tx) => {
    for (const def of ENTITIES) entities[def.name] = await tx.all(def);
  }, CONSISTENT_READ);
  return { formatVersion: '3.0', entities };
}

export async function exportConfig(store: EntityStore, options: { nest?: boolean } = {}): Promise<Record<string, unknown>> {
  return exportDeclarative(await readConfig(store), options);
}
