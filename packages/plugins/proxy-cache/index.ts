// proxy-cache (priority 100): caches upstream responses in memory, keyed by consumer, route, method,
// path, query and chosen headers (kong/plugins/proxy-cache). Only the `memory` strategy exists.
import { definePlugin, type PluginDefinition } from '@tollgate/plugin-sdk';
import { prepareProxyCache, proxyCacheHandlers, type ProxyCacheConfig } from './handler.ts';
import { proxyCacheSchema } from './schema.ts';
import { DEFAULT_MAX_BYTES, MemoryStore } from './store.ts';

export interface ProxyCacheOptions {
  /** Bytes each `memory.dictionary_name` may hold in this process (default 128 MiB). */
  maxBytes?: number;
  /** Wall clock in ms (default Date.now); tests pass their own. */
  now?: () => number;
}

/**
 * A proxy-cache runtime with its own stores. The stores live as long as the definition, not a config:
 * applying a new config keeps what is cached, as Kong's shared dict survives config changes.
 * @example const dp = new DataPlane({ plugins: pluginRegistry([createProxyCache({ maxBytes: 32 * 1024 * 1024 })]), ... });
 */
export function createProxyCache(options: ProxyCacheOptions = {}): PluginDefinition<ProxyCacheConfig> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const now = options.now ?? Date.now;
  const stores = new Map<string, MemoryStore>();
  const storeFor = (dictionary: string): MemoryStore => {
    let store = stores.get(dictionary);
    if (store === undefined) stores.set(dictionary, (store = new MemoryStore(maxBytes)));
    return store;
  };
  return definePlugin<ProxyCacheConfig>({
    schema: proxyCacheSchema,
    bufferResponseBody: true,
    prepare: (config) => prepareProxyCache(config, storeFor, now),
    handlers: proxyCacheHandlers,
  });
}

/** The bundled runtime: one set of stores for every data plane in this process that registers it. */
export default createProxyCache();
