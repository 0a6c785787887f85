// Store errors that are not Kong entity errors: the database being unreachable, and the database
// needing migrations. The Admin API answers the first with 503 and the CLI prints the second.

/**
 * The database cannot be reached (refused, reset, shut down, timed out). Writes are refused until it
 * returns; the process stays up and the next query tries again.
 *
 * @example
 *   try { await store.insert(services, record) }
 *   catch (err) { if (err instanceof StoreUnavailableError) reply(err.status, { message: err.message }) }
 */
export class StoreUnavailableError extends Error {
  readonly code = 'TG_STORE_UNAVAILABLE';
  readonly status = 503;
  /** `host:port` of the database. */
  readonly location: string;

  constructor(location: string, cause?: unknown) {
    super(`the database at ${location} is unreachable; writes are refused until it returns`, { cause });
    this.name = 'StoreUnavailableError';
    this.location = location;
  }
}

/** Migrations are pending: the store refuses to run on a schema it does not know. */
export class StoreNotMigratedError extends Error {
  readonly code = 'TG_STORE_NOT_MIGRATED';
  readonly status = 500;
  readonly pending: readonly string[];

  constructor(message: string, pending: readonly string[]) {
    super(message);
    this.name = 'StoreNotMigratedError';
    this.pending = pending;
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Connection ended unexpectedly',
];

/** True for errors that mean "the server is gone", as opposed to errors in what we asked of it. */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
  // node's happy-eyeballs connect (localhost → ::1 and 127.0.0.1) fails with an AggregateError.
  const nested = (err as { errors?: unknown }).errors;
  return Array.isArray(nested) && nested.some(isConnectionError);
}
