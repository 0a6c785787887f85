// Runs one phase of a plugin chain: priority order, the consumer-specific config where one applies,
// stop at the first exit. A throwing plugin is logged and becomes a 500 for this request only.
import type { Phase } from '@tollgate/plugin-sdk';
import { configFor, type ChainEntry } from './chain.ts';
import { contextFor, type RequestState } from './context.ts';

export class PluginError extends Error {
  readonly plugin: string;
  constructor(plugin: string, phase: Phase, cause: unknown) {
    super(`plugin '${plugin}' failed in ${phase}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.plugin = plugin;
  }
}

/**
 * Runs `phase` handlers of `entries` against `state`. Returns the entries that ran (with their configs)
 * when `record` is set, so later phases run the same set (Kong's collected plugins).
 */
export async function runPhase(phase: Phase, entries: readonly ChainEntry[], state: RequestState): Promise<void> {
  const scheme = state.init.scheme;
  for (const entry of entries) {
    const config = configFor(entry, state.consumer?.id);
    if (config === undefined || !entry.protocols.has(scheme)) continue;
    const handler = entry.def.handlers[phase];
    if (handler === undefined) continue;
    try {
      const result = handler(contextFor(state, config, phase));
      if (result !== undefined) await result;
    } catch (err) {
      throw new PluginError(entry.name, phase, err);
    }
    if (state.exit !== undefined && (phase === 'access' || phase === 'rewrite')) return;
  }
}

/** Log handlers never fail the request: errors are logged, and every plugin gets its turn. */
export async function runLogPhase(entries: readonly ChainEntry[], state: RequestState): Promise<void> {
  for (const entry of entries) {
    const config = configFor(entry, state.consumer?.id);
    if (config === undefined || !entry.protocols.has(state.init.scheme)) continue;
    try {
      const result = entry.def.handlers.log?.(contextFor(state, config, 'log'));
      if (result !== undefined) await result;
    } catch (err) {
      state.init.log.error(`plugin '${entry.name}' failed in log`, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
