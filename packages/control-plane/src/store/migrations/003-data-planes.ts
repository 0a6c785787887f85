// Data planes as control-plane nodes last saw them, so every node sharing the database lists every data
// plane (GET /clustering/data-planes), whichever node a data plane is connected to. Written in batches
// (cluster/presence.ts), not once per heartbeat; rows silent for the TTL are deleted.
import type { Migration } from './index.ts';

export const migration: Migration = {
  id: '003_data_planes',
  up: `CREATE TABLE "tollgate_data_planes" (
  "id" text PRIMARY KEY,
  "info" jsonb NOT NULL,
  "last_seen" bigint NOT NULL,
  "cp_node_id" text NOT NULL
);`,
};
