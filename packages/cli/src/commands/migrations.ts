// `tollgate migrations up|status`: versioned schema changes of the store.
import { migrateUp, migrationStatus } from '@tollgate/control-plane/store';
import { openNodeStore } from '../context.ts';
import { UsageError, type Options } from '../options.ts';

export async function migrations(options: Options): Promise<number> {
  const action = options.positionals[1];
  if (action !== 'up' && action !== 'status') throw new UsageError("usage: tollgate migrations up|status [--pg-url URL | --prefix DIR]");
  const opened = await openNodeStore(options);
  try {
    if (action === 'up') {
      const applied = await migrateUp(opened.db);
      console.log(applied.length === 0 ? `database at ${opened.location} is up to date` : `applied ${applied.length} migration(s): ${applied.join(', ')}`);
    } else {
      const status = await migrationStatus(opened.db);
      console.log(`database: ${opened.location}`);
      console.log(`applied: ${status.applied.length === 0 ? '(none)' : status.applied.join(', ')}`);
      console.log(`pending: ${status.pending.length === 0 ? '(none)' : status.pending.join(', ')}`);
      if (status.pending.length > 0) console.log("run 'tollgate migrations up' to apply them");
    }
    return 0;
  } finally {
    await opened.close();
  }
}
