// @tollgate/data-plane: the proxy. Feed it config snapshots; it routes, balances and runs plugins.
export { DataPlane, type ApplyResult, type DataPlaneOptions, type ListenAddress, type UpstreamHealth } from './node.ts';
export type { SetHealthResult, TargetHealth } from './balancer/index.ts';
export { ClientTrust, type RealIpSettings } from './proxy/real-ip.ts';
export { KongHeaders } from './proxy/kong-headers.ts';
export type { ConfigSnapshot, SnapshotEntity } from './config/snapshot.ts';
export { pluginRegistry, type PluginRegistry } from './plugins/registry.ts';
export { answerCounterRequest, MemoryCounterStore, RemoteCounterStore, type CounterReply, type CounterRequest, type CounterStore } from './plugins/counters.ts';
export { selfSignedCertificate, type PemPair } from './tls/self-signed.ts';
export { generateClusterCertificates, issueCertificate, DEFAULT_CLUSTER_SERVER_NAME, type CertificateOptions, type ClusterCertificateOptions, type ClusterCertificates } from './tls/cluster-certs.ts';
export { ClusterClient, type AppliedConfig, type ApplyOutcome, type ClusterClientOptions, type ClusterClientTls, type LinkState } from './cluster/client.ts';
export { createConfigCache, deriveCacheKey, type CacheEntry, type ConfigCache, type ReadResult } from './cluster/cache.ts';
