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
  });
}

/** The bundled runtime: one memory for every data plane in this process that registers it. */
export default createProxyCache();
