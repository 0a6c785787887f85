// Runs the proxy: in this process for one worker, or as node:cluster workers sharing the listening
// sockets. The process that owns the config (store or file) publishes snapshots; workers apply them.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@tollgate/plugin-sdk';
import { answerCounterRequest, DataPlane, MemoryCounterStore, type ConfigSnapshot, type ListenAddress, type PemPair, type RealIpSettings, type SetHealthResult, type UpstreamHealth } from '@tollgate/data-plane';
import { mergeWorkerHealth } from './health.ts';
import { ConfigRollout, type PublishResult } from './rollout.ts';
import { loadPluginRuntimes } from './runtime.ts';
import { clusterMetrics, localMetrics } from '../metrics.ts';

export interface ProxySettings {
  listen: ListenAddress[];
  certificate: PemPair;
  plugins: string | undefined;
  realIp: RealIpSettings | undefined;
  /** kong.conf `headers` and `headers_upstream` token lists. */
  headers: string[];
  headersUpstream: string[];
  /** kong.conf `error_default_type`. */
  errorDefaultType: string;
}

/** Questions the primary asks every worker; each answers with a `reply` of the same id. */
export type WorkerQuestion =
  | { type: 'health' }
  | { type: 'set-health'; upstream: string; target: string; healthy: boolean; address?: string | undefined }
  | { type: 'plugin-control'; plugin: string; command: string; args: Record<string, string> };
export type WorkerMessage = { type: 'config'; snapshot: ConfigSnapshot } | { type: 'shutdown' } | (WorkerQuestion & { id: number });
export type PrimaryMessage =
  | { type: 'ready' }
  | { type: 'applied'; version: number; ok: boolean; error?: string; warnings?: number }
  | { type: 'reply'; id: number; value: unknown };


export interface ProxyGroup {
  /** Sends a config to every proxy; resolves once all applied it, or with the first refusal. */
  publish(snapshot: ConfigSnapshot): Promise<PublishResult>;
  close(): Promise<void>;
  /** Version each worker (or the in-process proxy) last applied. */
  applied(): number[];
  /** The proxies' metrics in Prometheus text format (every worker's, aggregated). */
  metrics(): Promise<string>;
  /** Every upstream's targets with their health (the workers' reports merged). */
  health(): Promise<UpstreamHealth[]>;
  /** Marks a target (or one of its addresses) healthy or unhealthy in every proxy's balancer. */
  setTargetHealth(upstreamId: string, target: string, healthy: boolean, address?: string): Promise<SetHealthResult | 'incomplete'>;
  /** A plugin's `control` command in every proxy process: their answers, and whether every process answered. */
  pluginControl(plugin: string, command: string, args: Record<string, string>): Promise<WorkerAnswers>;
}

/** The answers of the proxy processes asked; `complete` when every one answered in time. */
export interface WorkerAnswers {
  answers: unknown[];
  complete: boolean;
}

/** How long the primary waits for the workers' answers; a worker that does not answer is left out. */
const ASK_TIMEOUT_MS = 2000;

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function startProxies(settings: ProxySettings, workers: number, log: Logger): Promise<ProxyGroup> {
  if (workers <= 1) return inProcess(settings, log);
  return clustered(settings, workers, log);
}

async function inProcess(settings: ProxySettings, log: Logger): Promise<ProxyGroup> {
  const dp = new DataPlane({ plugins: await loadPluginRuntimes(settings.plugins), listen: settings.listen, defaultCertificate: settings.certificate, realIp: settings.realIp, headers: settings.headers, headersUpstream: settings.headersUpstream, errorDefaultType: settings.errorDefaultType, log });
  await dp.listen();
  let version = -1;
  return {
    async publish(snapshot) {
      const result = dp.apply(snapshot);
      if (!result.ok) return { ok: false, error: result.error };
      version = result.version;
      return { ok: true, ms: result.ms };
    },
    close: () => dp.close(),
    applied: () => [version],
    metrics: localMetrics(dp),
    health: async () => dp.upstreamHealth(),
    setTargetHealth: async (upstreamId, target, healthy, address) => dp.setTargetHealth(upstreamId, target, healthy, address),
    pluginControl: async (plugin, command, args) => ({ answers: [await dp.pluginControl(plugin, command, args)], complete: true }),
  };
}

async function clustered(settings: ProxySettings, count: number, log: Logger): Promise<ProxyGroup> {
  cluster.setupPrimary({ exec: WORKER_ENTRY, serialization: 'advanced', silent: false });
  const env = { TOLLGATE_PROXY_SETTINGS: JSON.stringify(settings) };
  let stopping = false;
  /** Every worker's last applied version (-1 until it applied one). */
  const versions = new Map<Worker, number>();
  // A worker whose channel has closed is about to exit (its 'exit' strikes it off): a send to it is
  // dropped, and the callback keeps node from throwing ERR_IPC_CHANNEL_CLOSED in this process.
  const sendTo = (worker: Worker, msg: WorkerMessage) => {
    if (worker.isConnected()) worker.send(msg, undefined, () => {});
  };
  const rollout = new ConfigRollout<Worker>((worker, snapshot) => sendTo(worker, { type: 'config', snapshot }));
  // The node's counters (rate limits) live here, so every worker counts against the same numbers.
  const counters = new MemoryCounterStore();
  /** Target health set by hand (POST …/healthy|unhealthy), by upstream, target and address: the last call wins. */
  const handSet = new Map<string, { upstream: string; target: string; healthy: boolean; address: string | undefined }>();
  /** Questions in flight: the answers so far, the workers still to answer, and how to settle. */
  const asks = new Map<number, { answers: unknown[]; left: Set<Worker>; settle: () => void }>();
  let askId = 0;
  /** Asks every worker that has applied a config and can be reached; resolves with the answers in by the timeout. */
  const askWorkers = async (question: WorkerQuestion): Promise<WorkerAnswers> => {
    const id = ++askId;
    const workers = [...versions].filter(([w, v]) => v >= 0 && w.isConnected()).map(([w]) => w);
    const answers: unknown[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(settle, ASK_TIMEOUT_MS);
      function settle() {
        clearTimeout(timer);
        asks.delete(id);
        resolve();
      }
      asks.set(id, { answers, left: new Set(workers), settle });
      if (workers.length === 0) return settle();
      // A worker that goes away before answering is struck off on its exit (or by the timeout).
      for (const worker of workers) sendTo(worker, { ...question, id });
    });
    // No worker ready (all starting or restarting) counts as not answered.
    return { answers, complete: workers.length > 0 && answers.length === workers.length };
  };

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      versions.set(worker, -1);
      // Node-wide counter requests (type 'tollgate:counters'); a reply to a worker that has just gone is dropped.
      worker.on('message', (msg: unknown) => answerCounterRequest(counters, msg, (reply) => worker.isConnected() && worker.send(reply, undefined, () => {})));
      // prom-client's metric replies share this channel (type 'prom-client:…'); they are not ours to handle.
      worker.on('message', (msg: PrimaryMessage) => {
        if (msg.type === 'ready') {
          rollout.ready(worker);
          resolve();
        } else if (msg.type === 'reply') {
          const ask = asks.get(msg.id);
          if (ask === undefined || !ask.left.delete(worker)) return;
          ask.answers.push(msg.value);
          if (ask.left.size === 0) ask.settle();
        } else if (msg.type === 'applied') {
          // A worker's first config: it also gets the target health set by hand since the node started.
          if (msg.ok && versions.get(worker) === -1) for (const set of handSet.values()) sendTo(worker, { type: 'set-health', ...set, id: 0 });
          if (msg.ok) versions.set(worker, msg.version);
          else log.error(`worker ${worker.process.pid} rejected config version ${msg.version}: ${msg.error}`);
          rollout.applied(worker, msg.version, msg.ok ? undefined : (msg.error ?? 'rejected'));
        }
      });
      worker.once('exit', (code, signal) => {
        versions.delete(worker);
        for (const ask of asks.values()) if (ask.left.delete(worker) && ask.left.size === 0) ask.settle();
        rollout.exited(worker);
        if (stopping) return;
        log.error(`proxy worker ${worker.process.pid} exited (${signal ?? code}); starting a new one`);
        void fork().catch((err: unknown) => log.error('could not restart a proxy worker', { error: String(err) }));
        reject(new Error(`worker exited during start (${signal ?? code})`));
      });
    });

  await Promise.all(Array.from({ length: count }, fork));
  return {
    publish: (snapshot) => rollout.publish(snapshot),
    async close() {
      stopping = true;
      rollout.stop();
      const exits = [...versions.keys()].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
      for (const w of versions.keys()) sendTo(w, { type: 'shutdown' });
      await Promise.all(exits);
    },
    applied: () => [...versions.values()],
    metrics: clusterMetrics(),
    health: async () => mergeWorkerHealth((await askWorkers({ type: 'health' })).answers.filter(Array.isArray) as UpstreamHealth[][]),
    async setTargetHealth(upstream, target, healthy, address) {
      const { answers, complete } = await askWorkers({ type: 'set-health', upstream, target, healthy, address });
      // Kept for workers started later (a crashed one's replacement), as Kong keeps it in shared memory.
      if (answers.includes('ok')) handSet.set(`${upstream}\u0000${target}\u0000${address ?? ''}`, { upstream, target, healthy, address });
      if (complete && answers.every((a) => a === 'ok')) return 'ok';
      if (answers.includes('no-healthchecker')) return 'no-healthchecker';
      if (complete && answers.every((a) => a === 'not-found')) return 'not-found';
      // Some worker did it and another did not (it has not applied the config yet, or did not answer).
      return 'incomplete';
    },
    pluginControl: (plugin, command, args) => askWorkers({ type: 'plugin-control', plugin, command, args }),
  };
}
