// Starts a real Admin API on 127.0.0.1 over a real store (in-memory PGlite, or a fresh database on
// the throwaway Postgres server), and a tiny client for it.
import { createAdminApi, type AdminApi, type AdminApiOptions } from '@tollgate/control-plane';
import { migrateUp, openStore, type Database, type EntityStore } from '@tollgate/control-plane/store';
import { EntityPreparer } from '@tollgate/schema';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import { createTestDatabase, postgresAvailable } from './postgres.ts';

export type Backend = 'pglite' | 'postgres';

/** The back ends this run covers: PGlite always, Postgres when a server is available. */
export const BACKENDS: Backend[] = postgresAvailable() ? ['pglite', 'postgres'] : ['pglite'];

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface AdminHarness {
  url: string;
  store: EntityStore;
  db: Database;
  api: AdminApi;
  /** Sends JSON (objects), a form (URLSearchParams) or raw text, and parses JSON replies. */
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  close(): Promise<void>;
}

export async function openBackend(backend: Backend): Promise<{ db: Database; store: EntityStore }> {
  const pgUrl = backend === 'postgres' ? await createTestDatabase() : undefined;
  const opened = await openStore(pgUrl === undefined ? {} : { pgUrl });
  await migrateUp(opened.db);
  return opened;
}

export async function startAdmin(backend: Backend, options: { adminToken?: string; bodyLimit?: number; dataPlanes?: AdminApiOptions['dataPlanes'] } = {}): Promise<AdminHarness> {
  const { db, store } = await openBackend(backend);
  const api = createAdminApi({
    store,
    preparer: new EntityPreparer(bundledPluginCatalog),
    node: { version: '0.0.0-test', nodeId: '00000000-0000-4000-8000-000000000000', role: 'traditional', configuration: {} },
    adminToken: options.adminToken,
    dataPlanes: options.dataPlanes,
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
    logger: { error: () => {}, info: () => {} },
  });
  const address = await api.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    store,
    db,
    api,
    async request(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body instanceof URLSearchParams) {
        init.body = body.toString();
        (init.headers as Record<string, string>)['content-type'] ??= 'application/x-www-form-urlencoded';
      } else if (typeof body === 'string') init.body = body;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, headers: res.headers, body: parsed as never };
    },
    async close() {
      await api.close();
      await db.close();
    },
  };
}
