// The cluster listener: data planes connect over TLS WebSockets with client certificates required
// (shared certificate pinned, or PKI with a cluster CA), say hello, and get the config as a snapshot
// or a delta; every committed change is pushed to all of them (coalesced), and each acks what it applied.
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { decode, encode, negotiate, PROTOCOL_VERSION, type DataPlaneMessage } from '@tollgate/protocol';
import { RetryDelay, type Database } from '../store/index.ts';
import type { DataPlaneRegistry } from './registry.ts';
import type { Logger, SnapshotSource } from './snapshots.ts';

export const CLUSTER_PATH = '/v1/outlet';

export interface ClusterTls {
  mode: 'shared' | 'pki';
  cert: string;
  key: string;
  /** PKI mode: the cluster CA that signs data-plane certificates. */
  ca?: string | undefined;
}

export interface ClusterServerOptions {
  db: Database;
  snapshots: SnapshotSource;
  registry: DataPlaneRegistry;
  tls: ClusterTls;
  version: string;
  nodeId: string;
  log: Logger;
  /** Coalesce bursts of changes within this many ms into one push. */
  debounceMs?: number;
  /** After a failed read of the store, read again after this many ms, doubling up to 30 s (default 1000). */
  retryMs?: number;
  /** WebSocket ping interval; a peer silent for two intervals is dropped. */
  heartbeatMs?: number;
  maxPayload?: number;
}

interface Connection {
  ws: WebSocket;
  id: string | undefined;
  version: number;
  hash: string;
  alive: boolean;
  /** Counts the syncs started on this connection: one that finds a newer one started sends nothing. */
  syncs: number;
  /** The version of the last frame sent, 0 before any. */
  sent: number;
}

export class ClusterServer {
  readonly #options: ClusterServerOptions;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Connection>();
  #timer: NodeJS.Timeout | undefined;
  #retry: { timer: NodeJS.Timeout | undefined; delay: RetryDelay };
  /** Set by close(): a read still in flight then schedules nothing more. */
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  readonly #fingerprint: string;
  /** Each data plane's current connection (a node id may briefly have an old one not yet found dead). */
  readonly #byNode = new Map<string, Connection>();

  constructor(options: ClusterServerOptions) {
    this.#options = options;
    this.#retry = { timer: undefined, delay: new RetryDelay({ initialMs: options.retryMs ?? 1000, maxMs: 30_000 }) };
    const { tls } = options;
    this.#fingerprint = new X509Certificate(tls.cert).fingerprint256;
    this.#server = createServer({
      cert: tls.cert,
      key: tls.key,
      // Shared mode trusts exactly the shared certificate; PKI mode trusts the cluster CA.
      ca: tls.mode === 'pki' ? tls.ca : tls.cert,
      requestCert: true,
      // Verified below instead of by node, which would drop the socket without saying why or who.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
    this.#server.prependListener('secureConnection', (socket: TLSSocket) => {
      if (socket.authorized) return;
      const presented = Object.keys(socket.getPeerCertificate()).length > 0;
      const reason = presented ? String(socket.authorizationError) : 'the peer did not return a certificate';
      options.log.info(`refused a data plane from ${socket.remoteAddress ?? '?'} at the TLS handshake: ${reason}`);
      // Before a single byte of HTTP is read: nothing reaches the WebSocket layer.
      socket.destroy();
    });
    this.#server.on('tlsClientError', (err, socket) => {
      options.log.info(`refused a data plane from ${socket.remoteAddress ?? '?'} at the TLS handshake: ${err.message}`);
    });
    this.#server.on('request', (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `data planes connect with a WebSocket to ${CLUSTER_PATH}` }));
    });
    this.#wss = new WebSocketServer({ server: this.#server, path: CLUSTER_PATH, maxPayload: options.maxPayload ?? 64 * 1024 * 1024 });
    this.#wss.on('connection', (ws, req) => this.#accept(ws, req.socket as TLSSocket));
  }

  async listen(port: number, host: string): Promise<{ port: number }> {
    // Subscribed before the first read: a change committed in between is then either in that read or
    // notified (the Admin API already takes writes while this node starts).
    this.#unlisten = await this.#options.db.listen('tollgate_config', () => this.#schedule(), { onReconnect: () => this.#schedule() });
    await this.#options.snapshots.refresh();
    this.#retryIfFailing();
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    const heartbeatMs = this.#options.heartbeatMs ?? 10_000;
    this.#heartbeat = setInterval(() => this.#ping(), heartbeatMs);
    this.#heartbeat.unref();
    return { port: (this.#server.address() as { port: number }).port };
  }

  /** Connected, hello'd data planes. */
  get connected(): number {
    let n = 0;
    for (const c of this.#connections) if (c.id !== undefined) n++;
    return n;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#push();
    }, this.#options.debounceMs ?? 50);
  }

  async #push(): Promise<void> {
    const latest = await this.#options.snapshots.refresh();
    this.#retryIfFailing();
    if (latest === undefined) return;
    await Promise.all([...this.#connections].map((c) => (c.id === undefined ? undefined : this.#sync(c))));
  }

  /**
   * The read that followed a change failed (the database is away or timed out): that change is not in
   * the snapshot, and no notification will come for it again, so read again later.
   */
  #retryIfFailing(): void {
    const retry = this.#retry;
    if (!this.#options.snapshots.failing) {
      retry.delay.reset();
      return;
    }
    if (retry.timer !== undefined || this.#closed) return;
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      this.#schedule();
    }, retry.delay.take());
    retry.timer.unref();
  }

  #accept(ws: WebSocket, socket: TLSSocket): void {
    const { log, registry } = this.#options;
    const peer = socket.getPeerCertificate();
    if (this.#options.tls.mode === 'shared' && peer.fingerprint256 !== this.#fingerprint) {
      log.info(`refused a data plane from ${socket.remoteAddress}: its certificate is not the shared cluster certificate`);
      ws.close(4003, 'certificate mismatch');
      return;
    }
    const conn: Connection = { ws, id: undefined, version: 0, hash: '', alive: true, syncs: 0, sent: 0 };
    this.#connections.add(conn);
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const certExpiry = peer.valid_to ? Math.floor(Date.parse(peer.valid_to) / 1000) : null;
    const helloTimer = setTimeout(() => ws.close(4008, 'no hello'), 10_000);
    ws.on('pong', () => {
      conn.alive = true;
      if (conn.id !== undefined) registry.seen(conn.id);
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.#connections.delete(conn);
      // A data plane that reconnected before its old connection was found dead: the new one speaks for it.
      if (conn.id === undefined || this.#byNode.get(conn.id) !== conn) return;
      this.#byNode.delete(conn.id);
      if (registry.get(conn.id)?.sync_status !== 'incompatible') registry.upsert(conn.id, { connected: false, sync_status: 'disconnected' });
      else registry.upsert(conn.id, { connected: false });
    });
    ws.on('message', (data: Buffer) => {
      let msg: DataPlaneMessage;
      try {
        msg = decode(data, { from: 'data_plane' });
      } catch (err) {
        log.info(`closing a data plane link: ${(err as Error).message}`);
        ws.close(4002, 'bad message');
        return;
      }
      conn.alive = true;
      if (conn.id !== undefined) registry.seen(conn.id);
      switch (msg.type) {
        case 'hello': {
          clearTimeout(helloTimer);
          const verdict = negotiate(msg, { version: this.#options.version, protocol: PROTOCOL_VERSION });
          conn.id = msg.nodeId;
          this.#byNode.set(msg.nodeId, conn);
          conn.version = msg.configVersion;
          conn.hash = msg.configHash;
          const base = { hostname: msg.hostname, ip, version: msg.version, labels: msg.labels, config_version: msg.configVersion, config_hash: msg.configHash, cert_expiry: certExpiry };
          if (!verdict.ok) {
            registry.upsert(msg.nodeId, { ...base, connected: false, sync_status: 'incompatible', error: verdict.refused.reason });
            log.info(`refused data plane ${msg.nodeId} (${msg.hostname}): ${verdict.refused.reason}`);
            ws.send(encode(verdict.refused), () => ws.close(4001, 'incompatible'));
            return;
          }
          if (verdict.notice !== undefined) log.info(verdict.notice);
          registry.upsert(msg.nodeId, { ...base, connected: true, sync_status: 'connecting', error: null });
          ws.send(encode({ type: 'welcome', protocol: PROTOCOL_VERSION, version: this.#options.version, nodeId: this.#options.nodeId }));
          void this.#sync(conn);
          return;
        }
        case 'applied': {
          conn.version = msg.version;
          conn.hash = msg.hash;
          const latest = this.#options.snapshots.latest;
          const inSync = latest !== undefined && msg.version === latest.version && msg.hash === latest.hash;
          if (conn.id !== undefined) registry.upsert(conn.id, { config_version: msg.version, config_hash: msg.hash, sync_status: inSync ? 'in_sync' : 'behind', error: null });
          // Behind, and the latest was not the last frame sent (frames crossed): send it.
          if (!inSync && latest !== undefined && conn.sent !== latest.version) void this.#sync(conn);
          return;
        }
        case 'rejected':
          if (conn.id !== undefined) registry.upsert(conn.id, { sync_status: 'failed', error: `config version ${msg.version} rejected: ${msg.reason}` });
          log.info(`data plane ${conn.id} rejected config version ${msg.version}: ${msg.reason}`);
          return;
        case 'resync':
          conn.version = 0;
          conn.hash = '';
          void this.#sync(conn, true);
          return;
        case 'ping':
          ws.send(encode({ type: 'pong', t: msg.t }));
          return;
      }
    });
  }

  /** Brings one data plane up to the latest version: nothing, a delta, or the full snapshot. */
  async #sync(conn: Connection, full = false): Promise<void> {
    const seq = ++conn.syncs;
    const latest = this.#options.snapshots.latest ?? (await this.#options.snapshots.refresh());
    if (latest === undefined || conn.ws.readyState !== conn.ws.OPEN || seq !== conn.syncs) return;
    if (!full && conn.version === latest.version && conn.hash === latest.hash) {
      if (conn.id !== undefined) this.#options.registry.upsert(conn.id, { sync_status: 'in_sync' });
      return;
    }
    const delta = full ? undefined : await this.#options.snapshots.deltaFrom(conn.version);
    // A sync started while this one waited sends a config at least as new: this one's could be older.
    if (seq !== conn.syncs || conn.ws.readyState !== conn.ws.OPEN) return;
    const frame = delta ?? latest.encoded;
    conn.sent = latest.version;
    conn.ws.send(frame);
    if (conn.id !== undefined) {
      this.#options.registry.upsert(conn.id, { sync_status: 'behind', last_sync: { kind: delta === undefined ? 'snapshot' : 'delta', version: latest.version, bytes: frame.length } });
    }
  }

  #ping(): void {
    for (const c of this.#connections) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retry.timer);
    clearInterval(this.#heartbeat);
    await this.#unlisten?.();
    for (const c of this.#connections) c.ws.terminate();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
