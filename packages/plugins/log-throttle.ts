// Log lines a plugin writes per request when something keeps failing (a store outage, an upstream
// that always sends a body the plugin cannot read): at most one per kind per interval, the next
// one saying how many it stood for. One throttle lives in each prepared config, so a new config
// starts afresh.

/**
 * Lets one line of each kind through per interval and counts the ones it held back.
 * @example
 *   const held = throttle.take('encoding');
 *   if (held !== undefined) log.warn(`... (${held} more like it not logged)`);
 */
export class LogThrottle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #kinds = new Map<string, { at: number; held: number }>();

  constructor(intervalMs: number, now: () => number = () => performance.now()) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Undefined when this line is held back; otherwise how many of its kind were held back since the last one. */
  take(kind = ''): number | undefined {
    const now = this.#now();
    const last = this.#kinds.get(kind);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.held++;
      return undefined;
    }
    if (last === undefined) this.#kinds.set(kind, { at: now, held: 0 });
    else {
      const held = last.held;
      last.at = now;
      last.held = 0;
      return held;
    }
    return 0;
  }
}
