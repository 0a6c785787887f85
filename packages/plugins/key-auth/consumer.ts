// What Kong's auth plugins share (key-auth, basic-auth and jwt import it from here): the consumer
// headers sent upstream after authentication, the `anonymous` fallback, and the "logical OR" skip.
import type { Consumer, EntityView, PluginContext } from '@tollgate/plugin-sdk';

export const CONSUMER_ID = 'x-consumer-id';
export const CONSUMER_USERNAME = 'x-consumer-username';
export const CONSUMER_CUSTOM_ID = 'x-consumer-custom-id';
export const CREDENTIAL_IDENTIFIER = 'x-credential-identifier';
export const ANONYMOUS = 'x-anonymous-consumer';

/** Common to the auth plugins' configs. */
export interface AuthConfig {
  anonymous?: string | null;
  run_on_preflight?: boolean;
}

/**
 * A failed authentication: the 401 (or other) Kong would send. With `message`, an error in the format
 * the client asks for (key-auth and basic-auth, through kong.response.error); with `body`, that JSON
 * as is (jwt, through kong.response.exit).
 */
export type AuthFailure = { status: number; headers?: Record<string, string> | undefined } & ({ message: string; body?: undefined } | { body: Record<string, unknown>; message?: undefined });

export function unauthorized(message: string, wwwAuthenticate?: string): AuthFailure {
  return { status: 401, message, headers: wwwAuthenticate === undefined ? undefined : { 'WWW-Authenticate': wwwAuthenticate } };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Authenticates the request as `consumer` and sets Kong's consumer headers upstream, replacing any
 * copy the client sent. `identifier` is what goes in X-Credential-Identifier (the credential id, or
 * the key for jwt); no credential means the anonymous consumer.
 */
export function setConsumer(ctx: PluginContext<unknown>, consumer: EntityView, credential?: EntityView, identifier?: string): void {
  ctx.authenticate(consumer as unknown as Consumer, credential);
  const up = ctx.upstream;
  up.setHeader(CONSUMER_ID, consumer.id);
  const customId = text(consumer['custom_id']);
  if (customId !== undefined) up.setHeader(CONSUMER_CUSTOM_ID, customId);
  else up.removeHeader(CONSUMER_CUSTOM_ID);
  const username = text(consumer['username']);
  if (username !== undefined) up.setHeader(CONSUMER_USERNAME, username);
  else up.removeHeader(CONSUMER_USERNAME);
  const ident = identifier ?? (credential !== undefined ? credential.id : undefined);
  if (ident !== undefined) up.setHeader(CREDENTIAL_IDENTIFIER, ident);
  else up.removeHeader(CREDENTIAL_IDENTIFIER);
  if (credential !== undefined) up.removeHeader(ANONYMOUS);
  else up.setHeader(ANONYMOUS, 'true');
}

/** The anonymous consumer, by id or username, as Kong's `kong.client.load_consumer(x, true)`. */
export function findConsumer(ctx: PluginContext<unknown>, idOrUsername: string): EntityView | undefined {
  return ctx.entities.get('consumers', idOrUsername) ?? ctx.entities.find('consumers', 'username', idOrUsername);
}

/**
 * The access handler every Kong auth plugin has: skip preflights when asked, skip when `anonymous`
 * is set and another plugin already authenticated (logical OR), else authenticate, falling back to
 * the anonymous consumer or answering with the failure.
 */
export function runAuth<C extends AuthConfig>(
  ctx: PluginContext<C>,
  authenticate: (ctx: PluginContext<C>) => AuthFailure | undefined | Promise<AuthFailure | undefined>,
): void | Promise<void> {
  const { config } = ctx;
  if (config.run_on_preflight === false && ctx.request.method === 'OPTIONS') return;
  const anonymous = text(config.anonymous);
  if (anonymous !== undefined && ctx.credential !== undefined) return;
  // Synchronous when the check is (key-auth, basic-auth): no promise on the proxy's hot path.
  const failure = authenticate(ctx);
  if (failure instanceof Promise) return failure.then((f) => fallBack(ctx, f, anonymous));
  fallBack(ctx, failure, anonymous);
}

/** After a failed check: the anonymous consumer when configured, else the failure as the answer. */
function fallBack<C extends AuthConfig>(ctx: PluginContext<C>, failure: AuthFailure | undefined, anonymous: string | undefined): void {
  if (failure === undefined) return;
  if (anonymous === undefined) {
    if (failure.message !== undefined) ctx.response.error(failure.status, failure.message, failure.headers);
    else ctx.response.exit(failure.status, failure.body, failure.headers);
    return;
  }
  const consumer = findConsumer(ctx as PluginContext<unknown>, anonymous);
  if (consumer === undefined) {
    const message = `anonymous consumer ${anonymous} is configured but doesn't exist`;
    ctx.log.error(message);
    ctx.response.error(500, message);
    return;
  }
  setConsumer(ctx as PluginContext<unknown>, consumer);
}

/** The consumer a credential belongs to (`consumer` is a foreign key `{id}`). */
export function credentialConsumer(ctx: PluginContext<unknown>, credential: EntityView): EntityView {
  const ref = credential['consumer'];
  const id = typeof ref === 'object' && ref !== null ? (ref as { id?: unknown }).id : ref;
  const consumer = typeof id === 'string' ? ctx.entities.get('consumers', id) : undefined;
  // Credentials are deleted with their consumer, so this is a broken snapshot: a 500, as Kong's cache error.
  if (consumer === undefined) throw new Error(`consumer of credential ${credential.id} not found`);
  return consumer;
}
