// What a data plane's `/metrics` serves (Prometheus text format), in Kong's names where Kong has one:
// - from every process that runs a DataPlane (the in-process proxy, or each node:cluster worker): the
//   prometheus plugin's request families (prom-client's default registry) and kong_upstream_target_health;
// - from the process serving the status API: kong_node_info, tollgate_config_version and, in hybrid
//   mode, kong_control_plane_connected and tollgate_config_hash_info.
// With workers, prom-client's AggregatorRegistry collects every worker's registries over the cluster
// IPC channel (its messages carry type 'prom-client:…', which our own handlers ignore) and combines
// each family with the family's aggregator: counters and histograms are summed, health takes the max.
import { AggregatorRegistry, Gauge, register, Registry } from 'prom-client';
import type { DataPlane } from '@tollgate/data-plane';

/** What /metrics reads from a data plane (DataPlane's read-only accessors). */
export type MetricsSource = Pick<DataPlane, 'upstreamHealth' | 'pluginConfigs'>;

export const METRICS_CONTENT_TYPE = register.contentType;

const HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;

/**
 * kong_upstream_target_health, read from the data plane at each scrape. Exported only while some enabled
 * prometheus instance has upstream_health_metrics on (Kong's exporter `configure`). Per address, the
 * current state is 1 and the other three 0; a target with no address (DNS failed) is `dns_error` with
 * address "". Workers probe independently, so the node's value per state is the max over workers:
 * "healthy" is 1 while any worker still sends traffic there, "unhealthy" while any has marked it down.
 */
export function dataPlaneRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'kong_upstream_target_health',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
    labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'],
    aggregator: 'max',
    registers: [registry],
    collect() {
      this.reset();
      if (!source.pluginConfigs('prometheus').some((c) => c['upstream_health_metrics'] === true)) return;
      for (const { upstream, targets } of source.upstreamHealth()) {
        for (const target of targets) {
          if (target.addresses.length === 0) {
            setStates(this, upstream, target.target, '', 'dns_error');
            continue;
          }
          for (const a of target.addresses) setStates(this, upstream, target.target, `${a.ip}:${a.port}`, a.health.toLowerCase());
        }
      }
    },
  });
  return registry;
}

function setStates(gauge: Gauge, upstream: string, target: string, address: string, current: string): void {
  for (const state of HEALTH_STATES) gauge.set({ upstream, target, address, state, subsystem: 'http' }, state === current ? 1 : 0);
}

/** In-process proxy: this process's plugin families plus its data plane's health. */
export function localMetrics(source: MetricsSource): () => Promise<string> {
  const health = dataPlaneRegistry(source);
  // Merged per scrape: the plugin registers its families when it is first configured.
  return () => Registry.merge([register, health]).metrics();
}

/**
 * In a proxy worker: answer the primary's metric requests with the plugin families (default
 * registry) and this worker's data plane health. Constructing an AggregatorRegistry is what makes
 * prom-client listen for the primary's requests.
 */
export function serveWorkerMetrics(source: MetricsSource): void {
  AggregatorRegistry.setRegistries([register, dataPlaneRegistry(source)]);
  new AggregatorRegistry();
}

/** In the primary: every worker's metrics, aggregated (rejects if a worker does not answer within 5 s). */
export function clusterMetrics(): () => Promise<string> {
  const aggregator = new AggregatorRegistry();
  return () => aggregator.clusterMetrics();
}

export interface NodeMetricsInput {
  nodeId: string | undefined;
  version: string;
  /** Config version each proxy (worker) has applied; -1 for none yet. */
  applied(): number[];
  /** The control plane link, in hybrid mode only. */
  link?: (() => { state: string; hash: string | null }) | undefined;
}

function nodeInfo(registry: Registry, nodeId: string | undefined, version: string): void {
  const info = new Gauge({ name: 'kong_node_info', help: 'Kong Node metadata information', labelNames: ['node_id', 'version'], registers: [registry] });
  info.set({ node_id: nodeId ?? '', version }, 1);
}

/** The status API process's own families, computed at each scrape. */
export function nodeRegistry(input: NodeMetricsInput): Registry {
  const registry = new Registry();
  nodeInfo(registry, input.nodeId, input.version);
  new Gauge({
    name: 'tollgate_config_version',
    help: 'Version of the configuration every proxy worker has applied (the lowest one while a change is rolling out); -1 before the first. Matches configuration_version on /status.',
    registers: [registry],
    collect() {
      const versions = input.applied();
      this.set(versions.length === 0 ? -1 : Math.min(...versions));
    },
  });
  const link = input.link;
  if (link === undefined) return registry;
  new Gauge({
    name: 'kong_control_plane_connected',
    help: 'Kong connected to control plane, 0 is unconnected',
    registers: [registry],
    collect() {
      this.set(link().state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tollgate_config_hash_info',
    help: 'Hash of the configuration received from the control plane (configuration_hash on /status); always 1.',
    labelNames: ['hash'],
    registers: [registry],
    collect() {
      this.reset();
      const hash = link().hash;
      if (hash !== null) this.set({ hash }, 1);
    },
  });
  return registry;
}

/** What a control plane knows of one data plane (its registry's entry). */
export interface DataPlaneSeen {
  id: string;
  hostname: string;
  ip: string;
  version: string;
  config_hash: string;
  sync_status: string;
  /** Unix seconds. */
  last_seen: number;
}

/**
 * A control plane's /metrics: kong_node_info and, per data plane of the cluster (as Kong reads them
 * from its database), Kong's kong_data_plane_last_seen, kong_data_plane_config_hash (the hash's first
 * 52 bits as a number) and kong_data_plane_version_compatible.
 */
export function controlPlaneRegistry(input: { nodeId: string; version: string; dataPlanes: () => readonly DataPlaneSeen[] | Promise<readonly DataPlaneSeen[]> }): Registry {
  const registry = new Registry();
  nodeInfo(registry, input.nodeId, input.version);
  const labels = ['node_id', 'hostname', 'ip'];
  const perDataPlane = (name: string, help: string, value: (dp: DataPlaneSeen) => number, extra: (dp: DataPlaneSeen) => Record<string, string> = () => ({})) =>
    new Gauge({
      name,
      help,
      labelNames: name === 'kong_data_plane_version_compatible' ? [...labels, 'kong_version'] : labels,
      registers: [registry],
      async collect() {
        const planes = await input.dataPlanes();
        this.reset();
        for (const dp of planes) this.set({ node_id: dp.id, hostname: dp.hostname, ip: dp.ip, ...extra(dp) }, value(dp));
      },
    });
  perDataPlane('kong_data_plane_last_seen', 'Last time data plane contacted control plane', (dp) => dp.last_seen);
  perDataPlane('kong_data_plane_config_hash', 'Config hash numeric value of the data plane', (dp) => parseInt(dp.config_hash.slice(0, 13), 16) || 0);
  perDataPlane(
    'kong_data_plane_version_compatible',
    'Version compatible status of the data plane, 0 is incompatible',
    (dp) => (dp.sync_status === 'incompatible' ? 0 : 1),
    (dp) => ({ kong_version: dp.version }),
  );
  return registry;
}

/** Joins exposition texts of registries with distinct families. */
export function joinExpositions(texts: readonly string[]): string {
  const parts = texts.map((t) => t.trim()).filter((t) => t !== '');
  return parts.length === 0 ? '' : `${parts.join('\n\n')}\n`;
}
