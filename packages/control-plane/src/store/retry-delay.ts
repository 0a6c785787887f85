// The delay before the next attempt after a failure: `initialMs`, doubling up to `maxMs`, back to
// `initialMs` after a success. Shared by everything that retries the database.

export interface Backoff {
  /** First retry delay, ms. */
  initialMs: number;
  /** Cap on the delay, ms. */
  maxMs: number;
}

export class RetryDelay {
  readonly #backoff: Backoff;
  #next: number;

  constructor(backoff: Backoff) {
    this.#backoff = backoff;
    this.#next = backoff.initialMs;
  }

  /** The delay to wait now; the one after it is twice as long (up to the cap). */
  take(): number {
    const delay = this.#next;
    this.#next = Math.min(delay * 2, this.#backoff.maxMs);
    return delay;
  }

  /** The last attempt succeeded: the next failure waits `initialMs` again. */
  reset(): void {
    this.#next = this.#backoff.initialMs;
  }
}
