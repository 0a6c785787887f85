// Hybrid mode wiring for `tollgate start`: the control plane's cluster listener, and the data plane's
// link to it with the encrypted disk cache that lets it start and serve while the control plane is away.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterPresence, ClusterServer, DataPlaneRegistry, SnapshotSource } from '@tollgate/control-plane';
import type { Database, EntityStore } from '@tollgate/control-plane/store';
import { ClusterClient, createConfigCache, deriveCacheKey, type AppliedConfig } from '@tollgate/data-plane';
import type { Logger } from '@tollgate/plugin-sdk';
import { loadPluginRuntimes } from './proxy/runtime.ts';
import { parseListen, splitList, UsageError, type Options } from './options.ts';
import type { ProxyGroup } from './proxy/supervisor.ts';
import { VERSION } from './version.ts';

function readPem(file: string | undefined, what: string): string {
  if (file === undefined) throw new UsageError(`${what} is required in hybrid mode`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

function clusterTls(options: Options) {
  const mode = options.cluster_mtls ?? 'shared';
  if (mode !== 'shared' && mode !== 'pki') throw new UsageError(`--cluster-mtls must be shared or pki, not '${mode}'`);
  return {
    mode: mode as 'shared' | 'pki',
    cert: readPem(options.cluster_cert, '--cluster-cert'),
    key: readPem(options.cluster_cert_key, '--cluster-cert-key'),
    ca: mode === 'pki' ? readPem(options.cluster_ca_cert, '--cluster-ca-cert (pki mode)') : undefined,
  };
}

export interface ControlPlaneCluster {
  registry: DataPlaneRegistry;
  close(): Promise<void>;
}

/**
 * Creates the registry now (the Admin API shows it) and the listener; `listen()` starts accepting.
 * `registry` holds this node's data planes; `presence` lists every node's, through the database.
 */
export function controlPlaneCluster(options: Options, db: Database, store: EntityStore, nodeId: string, log: Logger) {
  const registry = new DataPlaneRegistry();
  const logger = { info: (m: string) => log.info(m), error: (m: string, err?: unknown) => log.error(m, { error: String(err) }) };
  const server = new ClusterServer({ db, snapshots: new SnapshotSource(store, logger), registry, tls: clusterTls(options), version: VERSION, nodeId, log: logger });
  // During a database outage every write fails until it is back (each retries what was missed): say
  // so once a minute, not every few seconds.
  let warnedAt = 0;
  const presence = new ClusterPresence(db, registry, nodeId, {
    onError: (err) => {
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      log.warn('could not share data-plane presence through the database; this node lists only its own data planes until it can', { error: String(err) });
    },
  });
  return {
    registry,
    presence,
    async listen(): Promise<ControlPlaneCluster> {
      const address = parseListen(options.cluster_listen ?? '0.0.0.0:8005');
      const { port } = await server.listen(address.port, address.host);
      presence.start();
      log.info(`cluster listener on ${address.host}:${port} (${options.cluster_mtls ?? 'shared'} mTLS)`);
      return {
        registry,
        close: async () => {
          await server.close();
          await presence.close();
        },
      };
    },
  };
}

function parseLabels(spec: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of splitList(spec)) {
    const [k, v] = part.split(':');
    if (k === undefined || v === undefined || k === '' || v === '') throw new UsageError(`--cluster-dp-labels takes key:value pairs, not '${part}'`);
    labels[k] = v;
  }
  return labels;
}

/**
 * Starts a data plane's link: applies the disk cache first (so the proxy serves at once, even with no
 * control plane), then follows the control plane, persisting every config it applies.
 */
export async function dataPlaneLink(options: Options, prefix: string, nodeId: string, group: ProxyGroup, log: Logger): Promise<ClusterClient> {
  const tls = clusterTls(options);
  const cache = createConfigCache({ dir: join(prefix, 'cache'), key: deriveCacheKey(tls.key) });
  let initial: AppliedConfig | undefined;
  const cached = await cache.read();
  if (cached.ok) {
    const result = await group.publish({ version: cached.entry.version, entities: cached.entry.entities as AppliedConfig['entities'] });
    if (result.ok) {
      initial = { version: cached.entry.version, hash: cached.entry.hash, entities: cached.entry.entities as AppliedConfig['entities'] };
      log.info(`serving config version ${initial.version} from the disk cache (${cached.generation} generation) until the control plane answers`);
      if (cached.reasons.length > 0) log.warn(`the current disk cache was passed over: ${cached.reasons.join('; ')}`);
    } else log.error(`the cached config could not be applied: ${result.error}`);
  } else if (cached.reasons.length > 0) {
    log.warn(`no usable disk cache: ${cached.reasons.join('; ')}`);
  }
  const runtimes = await loadPluginRuntimes(options.plugins);
  const client = new ClusterClient({
    controlPlane: options.cluster_control_plane!,
    tls: { ...tls, serverName: options.cluster_server_name },
    nodeId,
    version: VERSION,
    labels: parseLabels(options.cluster_dp_labels),
    plugins: [...runtimes.values()].map((p) => ({ name: p.schema.name, version: p.schema.version })),
    initial,
    log,
    async apply(config) {
      // A config naming a plugin this data plane cannot run is refused whole and reported; the
      // proxy keeps the config it has (Kong's control plane would not send it at all).
      const missing = new Map<string, number>();
      for (const p of config.entities.plugins ?? []) {
        const name = p['name'] as string;
        if (p['enabled'] !== false && !runtimes.has(name)) missing.set(name, (missing.get(name) ?? 0) + 1);
      }
      if (missing.size > 0) {
        const list = [...missing].map(([name, n]) => `'${name}' (${n} instance${n === 1 ? '' : 's'})`);
        return { ok: false, reason: `plugins not available on this data plane: ${list.join(', ')}`, errors: list };
      }
      const result = await group.publish({ version: config.version, entities: config.entities });
      if (!result.ok) return { ok: false, reason: result.error };
      // The proxies serve it now, whatever the disk says: a failed write (disk full, say) is logged, not
      // reported as a refusal; the cache keeps the previous config and the next one rewrites it.
      await cache
        .write({ version: config.version, hash: config.hash, entities: config.entities })
        .catch((err: unknown) => log.error(`config version ${config.version} is applied but could not be written to the disk cache`, { error: String(err) }));
      return { ok: true, applyMs: result.ms };
    },
  });
  client.start();
  return client;
}
