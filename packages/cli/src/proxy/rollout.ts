// Which config each proxy worker is given, and when a published config counts as applied. A config
// becomes the node's once every running worker applied it, or is refused as soon as one refuses it.
// A worker that starts (or restarts) is given the node's config, then each one still being published;
// never one that was refused. A worker that exits is no longer waited for, and its exit never counts
// as having applied anything: a config that only crashes workers is never reported as applied. A
// refused config is taken back from the workers that had applied it.
import type { ConfigSnapshot } from '@tollgate/data-plane';

export type PublishResult = { ok: true; ms: number } | { ok: false; error: string };

interface Publish<W> {
  readonly snapshot: ConfigSnapshot;
  /** Publish order, so a slow answer to an older publish never replaces a newer config. */
  readonly seq: number;
  /** Workers yet to answer. */
  readonly left: Set<W>;
  /** Workers that applied it (a refused config is taken back from them). */
  readonly appliedBy: Set<W>;
  readonly started: number;
  readonly settle: (result: PublishResult) => void;
  readonly timer: NodeJS.Timeout;
}

export class ConfigRollout<W> {
  readonly #send: (worker: W, snapshot: ConfigSnapshot) => void;
  readonly #timeoutMs: number;
  readonly #ready = new Set<W>();
  readonly #publishes = new Set<Publish<W>>();
  /** The last config every worker applied (the one a new worker gets first). */
  #accepted: { snapshot: ConfigSnapshot; seq: number } | undefined;
  #seq = 0;
  #stopped = false;

  /**
   * `send` hands a snapshot to a worker (its answer comes back through `applied`); a publish that not
   * every worker has answered within `timeoutMs` (workers that keep crashing, none starting) is refused.
   */
  constructor(send: (worker: W, snapshot: ConfigSnapshot) => void, timeoutMs = 60_000) {
    this.#send = send;
    this.#timeoutMs = timeoutMs;
  }

  /** The config every worker applied, if any. */
  get accepted(): ConfigSnapshot | undefined {
    return this.#accepted?.snapshot;
  }

  /** A worker is ready for configs: it is given the node's config, then every one being published. */
  ready(worker: W): void {
    if (this.#stopped) return;
    this.#ready.add(worker);
    if (this.#accepted !== undefined) this.#send(worker, this.#accepted.snapshot);
    for (const p of this.#publishes) {
      p.left.add(worker);
      this.#send(worker, p.snapshot);
    }
  }

  /** Sends a config to every ready worker; settles once they all applied it, or at the first refusal. */
  publish(snapshot: ConfigSnapshot): Promise<PublishResult> {
    if (this.#stopped) return Promise.resolve({ ok: false, error: 'the proxy is stopping' });
    return new Promise((settle) => {
      const timer = setTimeout(() => this.#finish(p, { ok: false, error: `the proxy workers did not apply it within ${this.#timeoutMs / 1000} s` }), this.#timeoutMs);
      timer.unref();
      const p: Publish<W> = { snapshot, seq: ++this.#seq, left: new Set(this.#ready), appliedBy: new Set(), started: performance.now(), settle, timer };
      this.#publishes.add(p);
      for (const worker of p.left) this.#send(worker, snapshot);
      // With no worker ready yet, the first one to be ready is given it (see `ready`).
    });
  }

  /** A worker's answer to a config it was sent. */
  applied(worker: W, version: number, error?: string): void {
    for (const p of this.#publishes) {
      if (p.snapshot.version !== version || !p.left.delete(worker)) continue;
      if (error !== undefined) return this.#finish(p, { ok: false, error });
      p.appliedBy.add(worker);
      this.#check(p);
    }
  }

  /** A worker exited (or its channel closed): nothing waits for it any more. */
  exited(worker: W): void {
    this.#ready.delete(worker);
    for (const p of this.#publishes) if (p.left.delete(worker)) this.#check(p);
  }

  /** Refuses the publishes in flight; nothing more is sent. */
  stop(): void {
    this.#stopped = true;
    for (const p of this.#publishes) this.#finish(p, { ok: false, error: 'the proxy is stopping' });
  }

  #check(p: Publish<W>): void {
    // Every worker that was asked has answered or gone. If none applied it (they all exited), a worker
    // started in their place is given it when ready; the timeout ends the wait if none ever is.
    if (p.left.size === 0 && p.appliedBy.size > 0) this.#finish(p, { ok: true, ms: performance.now() - p.started });
  }

  #finish(p: Publish<W>, result: PublishResult): void {
    if (!this.#publishes.delete(p)) return;
    clearTimeout(p.timer);
    if (result.ok && (this.#accepted === undefined || p.seq > this.#accepted.seq)) this.#accepted = { snapshot: p.snapshot, seq: p.seq };
    // Refused (one worker said no, or not all answered in time): the workers that had applied it go
    // back to the node's config, so every worker serves the same one.
    if (!result.ok && this.#accepted !== undefined && !this.#stopped) {
      for (const worker of p.appliedBy) if (this.#ready.has(worker)) this.#send(worker, this.#accepted.snapshot);
    }
    p.settle(result);
  }
}
