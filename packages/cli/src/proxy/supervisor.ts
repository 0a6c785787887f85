// Runs the proxy: in this process for one worker, or as node:cluster workers sharing the listening
// sockets. The process that owns the config (store or file) publishes snapshots; workers apply them.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@tollgate/plugin-sdk';
import { DataPlane, type ConfigSnapshot, type ListenAddress, type PemPair } from '@tollgate/data-plane';
import { loadPluginRuntimes } from './runtime.ts';

export interface ProxySettings {
  listen: ListenAddress[];
  certificate: PemPair;
  plugins: string | undefined;
}

export type WorkerMessage = { type: 'config'; snapshot: ConfigSnapshot } | { type: 'shutdown' };
export type PrimaryMessage = { type: 'ready' } | { type: 'applied'; version: number; ok: boolean; error?: string; warnings?: number };

export interface ProxyGroup {
  publish(snapshot: ConfigSnapshot): void;
  close(): Promise<void>;
  /** Version each worker (or the in-process proxy) last applied. */
  applied(): number[];
}

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function startProxies(settings: ProxySettings, workers: number, log: Logger): Promise<ProxyGroup> {
  if (workers <= 1) return inProcess(settings, log);
  return clustered(settings, workers, log);
}

async function inProcess(settings: ProxySettings, log: Logger): Promise<ProxyGroup> {
  const dp = new DataPlane({ plugins: loadPluginRuntimes(settings.plugins), listen: settings.listen, defaultCertificate: settings.certificate, log });
  await dp.listen();
  let version = -1;
  return {
    publish(snapshot) {
      const result = dp.apply(snapshot);
      if (result.ok) version = result.version;
    },
    close: () => dp.close(),
    applied: () => [version],
  };
}

async function clustered(settings: ProxySettings, count: number, log: Logger): Promise<ProxyGroup> {
  cluster.setupPrimary({ exec: WORKER_ENTRY, serialization: 'advanced', silent: false });
  const env = { TOLLGATE_PROXY_SETTINGS: JSON.stringify(settings) };
  let latest: ConfigSnapshot | undefined;
  let stopping = false;
  const versions = new Map<Worker, number>();

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      versions.set(worker, -1);
      worker.on('message', (msg: PrimaryMessage) => {
        if (msg.type === 'ready') {
          if (latest !== undefined) worker.send({ type: 'config', snapshot: latest } satisfies WorkerMessage);
          resolve();
        } else if (msg.type === 'applied') {
          if (msg.ok) versions.set(worker, msg.version);
          else log.error(`worker ${worker.process.pid} rejected config version ${msg.version}: ${msg.error}`);
        }
      });
      worker.once('exit', (code, signal) => {
        versions.delete(worker);
        if (stopping) return;
        log.error(`proxy worker ${worker.process.pid} exited (${signal ?? code}); starting a new one`);
        void fork().catch((err: unknown) => log.error('could not restart a proxy worker', { error: String(err) }));
        reject(new Error(`worker exited during start (${signal ?? code})`));
      });
    });

  await Promise.all(Array.from({ length: count }, fork));
  return {
    publish(snapshot) {
      latest = snapshot;
      for (const worker of versions.keys()) worker.send({ type: 'config', snapshot } satisfies WorkerMessage);
    },
    async close() {
      stopping = true;
      const exits = [...versions.keys()].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
      for (const w of versions.keys()) w.send({ type: 'shutdown' } satisfies WorkerMessage);
      await Promise.all(exits);
    },
    applied: () => [...versions.values()],
  };
}
