// `tollgate start`: a traditional node (Admin API + proxy on the embedded store or Postgres), a
// control plane (Admin API only, for now), or a DB-less data plane serving a declarative file.
import { availableParallelism } from 'node:os';
import { createAdminApi, type AdminApi } from '@tollgate/control-plane';
import { ClientTrust, KongHeaders, type RealIpSettings } from '@tollgate/data-plane';
import { assertMigrated, migrateUp, pruneChangelogPeriodically } from '@tollgate/control-plane/store';
import { createPreparer, nodeId, openNodeStore, prefixDir, type OpenedStore } from '../context.ts';
import { consoleLogger } from '../logger.ts';
import { parseListen, parseListenList, splitList, UsageError, type Options } from '../options.ts';
import { loadDeclarativeFile, watchStore } from '../proxy/sources.ts';
import { defaultCertificate } from '../proxy/runtime.ts';
import { startProxies, type ProxyGroup } from '../proxy/supervisor.ts';
import { VERSION } from '../version.ts';
import { controlPlaneRegistry, joinExpositions, METRICS_CONTENT_TYPE, nodeRegistry } from '../metrics.ts';
import { startStatusApi, type StatusApi } from '../status-api.ts';
import { controlPlaneCluster, dataPlaneLink } from '../cluster.ts';

type Role = 'traditional' | 'control_plane' | 'data_plane';
const ROLES: readonly Role[] = ['traditional', 'control_plane', 'data_plane'];

export async function start(options: Options): Promise<number> {
  const role = (options.role ?? 'traditional') as Role;
  if (!ROLES.includes(role)) throw new UsageError(`unknown role '${role}': expected traditional, control_plane or data_plane`);
  const workers = options.workers === undefined ? availableParallelism() : Number(options.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number of at least 1, not '${options.workers}'`);
  const log = consoleLogger(role);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.error('error during shutdown', { error: String(err) }));
  };

  try {
    if (role === 'data_plane') await startDataPlane(options, workers, log, stops);
    else await startWithStore(options, role, workers, log, stops);
  } catch (err) {
    await stopAll();
    throw err;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`received ${signal}, draining and shutting down`);
      void stopAll().then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** --trusted-ips, --real-ip-header, --real-ip-recursive, checked here so a bad entry stops the start with its name. */
function realIpSettings(options: Options): RealIpSettings | undefined {
  const trustedIps = splitList(options.trusted_ips).filter((s) => s !== 'unix:');
  const recursive = options.real_ip_recursive ?? 'off';
  if (!['on', 'off', 'true', 'false'].includes(recursive)) throw new UsageError(`--real-ip-recursive must be on or off, not '${recursive}'`);
  const header = options.real_ip_header ?? 'X-Real-IP';
  if (header === 'proxy_protocol') throw new UsageError('--real-ip-header proxy_protocol: the PROXY protocol is not supported; name the header your load balancer sets (X-Forwarded-For)');
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) throw new UsageError(`--real-ip-header must be a header name, not '${header}'`);
  if (trustedIps.length === 0) return undefined;
  const settings: RealIpSettings = { trustedIps, header, recursive: recursive === 'on' || recursive === 'true' };
  try {
    new ClientTrust(settings);
  } catch (err) {
    throw new UsageError(`--trusted-ips: ${(err as Error).message}`);
  }
  return settings;
}

/**
 * --headers and --headers-upstream as token lists, and --error-default-type, checked here so a bad
 * value stops the start with the option's name.
 */
function answerSettings(options: Options): { headers: string[]; headersUpstream: string[]; errorDefaultType: string } {
  const settings = { headers: splitList(options.headers), headersUpstream: splitList(options.headers_upstream), errorDefaultType: options.error_default_type ?? 'text/plain' };
  try {
    new KongHeaders(settings.headers, settings.headersUpstream, settings.errorDefaultType);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message.replace(/^(headers_upstream|error_default_type)/, (name) => name.replaceAll('_', '-'))}`);
  }
  return settings;
}

async function proxies(options: Options, workers: number, log: ReturnType<typeof consoleLogger>): Promise<ProxyGroup> {
  const listen = parseListenList(options.proxy_listen ?? '');
  const certificate = await defaultCertificate(prefixDir(options), options.ssl_cert, options.ssl_cert_key);
  const group = await startProxies({ listen, certificate, plugins: options.plugins, realIp: realIpSettings(options), ...answerSettings(options) }, workers, log);
  log.info(`proxy listening on ${listen.map((l) => `${l.tls ? 'https' : 'http'}://${l.host}:${l.port}`).join(', ')} with ${workers} worker${workers === 1 ? '' : 's'}`);
  return group;
}

async function startWithStore(options: Options, role: Role, workers: number, log: ReturnType<typeof consoleLogger>, stops: Array<() => Promise<void>>): Promise<void> {
  const listen = parseListen(options.admin_listen ?? '127.0.0.1:8001');
  const preparer = await createPreparer(options);
  const opened: OpenedStore = await openNodeStore(options);
  stops.push(() => opened.close());
  // The embedded store is this node's own, so it is migrated on start; a shared Postgres is migrated explicitly.
  if (opened.db.kind === 'pglite') await migrateUp(opened.db);
  else await assertMigrated(opened.db);
  const stopPruning = pruneChangelogPeriodically(opened.store, { log });
  stops.push(async () => stopPruning());
  const cluster = role === 'control_plane' && options.cluster_cert !== undefined ? controlPlaneCluster(options, opened.db, opened.store, nodeId(options), log) : undefined;
  if (role === 'control_plane' && cluster === undefined) log.warn('no --cluster-cert: running the Admin API without a cluster listener (make certificates with `tollgate certs generate`)');
  // Set once the proxy runs (traditional): the Admin API reports its targets' health and metrics.
  let group: ProxyGroup | undefined;
  const own =
    role === 'traditional'
      ? nodeRegistry({ nodeId: nodeId(options), version: VERSION, applied: () => group?.applied() ?? [] })
      : controlPlaneRegistry({ nodeId: nodeId(options), version: VERSION, dataPlanes: () => cluster?.presence.list() ?? [] });
  const admin: AdminApi = createAdminApi({
    dataPlanes: cluster?.presence,
    pluginControl: role === 'traditional' ? async (plugin, command, args) => (group === undefined ? { answers: [], complete: false } : group.pluginControl(plugin, command, args)) : undefined,
    metrics: { contentType: METRICS_CONTENT_TYPE, collect: async () => joinExpositions(await Promise.all([group?.metrics() ?? '', own.metrics()])) },
    targetHealth:
      role === 'traditional'
        ? {
            health: async () => (group === undefined ? [] : group.health()),
            setTargetHealth: async (u, t, healthy, address) => (group === undefined ? 'incomplete' : group.setTargetHealth(u, t, healthy, address)),
          }
        : undefined,
    store: opened.store,
    preparer,
    node: { version: VERSION, nodeId: nodeId(options), role: role as 'traditional' | 'control_plane', configuration: { role, admin_listen: options.admin_listen, proxy_listen: options.proxy_listen, database: opened.db.kind, prefix: options.prefix } },
    adminToken: options.admin_token,
  });
  // The proxy comes up (with the store's config applied) before the Admin API answers, so a
  // client that waits for the Admin API finds the whole node ready.
  if (role === 'traditional') {
    const started = (group = await proxies(options, workers, log));
    stops.push(() => started.close());
    const unwatch = await watchStore(opened.db, opened.store, (s) => started.publish(s), log);
    stops.push(unwatch);
  }
  const address = await admin.listen(listen.port, listen.host);
  stops.push(() => admin.close());
  if (cluster !== undefined) {
    const listening = await cluster.listen();
    stops.push(() => listening.close());
  }
  console.log(`tollgate ${VERSION} (${role}) — Admin API on http://${address.address}:${address.port}, store: ${opened.db.kind} at ${opened.location}`);
}

async function startDataPlane(options: Options, workers: number, log: ReturnType<typeof consoleLogger>, stops: Array<() => Promise<void>>): Promise<void> {
  const file = options.declarative_config;
  const cp = options.cluster_control_plane;
  if ((file === undefined) === (cp === undefined)) {
    throw new UsageError('a data_plane needs either --cluster-control-plane HOST:PORT (hybrid mode) or --declarative-config FILE (DB-less)');
  }
  const snapshot = file !== undefined ? loadDeclarativeFile(file, await createPreparer(options)) : undefined;
  const group = await proxies(options, workers, log);
  stops.push(() => group.close());
  let link: Awaited<ReturnType<typeof dataPlaneLink>> | undefined;
  if (snapshot !== undefined) await group.publish(snapshot);
  else {
    link = await dataPlaneLink(options, prefixDir(options), nodeId(options), group, log);
    const l = link;
    stops.push(() => l.stop());
  }
  const linkState = link === undefined ? undefined : () => ({ state: link.state, version: link.current?.version ?? null, hash: link.current?.hash ?? null });
  const status = options.status_listen === undefined || options.status_listen === 'off' ? undefined : await startStatusApi(parseListen(options.status_listen), group, linkState, { nodeId: nodeId(options) });
  if (status !== undefined) stops.push(() => status.close());
  console.log(`tollgate ${VERSION} (data_plane) — ${file !== undefined ? `serving ${file}` : `following the control plane at ${cp}`}`);
}

export type { StatusApi };
