// `tollgate start`: open the store, check migrations, serve the Admin API until SIGINT/SIGTERM.
import { createAdminApi } from '@tollgate/control-plane';
import { assertMigrated, migrateUp } from '@tollgate/control-plane/store';
import { createPreparer, nodeId, openNodeStore } from '../context.ts';
import { parseListen, UsageError, type Options } from '../options.ts';
import { VERSION } from '../version.ts';

export async function start(options: Options): Promise<number> {
  const role = options.role ?? 'traditional';
  if (role !== 'traditional' && role !== 'control_plane') {
    throw new UsageError(`unknown role '${role}': expected traditional or control_plane (data_plane is not available yet)`);
  }
  const listen = parseListen(options.admin_listen ?? '127.0.0.1:8001');
  const preparer = createPreparer(options);
  const opened = await openNodeStore(options);
  try {
    // The embedded store is this node's own, so it is migrated on start; a shared Postgres is migrated explicitly.
    if (opened.db.kind === 'pglite') await migrateUp(opened.db);
    else await assertMigrated(opened.db);
  } catch (err) {
    await opened.close();
    throw err;
  }
  const admin = createAdminApi({
    store: opened.store,
    preparer,
    node: { version: VERSION, nodeId: nodeId(options), role, configuration: { role, admin_listen: options.admin_listen, database: opened.db.kind, prefix: options.prefix } },
    adminToken: options.admin_token,
  });
  const address = await admin.listen(listen.port, listen.host);
  console.log(`tollgate ${VERSION} (${role}) — Admin API on http://${address.address}:${address.port}, store: ${opened.db.kind} at ${opened.location}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`received ${signal}, shutting down`);
      void admin
        .close()
        .then(() => opened.close())
        .then(() => resolve(0), (err: unknown) => {
          console.error('error during shutdown', err);
          resolve(1);
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
