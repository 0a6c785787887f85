// jwt: authenticates a consumer by a signed JSON Web Token (kong/plugins/jwt/handler.lua and
// jwt_parser.lua). The token comes from `Authorization: Bearer`, query parameters or cookies; its
// `iss` claim (key_claim_name) names a jwt_secrets credential whose algorithm must match the token's.
// Signatures are checked with `jose`; exp/nbf only when listed in claims_to_verify, as Kong does.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import type { EntityView, PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';
import { credentialConsumer, runAuth, setConsumer, type AuthFailure } from '../key-auth/consumer.ts';

export interface JwtConfig {
  uri_param_names: string[];
  cookie_names: string[];
  header_names: string[];
  key_claim_name: string;
  secret_is_base64: boolean;
  claims_to_verify: Array<'exp' | 'nbf'> | null;
  anonymous: string | null;
  run_on_preflight: boolean;
  maximum_expiration: number;
  realm: string | null;
}

const BEARER = /^\s*[Bb]earer\s+(.+)/;
const ALGORITHMS = new Set(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA']);

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** The distinct tokens in the request (Kong's retrieve_tokens). */
export function retrieveTokens(ctx: PluginContext<JwtConfig>): string[] {
  const set = new Set<string>();
  const { config } = ctx;
  if (config.uri_param_names.length > 0) {
    const query = ctx.request.query();
    for (const name of config.uri_param_names) for (const t of query.getAll(name)) if (t !== '') set.add(t);
  }
  if (config.cookie_names.length > 0) {
    const cookies = parseCookies(ctx.request.header('cookie'));
    for (const name of config.cookie_names) {
      const c = cookies.get(name);
      if (c !== undefined && c !== '') set.add(c);
    }
  }
  for (const name of config.header_names) {
    const raw = ctx.request.headers[name.toLowerCase()];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined) continue;
    const m = BEARER.exec(value);
    if (m !== null && m[1]!.trim() !== '') set.add(m[1]!.trim());
  }
  return [...set];
}

interface Decoded {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

function decodePart(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

/** Kong's jwt_parser decode_token: the error text follows "Bad token; ". */
export function decodeToken(token: string): Decoded | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'invalid JWT';
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = decodePart(parts[0]!);
    claims = decodePart(parts[1]!);
  } catch {
    return 'invalid JSON';
  }
  if (header['typ'] !== undefined && String(header['typ']).toUpperCase() !== 'JWT') return 'invalid typ';
  if (typeof header['alg'] !== 'string' || !ALGORITHMS.has(header['alg'])) return 'invalid alg';
  return { header, claims };
}

// Parsed keys per credential and config flag, kept as long as the credential's snapshot lives.
const keyCache = new WeakMap<EntityView, Map<string, Uint8Array | KeyObject>>();

function verificationKey(secret: EntityView, algorithm: string, base64: boolean): Uint8Array | KeyObject | undefined {
  const cacheKey = `${algorithm}:${base64}`;
  let perSecret = keyCache.get(secret);
  const hit = perSecret?.get(cacheKey);
  if (hit !== undefined) return hit;
  let key: Uint8Array | KeyObject;
  if (algorithm.startsWith('HS')) {
    const value = secret['secret'];
    if (typeof value !== 'string' || value === '') return undefined;
    key = base64 ? new Uint8Array(Buffer.from(value, 'base64')) : new TextEncoder().encode(value);
  } else {
    const pem = secret['rsa_public_key'];
    if (typeof pem !== 'string' || pem === '') return undefined;
    try {
      key = createPublicKey(pem);
    } catch {
      return undefined;
    }
  }
  if (perSecret === undefined) keyCache.set(secret, (perSecret = new Map()));
  perSecret.set(cacheKey, key);
  return key;
}

/** Kong's verify_registered_claims: `{claim: error}` for each failing claim, or undefined. */
export function verifyClaims(claims: Record<string, unknown>, toVerify: readonly string[], now: number): Record<string, string> | undefined {
  let errors: Record<string, string> | undefined;
  for (const name of toVerify) {
    const value = claims[name];
    let error: string | undefined;
    if (typeof value !== 'number') error = 'must be a number';
    else if (name === 'exp' && value <= now) error = 'token expired';
    else if (name === 'nbf' && value > now) error = 'token not valid yet';
    if (error !== undefined) (errors ??= {})[name] = error;
  }
  return errors;
}

async function authenticate(ctx: PluginContext<JwtConfig>): Promise<AuthFailure | undefined> {
  const { config } = ctx;
  const base = config.realm != null ? `Bearer realm="${config.realm}"` : 'Bearer';
  const withError = `${base} error="invalid_token"`;
  const fail = (body: Record<string, unknown>, www = withError): AuthFailure => ({ status: 401, body, headers: { 'WWW-Authenticate': www } });

  const tokens = retrieveTokens(ctx);
  if (tokens.length === 0) return fail({ message: 'Unauthorized' }, base);
  if (tokens.length > 1) return fail({ message: 'Multiple tokens provided' });
  const token = tokens[0]!;

  const decoded = decodeToken(token);
  if (typeof decoded === 'string') return fail({ message: `Bad token; ${decoded}` });
  const claimName = config.key_claim_name;
  const keyValue = decoded.claims[claimName] ?? decoded.header[claimName];
  if (keyValue === undefined || keyValue === null) return fail({ message: `No mandatory '${claimName}' in claims` });
  if (keyValue === '' || typeof keyValue !== 'string') return fail({ message: `Invalid '${claimName}' in claims` });

  const secret = ctx.entities.find('jwt_secrets', 'key', keyValue);
  if (secret === undefined) return fail({ message: `No credentials found for given '${claimName}'` });

  const algorithm = typeof secret['algorithm'] === 'string' ? secret['algorithm'] : 'HS256';
  if (decoded.header['alg'] !== algorithm) return fail({ message: 'Invalid algorithm' });

  const key = verificationKey(secret, algorithm, config.secret_is_base64);
  if (key === undefined) return fail({ message: 'Invalid key/secret' });
  try {
    await compactVerify(token, key, { algorithms: [algorithm] });
  } catch {
    return fail({ message: 'Invalid signature' });
  }

  const now = Math.floor(Date.now() / 1000);
  const claimErrors = verifyClaims(decoded.claims, config.claims_to_verify ?? [], now);
  if (claimErrors !== undefined) return fail(claimErrors);
  if (config.maximum_expiration > 0) {
    const exp = decoded.claims['exp'];
    if (typeof exp !== 'number' || exp - now > config.maximum_expiration) return fail({ exp: 'exceeds maximum allowed expiration' });
  }

  setConsumer(ctx, credentialConsumer(ctx, secret), secret, typeof secret['key'] === 'string' ? secret['key'] : secret.id);
  return undefined;
}

export const jwtHandlers: PluginHandlers<JwtConfig> = {
  access: (ctx) => runAuth(ctx, authenticate),
};
