// proxy-cache (priority 100): caches upstream responses in memory, keyed by consumer, route, method,
// path, query and chosen headers (kong/plugins/proxy-cache). Only the `memory` strategy exists.
import { definePlugin, type PluginDefinition } from '@tollgate/plugin-sdk';
import { prepareProxyCache, proxyCacheHandlers, wantsBody, type ProxyCacheConfig } from './handler.ts';
import { proxyCacheSchema } from './schema.ts';
import { CacheMemory, DEFAULT_MAX_BYTES, MemoryStore } from './store.ts';

export interface ProxyCacheOptions {
  /** Bytes all `memory.dictionary_name`s together may hold in this process (default 128 MiB). */
  maxBytes?: number;
  /** Wall clock in ms (default Date.now); tests pass their own. */
  now?: () => number;
}

/**
 * A proxy-cache runtime with its own memory, one byte budget for every dictionary name its configs use
 * (each name keeps its own entries). The memory lives as long as the definition, not a config:
 * applying a new config keeps what is cached, as Kong's shared dict survives config changes.
 * @example const dp = new DataPlane({ plugins: pluginRegistry([createProxyCache({ maxBytes: 32 * 1024 * 1024 })]), ... });
 */
export function createProxyCache(options: ProxyCacheOptions = {}): PluginDefinition<ProxyCacheConfig> {
  const memory = new CacheMemory(options.maxBytes ?? DEFAULT_MAX_BYTES);
  const now = options.now ?? Date.now;
  // A store is a view on the shared memory: nothing to keep per name, so nothing to free.
  const storeFor = (dictionary: string): MemoryStore => new MemoryStore(memory, dictionary);
  return definePlugin<ProxyCacheConfig>({
    schema: proxyCacheSchema,
    bufferResponseBody: true,
    wantsResponseBody: wantsBody,
    prepare: (config) => prepareProxyCache(config, storeFor, now),
    handlers: proxyCacheHandlers,
    control: (command, args, instances) => proxyCacheControl(command, args, instances, memory, now()),
  });
}

/** What a proxy process answers to the Admin API's /proxy-cache commands (Kong's proxy-cache api.lua). */
export type ProxyCacheAnswer =
  | { plugin: 'not-found' }
  | { purged: number }
  | { entry: { status: number; headers: Readonly<Record<string, string | string[]>>; body_len: number; timestamp: number; ttl: number } | null };

/**
 * `purge` (all entries, or `args.key`) and `lookup` (`args.key`), over every proxy-cache instance or the
 * one `args.plugin` names.
 */
function proxyCacheControl(
  command: string,
  args: Readonly<Record<string, string>>,
  instances: ReadonlyArray<{ id: string; config: ProxyCacheConfig }>,
  memory: CacheMemory,
  now: number,
): ProxyCacheAnswer | undefined {
  const chosen = args['plugin'] === undefined ? instances : instances.filter((i) => i.id === args['plugin']);
  if (args['plugin'] !== undefined && chosen.length === 0) return { plugin: 'not-found' };
  // Instances sharing a dictionary share entries: each dictionary once.
  const stores = [...new Map(chosen.map((i) => [i.config.store.dictionary, i.config.store])).values()];
  const key = args['key'];
  if (command === 'purge') {
    // Everything: also what instances since disabled or removed stored (the memory outlives configs).
    if (key === undefined && args['plugin'] === undefined) return { purged: memory.deletePrefixed('') };
    let purged = 0;
    for (const store of stores) {
      if (key === undefined) purged += store.clear();
      // An expired entry the sweep has not dropped yet counts as gone, as GET says.
      else if (store.get(key, now) !== undefined) purged += Number(store.delete(key));
    }
    return { purged };
  }
  if (command === 'lookup' && key !== undefined) {
    for (const store of stores) {
      const e = store.get(key, now);
      if (e !== undefined) return { entry: { status: e.status, headers: e.headers, body_len: e.body.length, timestamp: Math.floor(e.storedAt / 1000), ttl: e.ttl } };
    }
    return { entry: null };
  }
  return undefined;
}

/** The bundled runtime: one memory for every data plane in this process that registers it. */
export default createProxyCache();
