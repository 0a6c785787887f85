// What every command needs: the store chosen by the options, the plugin catalog, the node's identity.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EntityPreparer, pluginCatalog, uuidV4, type PluginCatalog } from '@tollgate/schema';
import { bundledPluginSchemas } from '@tollgate/plugins/schemas';
import { openStore, type Database, type EntityStore } from '@tollgate/control-plane/store';
import { type Options } from './options.ts';
import { selectPlugins } from './plugins/load.ts';
import { acquireLock } from './lock.ts';

export interface OpenedStore {
  db: Database;
  store: EntityStore;
  /** Where the data lives, for messages: a Postgres URL without password, or the PGlite folder. */
  location: string;
  close(): Promise<void>;
}

export function prefixDir(options: Options): string {
  const dir = resolve(options.prefix ?? '.tollgate');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Opens Postgres when --pg-url is set, else the embedded PGlite store under PREFIX/data (one process at a time). */
export async function openNodeStore(options: Options): Promise<OpenedStore> {
  if (options.pg_url !== undefined) {
    const opened = await openStore({ pgUrl: options.pg_url });
    return { ...opened, location: redact(options.pg_url), close: () => opened.db.close() };
  }
  const dataDir = join(prefixDir(options), 'data');
  mkdirSync(dataDir, { recursive: true });
  const release = acquireLock(join(prefixDir(options), 'store.lock'));
  try {
    const opened = await openStore({ dataDir });
    return {
      ...opened,
      location: dataDir,
      close: async () => {
        await opened.db.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (unparsable URL)';
  }
}

/** The plugin schemas this node validates configs against: `bundled`, bundled names, custom plugin paths. */
export async function loadPluginCatalog(spec: string | undefined): Promise<PluginCatalog> {
  const selection = await selectPlugins(spec, new Set(bundledPluginSchemas.map((p) => p.name)));
  return pluginCatalog([...bundledPluginSchemas.filter((p) => selection.bundled(p.name)), ...selection.custom.map((p) => p.schema)]);
}

export async function createPreparer(options: Options): Promise<EntityPreparer> {
  return new EntityPreparer(await loadPluginCatalog(options.plugins));
}

/** A node id that survives restarts, kept in PREFIX/node_id (Kong picks a new random one each start). */
export function nodeId(options: Options): string {
  const file = join(prefixDir(options), 'node_id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (id !== '') return id;
  }
  const id = uuidV4();
  writeFileSync(file, id + '\n', { mode: 0o600 });
  return id;
}
