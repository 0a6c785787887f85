// Shared pieces of the store's test suites: the back-end harness, record builders, and a reset that
// empties a migrated database between tests (TRUNCATE fires no row triggers, so no changelog rows).
import { uuidV4, type EntityRecord } from '@tollgate/schema';
import { MIGRATIONS } from './migrations/index.ts';
import type { Database } from './types.ts';

export interface StoreHarness {
  /** Opens a database with migrations applied; the suite closes it. */
  open(): Promise<Database>;
  /** Opens a brand-new database with no migrations applied; the suite closes it. */
  fresh(): Promise<Database>;
}

export const ENTITY_TABLES = [
  'certificates',
  'snis',
  'ca_certificates',
  'services',
  'routes',
  'consumers',
  'upstreams',
  'targets',
  'keyauth_credentials',
  'basicauth_credentials',
  'jwt_secrets',
  'acls',
  'plugins',
] as const;

export async function resetDatabase(db: Database): Promise<void> {
  const tables = [...ENTITY_TABLES, 'tollgate_changelog'].map((t) => `"${t}"`).join(', ');
  await db.exec(`TRUNCATE ${tables} CASCADE; UPDATE "tollgate_config_state" SET "version" = 0, "changelog_from" = 0;`);
}

/** Every migration id, in order. */
export const ALL_MIGRATIONS = MIGRATIONS.map((m) => m.id);

function base(extra: Record<string, unknown>): EntityRecord {
  return { id: uuidV4(), created_at: 1_700_000_000, updated_at: 1_700_000_000, tags: null, ...extra };
}

export const make = {
  service: (name: string | null, extra: Record<string, unknown> = {}) =>
    base({ name, protocol: 'http', host: 'example.com', port: 80, retries: 5, enabled: true, ...extra }),
  route: (name: string | null, serviceId: string | null, extra: Record<string, unknown> = {}) =>
    base({ name, paths: ['/'], service: serviceId === null ? null : { id: serviceId }, ...extra }),
  consumer: (username: string, extra: Record<string, unknown> = {}) => base({ username, custom_id: null, ...extra }),
  keyAuth: (consumerId: string, key: string) => base({ consumer: { id: consumerId }, key }),
  acl: (consumerId: string, group: string) => base({ consumer: { id: consumerId }, group }),
  plugin: (name: string, scope: { route?: string; service?: string; consumer?: string } = {}) =>
    base({
      name,
      instance_name: null,
      enabled: true,
      config: {},
      route: scope.route !== undefined ? { id: scope.route } : null,
      service: scope.service !== undefined ? { id: scope.service } : null,
      consumer: scope.consumer !== undefined ? { id: scope.consumer } : null,
    }),
};

/** The rejection of `promise`, failing the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
