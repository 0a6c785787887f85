// response-transformer: warnings about a response the plugin had to pass on unchanged, at most one
// per kind per interval, so an upstream that always sends br does not write a line per request.

/**
 * Lets one warning of each kind through per interval and counts the ones it held back. One lives in
 * each prepared config, so a new config starts afresh.
 * @example
 *   const held = throttle.take('encoding');
 *   if (held !== undefined) log.warn(`... (${held} more like it not logged)`);
 */
export class WarningThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #kinds = new Map<string, { at: number; held: number }>();

  constructor(intervalMs = 60_000, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Undefined when this warning is held back; otherwise how many of its kind were held back since the last one. */
  take(kind: string): number | undefined {
    const now = this.#now();
    const last = this.#kinds.get(kind);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.held++;
      return undefined;
    }
    this.#kinds.set(kind, { at: now, held: 0 });
    return last?.held ?? 0;
  }
}
