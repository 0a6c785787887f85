// Data planes as every control-plane node sees them. Each node keeps its own links in memory
// (DataPlaneRegistry) and writes what changed to the shared database in one statement every few
// seconds, instead of one write per data plane per heartbeat as Kong does. GET /clustering/data-planes
// reads the table, so any node behind a load balancer lists every data plane of the cluster.
import type { Database } from '../store/index.ts';
import type { DataPlaneInfo, DataPlaneRegistry } from './registry.ts';

export interface PresenceOptions {
  /** How often this node writes what changed (ms, default 3000). */
  flushMs?: number;
  /**
   * A row another node has not refreshed for this long (s, default 60) is that node's stale claim (it
   * stopped or lost the database): its data plane is listed as disconnected.
   */
  staleSeconds?: number;
  /** Rows silent for this long are deleted (s, default 14 days, Kong's cluster_data_plane_purge_delay). */
  ttlSeconds?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

const PURGE_EVERY_MS = 10 * 60 * 1000;

export class ClusterPresence {
  readonly #db: Database;
  readonly #registry: DataPlaneRegistry;
  readonly #nodeId: string;
  readonly #staleSeconds: number;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #flushMs: number;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #lastPurge = 0;

  constructor(db: Database, registry: DataPlaneRegistry, nodeId: string, options: PresenceOptions = {}) {
    this.#db = db;
    this.#registry = registry;
    this.#nodeId = nodeId;
    this.#flushMs = options.flushMs ?? 3000;
    this.#staleSeconds = options.staleSeconds ?? 60;
    this.#ttlSeconds = options.ttlSeconds ?? 14 * 86400;
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#onError = options.onError ?? (() => {});
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.#flushMs);
    this.#timer.unref();
  }

  /** Writes the data planes changed since the last write; on failure they are written next time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #write(): Promise<void> {
    const changed = this.#registry.takeChanged();
    try {
      if (changed.length > 0) {
        // A row another node wrote later (the data plane moved there) is not overwritten.
        await this.#db.query(
          `INSERT INTO "tollgate_data_planes" ("id", "info", "last_seen", "cp_node_id")
           SELECT x."id", x."info", x."last_seen", $2 FROM jsonb_to_recordset($1::jsonb) AS x("id" text, "info" jsonb, "last_seen" bigint)
           ON CONFLICT ("id") DO UPDATE SET "info" = EXCLUDED."info", "last_seen" = EXCLUDED."last_seen", "cp_node_id" = EXCLUDED."cp_node_id"
           WHERE "tollgate_data_planes"."last_seen" <= EXCLUDED."last_seen"`,
          [JSON.stringify(changed.map((p) => ({ id: p.id, info: p, last_seen: p.last_seen }))), this.#nodeId],
        );
      }
      const now = Date.now();
      if (now - this.#lastPurge >= PURGE_EVERY_MS) {
        this.#lastPurge = now;
        await this.#db.query(`DELETE FROM "tollgate_data_planes" WHERE "last_seen" < $1`, [Math.floor(this.#now() - this.#ttlSeconds)]);
      }
    } catch (err) {
      this.#registry.returnChanged(changed);
      this.#onError(err);
    }
  }

  /**
   * Every data plane of the cluster, newest first: this node's own as it knows them now, the others as
   * their nodes last wrote them. Without the database (an outage), this node's own.
   */
  async list(): Promise<DataPlaneInfo[]> {
    const own = this.#registry.list();
    let rows: Array<{ info: DataPlaneInfo | string; cp_node_id: string }>;
    try {
      ({ rows } = await this.#db.query<{ info: DataPlaneInfo | string; cp_node_id: string }>(
        `SELECT "info", "cp_node_id" FROM "tollgate_data_planes" WHERE "last_seen" >= $1`,
        [Math.floor(this.#now() - this.#ttlSeconds)],
      ));
    } catch (err) {
      this.#onError(err);
      return own;
    }
    const byId = new Map<string, DataPlaneInfo>();
    const staleBefore = this.#now() - this.#staleSeconds;
    for (const row of rows) {
      const info = typeof row.info === 'string' ? (JSON.parse(row.info) as DataPlaneInfo) : row.info;
      const stale = row.cp_node_id !== this.#nodeId && info.connected && info.last_seen < staleBefore;
      byId.set(info.id, stale ? { ...info, connected: false, sync_status: 'disconnected' } : info);
    }
    for (const p of own) {
      const other = byId.get(p.id);
      if (other === undefined || other.last_seen <= p.last_seen || p.connected) byId.set(p.id, p);
    }
    return [...byId.values()].sort((a, b) => b.last_seen - a.last_seen || (a.id < b.id ? -1 : 1));
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
