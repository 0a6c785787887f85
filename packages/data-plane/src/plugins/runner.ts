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
 * Runs `phase` handlers of `entries` against `state`, in order, from `from`. Synchronous while the
 * handlers are: it returns undefined when all of them returned without a promise (the common case,
 * and no promise is made for it), or a promise for the rest of the phase once one awaits.
 * Throws (or rejects with) a PluginError naming the plugin that failed.
 */
export function runPhase(phase: Phase, entries: readonly ChainEntry[], state: RequestState, from = 0): Promise<void> | undefined {
  const scheme = state.init.scheme;
  for (let i = from; i < entries.length; i++) {
    const entry = entries[i]!;
    const config = configFor(entry, state.consumer?.id);
    if (config === undefined || !entry.protocols.has(scheme)) continue;
    const handler = entry.def.handlers[phase];
    if (handler === undefined) continue;
    let result: void | Promise<void>;
    try {
      result = handler(contextFor(state, config, phase));
    } catch (err) {
      throw new PluginError(entry.name, phase, err);
    }
    if (result !== undefined) return finishAsync(phase, entries, state, i, result);
    if (state.exit !== undefined && (phase === 'access' || phase === 'rewrite')) return undefined;
  }
  return undefined;
}

async function finishAsync(phase: Phase, entries: readonly ChainEntry[], state: RequestState, i: number, pending: Promise<void>): Promise<void> {
  try {
    await pending;
  } catch (err) {
    throw new PluginError(entries[i]!.name, phase, err);
  }
  if (state.exit !== undefined && (phase === 'access' || phase === 'rewrite')) return;
  await runPhase(phase, entries, state, i + 1);
}

/** Log handlers never fail the request: errors are logged, and every plugin gets its turn. */
export function runLogPhase(entries: readonly ChainEntry[], state: RequestState, from = 0): void {
  for (let i = from; i < entries.length; i++) {
    const entry = entries[i]!;
    const config = configFor(entry, state.consumer?.id);
    if (config === undefined || !entry.protocols.has(state.init.scheme)) continue;
    try {
      const result = entry.def.handlers.log?.(contextFor(state, config, 'log'));
      if (result !== undefined) {
        result.then(
          () => runLogPhase(entries, state, i + 1),
          (err: unknown) => {
            logFailure(state, entry.name, err);
            runLogPhase(entries, state, i + 1);
          },
        );
        return;
      }
    } catch (err) {
      logFailure(state, entry.name, err);
    }
  }
}

function logFailure(state: RequestState, plugin: string, err: unknown): void {
  state.init.log.error(`plugin '${plugin}' failed in log`, { error: err instanceof Error ? err.message : String(err) });
}
