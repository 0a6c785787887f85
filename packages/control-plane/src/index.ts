// @tollgate/control-plane: the Admin API and the declarative import/export over the store.
export { createAdminApi, type AdminApi, type AdminApiOptions } from './admin/server.ts';
export type { NodeInfo } from './admin/info-endpoints.ts';
export { exportConfig, importConfig, readConfig, validateConfig, type ImportResult } from './config/import-export.ts';
export { ClusterServer, CLUSTER_PATH, type ClusterServerOptions, type ClusterTls } from './cluster/server.ts';
export { SnapshotSource } from './cluster/snapshots.ts';
export { DataPlaneRegistry, type DataPlaneInfo, type SyncStatus } from './cluster/registry.ts';
export { ClusterPresence, type PresenceOptions } from './cluster/presence.ts';
