// What every command needs: the store chosen by the options, the plugin catalog, the node's identity.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EntityPreparer, pluginCatalog, uuidV4, type PluginCatalog } from '@tollgate/schema';
import { bundledPluginSchemas } from '@tollgate/plugins/schemas';
import { openStore, type Database, type EntityStore } from '@tollgate/control-plane/store';
import { UsageError, type Options } from './options.ts';
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

/** The plugins this node knows: `bundled`, or a comma list of bundled names. */
export function loadPluginCatalog(spec: string | undefined): PluginCatalog {
  const names = (spec ?? 'bundled').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bundled = new Map(bundledPluginSchemas.map((p) => [p.name, p]));
  const chosen = new Map<string, (typeof bundledPluginSchemas)[number]>();
  for (const name of names) {
    if (name === 'bundled') for (const p of bundledPluginSchemas) chosen.set(p.name, p);
    else if (name === 'off') continue;
    else {
      const p = bundled.get(name);
      if (p === undefined) throw new UsageError(`unknown plugin '${name}' in --plugins; bundled plugins are: ${[...bundled.keys()].sort().join(', ')}`);
      chosen.set(name, p);
    }
  }
  return pluginCatalog([...chosen.values()]);
}

export function createPreparer(options: Options): EntityPreparer {
  return new EntityPreparer(loadPluginCatalog(options.plugins));
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
