// The ordered list of schema migrations. Append only: a shipped migration never changes.
import { migration as initial } from './001-initial.ts';
import { migration as changelogHorizon } from './002-changelog-horizon.ts';
import { migration as dataPlanes } from './003-data-planes.ts';

export interface Migration {
  /** `NNN_snake_name`, sorted by NNN; recorded in `tollgate_migrations` once applied. */
  readonly id: string;
  /** SQL run once, inside the migration transaction. */
  readonly up: string;
}

export const MIGRATIONS: readonly Migration[] = [initial, changelogHorizon, dataPlanes];
