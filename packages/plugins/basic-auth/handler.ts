// basic-auth: authenticates a consumer by username and password (`Proxy-Authorization`, then
// `Authorization`: Basic), the password checked against SHA-1(password ‖ consumer id) as Kong stores it
// (kong/plugins/basic-auth/access.lua).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';
import { credentialConsumer, runAuth, setConsumer, unauthorized, type AuthFailure } from '../key-auth/consumer.ts';

export interface BasicAuthConfig {
  anonymous: string | null;
  hide_credentials: boolean;
  realm: string;
}

// Kong 3.x answers every basic-auth failure with this (2.x said "Invalid authentication credentials").
export const BASIC_UNAUTHORIZED = 'Unauthorized';

const BASIC = /^\s*[Bb]asic\s*(.+)$/;

/** Username and password from a `Basic` header value, or undefined when it does not parse. */
export function parseBasic(value: string | undefined): { username: string; password: string } | undefined {
  if (value === undefined) return undefined;
  const m = BASIC.exec(value);
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1]!.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // Kong's ([^:]+):(.*): a non-empty username, the rest (colons included) is the password.
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function passwordMatches(stored: unknown, password: string, consumerId: string): boolean {
  if (typeof stored !== 'string') return false;
  const given = createHash('sha1').update(password + consumerId).digest('hex');
  const a = Buffer.from(given);
  const b = Buffer.from(stored.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

function consumerId(credential: Record<string, unknown>): string {
  const ref = credential['consumer'];
  return typeof ref === 'object' && ref !== null ? String((ref as { id?: unknown }).id) : String(ref);
}

function authenticate(ctx: PluginContext<BasicAuthConfig>): AuthFailure | undefined {
  const www = `Basic realm="${ctx.config.realm}"`;
  const proxyAuth = ctx.request.header('proxy-authorization');
  const auth = ctx.request.header('authorization');
  if (proxyAuth === undefined && auth === undefined) return unauthorized(BASIC_UNAUTHORIZED, www);
  let found: { credential: ReturnType<typeof ctx.entities.find>; password: string } | undefined;
  for (const name of ['proxy-authorization', 'authorization'] as const) {
    const given = parseBasic(name === 'authorization' ? auth : proxyAuth);
    if (given === undefined) continue;
    if (ctx.config.hide_credentials) ctx.upstream.removeHeader(name);
    const credential = ctx.entities.find('basicauth_credentials', 'username', given.username);
    if (credential !== undefined) {
      found = { credential, password: given.password };
      break;
    }
  }
  const credential = found?.credential;
  if (credential === undefined || !passwordMatches(credential['password'], found!.password, consumerId(credential)))
    return unauthorized(BASIC_UNAUTHORIZED, www);
  setConsumer(ctx, credentialConsumer(ctx, credential), credential);
  return undefined;
}

export const basicAuthHandlers: PluginHandlers<BasicAuthConfig> = {
  access: (ctx) => runAuth(ctx, authenticate),
};
