// What the control plane knows about its data planes: kept in memory (no database write per ping,
// unlike Kong), shown by GET /clustering/data-planes. Connection state is explicit, and the sync
// status is reset when a link drops instead of keeping a stale value.

export type SyncStatus = 'connecting' | 'in_sync' | 'behind' | 'failed' | 'incompatible' | 'disconnected';

export interface DataPlaneInfo {
  id: string;
  hostname: string;
  ip: string;
  version: string;
  labels: Record<string, string>;
  /** The config version and hash the data plane says it runs. */
  config_version: number;
  config_hash: string;
  connected: boolean;
  sync_status: SyncStatus;
  /** Why the last config was refused, or why the data plane is incompatible. */
  error: string | null;
  /** Unix seconds. */
  last_seen: number;
  /** Unix seconds when the data plane's client certificate expires. */
  cert_expiry: number | null;
  updated_at: number;
  /** How the last config went out: a delta or a full snapshot, and its size on the wire. */
  last_sync: { kind: 'delta' | 'snapshot'; version: number; bytes: number } | null;
}

export class DataPlaneRegistry {
  readonly #planes = new Map<string, DataPlaneInfo>();
  /** Ids changed since `takeChanged` last ran (see cluster/presence.ts). */
  readonly #changed = new Set<string>();
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: { ttlSeconds?: number; now?: () => number } = {}) {
    this.#ttlSeconds = options.ttlSeconds ?? 14 * 86400;
    this.#now = options.now ?? (() => Date.now() / 1000);
  }

  upsert(id: string, fields: Partial<DataPlaneInfo>): DataPlaneInfo {
    const now = Math.floor(this.#now());
    const existing = this.#planes.get(id);
    const next: DataPlaneInfo = {
      id,
      hostname: '',
      ip: '',
      version: '',
      labels: {},
      config_version: 0,
      config_hash: '',
      connected: false,
      sync_status: 'connecting',
      error: null,
      cert_expiry: null,
      last_sync: null,
      ...existing,
      ...fields,
      last_seen: now,
      updated_at: now,
    };
    this.#planes.set(id, next);
    this.#changed.add(id);
    return next;
  }

  seen(id: string): void {
    const p = this.#planes.get(id);
    if (p === undefined) return;
    p.last_seen = Math.floor(this.#now());
    this.#changed.add(id);
  }

  /** The data planes changed (or seen) since the last call, for writing to the database. */
  takeChanged(): DataPlaneInfo[] {
    const out: DataPlaneInfo[] = [];
    for (const id of this.#changed) {
      const p = this.#planes.get(id);
      if (p !== undefined) out.push({ ...p });
    }
    this.#changed.clear();
    return out;
  }

  /** Puts back what a failed write took, unless they changed again since. */
  returnChanged(planes: readonly DataPlaneInfo[]): void {
    for (const p of planes) this.#changed.add(p.id);
  }

  get(id: string): DataPlaneInfo | undefined {
    return this.#planes.get(id);
  }

  /** Every data plane not aged out, newest first. A silent one is dropped after the TTL. */
  list(): DataPlaneInfo[] {
    const cutoff = this.#now() - this.#ttlSeconds;
    for (const [id, p] of this.#planes) if (!p.connected && p.last_seen < cutoff) this.#planes.delete(id);
    return [...this.#planes.values()].sort((a, b) => b.last_seen - a.last_seen || (a.id < b.id ? -1 : 1));
  }
}
