// @tollgate/data-plane: the proxy. Feed it config snapshots; it routes, balances and runs plugins.
export { DataPlane, type ApplyResult, type DataPlaneOptions, type ListenAddress } from './node.ts';
export type { ConfigSnapshot, SnapshotEntity } from './config/snapshot.ts';
export { pluginRegistry, type PluginRegistry } from './plugins/registry.ts';
export { selfSignedCertificate, type PemPair } from './tls/self-signed.ts';
