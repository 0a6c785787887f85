// The data plane's input: every entity a proxy needs, flat and already validated (a declarative file
// loaded by @tollgate/schema, the store's contents, or a snapshot from the control plane).
import type { EntityRecord } from '@tollgate/schema';

export type SnapshotEntity =
  | 'services'
  | 'routes'
  | 'consumers'
  | 'plugins'
  | 'upstreams'
  | 'targets'
  | 'certificates'
  | 'snis'
  | 'ca_certificates'
  | 'keyauth_credentials'
  | 'basicauth_credentials'
  | 'jwt_secrets'
  | 'acls';

export interface ConfigSnapshot {
  /** Monotonic config version (0 when unknown, e.g. a declarative file). */
  version: number;
  entities: Partial<Record<SnapshotEntity, readonly EntityRecord[]>>;
}
