// How a request with plugins meets its upstream response: the response phase on the headers (or on
// the whole body when a plugin wants it held), header changes applied, the outcome recorded for logs.
// One object per request, its methods on the prototype, instead of a handful of closures.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Logger } from '@tollgate/plugin-sdk';
import { configFor, type ChainEntry, type PluginChain } from '../plugins/chain.ts';
import { contextFor, type RequestState } from '../plugins/context.ts';
import { runPhase } from '../plugins/runner.ts';
import type { CallHooks } from './upstream-call.ts';

export class PluginCallHooks implements CallHooks {
  readonly canHold: boolean;
  readonly #chain: PluginChain;
  readonly #state: RequestState;
  readonly #log: Logger;

  constructor(chain: PluginChain, state: RequestState, log: Logger) {
    this.#chain = chain;
    this.#state = state;
    this.#log = log;
    // Only entries with a response handler count towards bufferResponseBody (chain.ts).
    this.canHold = chain.bufferResponseBody;
  }

  onResponseHeaders(status: number, headers: OutgoingHttpHeaders, mayHold: boolean): boolean {
    const state = this.#state;
    state.responseSource = 'upstream';
    state.responseStatus = status;
    state.baseResponseHeaders = headers;
    if (mayHold && wantsResponseBody(this.#chain.response!, state)) return true;
    this.#headersOnly(headers);
    return false;
  }

  async bufferResponse(_status: number, headers: OutgoingHttpHeaders, body: Buffer): Promise<Buffer> {
    const state = this.#state;
    state.responseBody = body;
    await runPhase('response', this.#chain.response!, state);
    applyResponseHeaders(headers, state.responseHeaders);
    return state.responseBody ?? body;
  }

  onHoldAbandoned(_status: number, headers: OutgoingHttpHeaders): void {
    this.#headersOnly(headers);
  }

  onDone(outcome: { status: number; source: 'upstream' | 'gateway' }): void {
    this.#state.responseSource = outcome.source;
    this.#state.responseStatus = outcome.status;
  }

  #headersOnly(headers: OutgoingHttpHeaders): void {
    if (this.#chain.response !== null) runResponsePhaseSync(this.#chain.response, this.#state, this.#log);
    applyResponseHeaders(headers, this.#state.responseHeaders);
  }
}

/** Response-phase handlers run while the upstream's headers are held; they must not await. */
export function runResponsePhaseSync(entries: readonly ChainEntry[], state: RequestState, log: Logger): void {
  const failed = (err: unknown) => log.error(err instanceof Error ? err.message : 'plugin failure', { requestId: state.init.requestId });
  try {
    runPhase('response', entries, state)?.catch(failed);
  } catch (err) {
    failed(err);
  }
}

/** Whether a plugin about to run its response handler wants this response's body held for it. */
function wantsResponseBody(entries: readonly ChainEntry[], state: RequestState): boolean {
  const consumerId = state.consumer?.id;
  for (const entry of entries) {
    const def = entry.def;
    const wants = def.bufferResponseBody;
    if (wants === undefined || wants === false) continue;
    const config = configFor(entry, consumerId);
    if (config === undefined || !entry.protocols.has(state.init.scheme)) continue;
    if (typeof wants === 'function' && !wants(config)) continue;
    if (def.wantsResponseBody === undefined || def.wantsResponseBody(contextFor(state, config, 'response'))) return true;
  }
  return false;
}

/** Applies the header changes plugins made (undefined = remove) to the headers about to be written. */
export function applyResponseHeaders(headers: OutgoingHttpHeaders, changes: OutgoingHttpHeaders | undefined): void {
  if (changes === undefined) return;
  for (const k in changes) {
    const v = changes[k];
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
}
