// The data plane's link to its control plane: TLS WebSocket with a client certificate, hello with
// what it holds, then snapshots and deltas. A delta is checked against the control plane's hash
// after applying it (the snapshot is the truth); on a mismatch it asks for a full snapshot.
// The link reconnects with capped exponential backoff and jitter, and a silent peer is noticed by
// heartbeats within a few seconds; the proxy keeps serving whatever it has throughout.
import { hostname } from 'node:os';
import WebSocket from 'ws';
import { applyDelta, configHash, decode, encode, PROTOCOL_VERSION, type ControlPlaneMessage, type Entities } from '@tollgate/protocol';
import type { Logger } from '@tollgate/plugin-sdk';

export interface ClusterClientTls {
  mode: 'shared' | 'pki';
  cert: string;
  key: string;
  /** PKI: the cluster CA. Shared mode trusts exactly the shared certificate. */
  ca?: string | undefined;
  /** PKI: the name the control plane's certificate must carry (default: the host of the address). */
  serverName?: string | undefined;
}

export interface AppliedConfig {
  version: number;
  hash: string;
  entities: Entities;
}

export type ApplyOutcome = { ok: true; applyMs: number } | { ok: false; reason: string; errors?: string[] };

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'refused';

export interface ClusterClientOptions {
  /** `host:port` of the control plane's cluster listener. */
  controlPlane: string;
  tls: ClusterClientTls;
  nodeId: string;
  version: string;
  labels?: Record<string, string>;
  plugins: Array<{ name: string; version: string }>;
  /** What the data plane runs now (from its disk cache at start), or undefined. */
  initial?: AppliedConfig | undefined;
  /** Validates, swaps in and persists a config; the client acks or reports the outcome. */
  apply(config: AppliedConfig): Promise<ApplyOutcome>;
  log: Logger;
  backoff?: { initialMs?: number; maxMs?: number };
  heartbeatMs?: number;
}

export class ClusterClient {
  readonly #options: ClusterClientOptions;
  #current: AppliedConfig | undefined;
  #ws: WebSocket | undefined;
  #state: LinkState = 'disconnected';
  #attempt = 0;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #lastHeard = 0;
  /** Frames are applied one at a time, newest wins (Kong applies only the latest pending one). */
  #pending: ControlPlaneMessage | undefined;
  #applying = false;

  constructor(options: ClusterClientOptions) {
    this.#options = options;
    this.#current = options.initial;
  }

  get state(): LinkState {
    return this.#state;
  }

  get current(): AppliedConfig | undefined {
    return this.#current;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  #connect(): void {
    const { tls, controlPlane, log } = this.#options;
    this.#state = 'connecting';
    const host = controlPlane.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const ws = new WebSocket(`wss://${controlPlane}/v1/outlet`, {
      cert: tls.cert,
      key: tls.key,
      ca: tls.mode === 'pki' ? tls.ca : tls.cert,
      rejectUnauthorized: true,
      ...(tls.mode === 'pki'
        ? { servername: tls.serverName ?? host }
        : // Shared mode pins the certificate itself (its only trust anchor); the name is not checked, as in Kong.
          // (node:tls wants undefined for "fine"; ws's typings say boolean.)
          { checkServerIdentity: (() => undefined) as unknown as () => boolean }),
      handshakeTimeout: 5000,
      maxPayload: 512 * 1024 * 1024,
    });
    this.#ws = ws;
    ws.on('open', () => {
      this.#lastHeard = Date.now();
      ws.send(
        encode({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          nodeId: this.#options.nodeId,
          hostname: hostname(),
          version: this.#options.version,
          labels: this.#options.labels ?? {},
          plugins: this.#options.plugins,
          configVersion: this.#current?.version ?? 0,
          configHash: this.#current?.hash ?? '',
        }),
      );
      this.#startHeartbeat(ws);
    });
    ws.on('message', (data: Buffer) => {
      this.#lastHeard = Date.now();
      let msg: ControlPlaneMessage;
      try {
        msg = decode(data, { from: 'control_plane' });
      } catch (err) {
        log.error(`bad message from the control plane: ${(err as Error).message}`);
        return;
      }
      this.#receive(msg);
    });
    ws.on('pong', () => {
      this.#lastHeard = Date.now();
    });
    ws.on('error', (err) => log.warn(`control plane link error: ${err.message}`));
    ws.on('close', (code, reason) => {
      clearInterval(this.#heartbeat);
      if (this.#ws === ws) this.#ws = undefined;
      if (this.#state !== 'refused') this.#state = 'disconnected';
      if (this.#stopped) return;
      if (this.#state === 'refused') {
        log.error(`the control plane refused this data plane (${code} ${reason.toString()}); retrying in case it is upgraded`);
      }
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    const { initialMs = 1000, maxMs = 30_000 } = this.#options.backoff ?? {};
    const base = Math.min(maxMs, initialMs * 2 ** this.#attempt++);
    // Full jitter on half the delay, so a fleet does not reconnect in lockstep after a control-plane restart.
    const delay = base / 2 + Math.random() * (base / 2);
    this.#retry = setTimeout(() => this.#connect(), delay);
    this.#retry.unref();
  }

  #startHeartbeat(ws: WebSocket): void {
    const every = this.#options.heartbeatMs ?? 10_000;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > 2 * every) {
        this.#options.log.warn('control plane silent for two heartbeats; reconnecting');
        ws.terminate();
        return;
      }
      ws.ping();
    }, every);
    this.#heartbeat.unref();
  }

  #receive(msg: ControlPlaneMessage): void {
    switch (msg.type) {
      case 'welcome':
        this.#state = 'connected';
        this.#attempt = 0;
        this.#options.log.info(`connected to control plane ${msg.nodeId} (version ${msg.version})`);
        return;
      case 'refused':
        this.#state = 'refused';
        this.#options.log.error(`control plane refused this data plane: ${msg.reason}`);
        return;
      case 'pong':
        return;
      case 'snapshot':
      case 'delta':
        this.#pending = msg;
        void this.#drain();
    }
  }

  async #drain(): Promise<void> {
    if (this.#applying) return;
    this.#applying = true;
    try {
      while (this.#pending !== undefined) {
        const msg = this.#pending;
        this.#pending = undefined;
        await this.#applyMessage(msg);
      }
    } finally {
      this.#applying = false;
    }
  }

  async #applyMessage(msg: ControlPlaneMessage): Promise<void> {
    const send = (m: Parameters<typeof encode>[0]) => this.#ws?.readyState === WebSocket.OPEN && this.#ws.send(encode(m));
    let next: AppliedConfig;
    if (msg.type === 'snapshot') {
      next = { version: msg.version, hash: msg.hash, entities: msg.entities };
      if (configHash(msg.entities) !== msg.hash) {
        send({ type: 'rejected', version: msg.version, reason: 'snapshot hash mismatch: the config was damaged in transit', errors: [] });
        return;
      }
    } else if (msg.type === 'delta') {
      const current = this.#current;
      if (current === undefined || current.version !== msg.from) {
        send({ type: 'resync', reason: `delta from version ${msg.from} does not apply to version ${current?.version ?? 0}` });
        return;
      }
      const entities = applyDelta(current.entities, msg.changes);
      if (configHash(entities) !== msg.hash) {
        this.#options.log.warn(`delta to version ${msg.version} did not reproduce the control plane's hash; asking for a full snapshot`);
        send({ type: 'resync', reason: 'hash mismatch after applying a delta' });
        return;
      }
      next = { version: msg.version, hash: msg.hash, entities };
    } else return;
    if (this.#current !== undefined && this.#current.hash === next.hash) {
      this.#current = next;
      send({ type: 'applied', version: next.version, hash: next.hash, applyMs: 0 });
      return;
    }
    let outcome: ApplyOutcome;
    try {
      outcome = await this.#options.apply(next);
    } catch (err) {
      outcome = { ok: false, reason: (err as Error).message };
    }
    if (outcome.ok) {
      this.#current = next;
      send({ type: 'applied', version: next.version, hash: next.hash, applyMs: outcome.applyMs });
    } else {
      this.#options.log.error(`config version ${next.version} rejected; keeping version ${this.#current?.version ?? 'none'}: ${outcome.reason}`);
      send({ type: 'rejected', version: next.version, reason: outcome.reason, errors: outcome.errors ?? [] });
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const ws = this.#ws;
    if (ws === undefined) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'shutting down');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}
