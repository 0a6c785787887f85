// The changelog is pruned: `changelog_from` is the version up to which its rows may be gone. Changes
// of every version after it are all there, so a delta from an older version must not be built.
import type { Migration } from './index.ts';

export const migration: Migration = {
  id: '002_changelog_horizon',
  up: `ALTER TABLE "tollgate_config_state" ADD COLUMN "changelog_from" bigint NOT NULL DEFAULT 0;`,
};
