// Credentials a consumer authenticates with: key-auth keys, basic-auth passwords, JWT secrets, ACL groups
// (kong/plugins/*/daos.lua). Each belongs to one consumer and is deleted with it.
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { defineEntity, type ForeignKey } from '../entity.ts';
import { ForeignRef, StringEnum } from '../fields.ts';
import { baseFields } from './common.ts';

const consumerFk: Readonly<Record<string, ForeignKey>> = { consumer: { entity: 'consumers', required: true, onDelete: 'cascade' } };

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 random alphanumeric characters, as Kong generates key-auth keys. */
export function randomKey(length = 32): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

/** Kong's basic-auth hash: SHA-1 hex of password ‖ consumer id. Needed to import existing credentials. */
export function basicAuthHash(password: string, consumerId: string): string {
  return createHash('sha1').update(password + consumerId).digest('hex');
}

export const keyauthCredentials = defineEntity({
  name: 'keyauth_credentials',
  adminPath: 'key-auths',
  nestedPath: 'key-auth',
  topLevel: true,
  endpointKey: 'key',
  uniques: ['key'],
  cacheKey: ['key'],
  foreignKeys: consumerFk,
  schema: Type.Object(
    {
      ...baseFields(),
      consumer: ForeignRef(),
      key: Type.String({ minLength: 1, description: 'The API key; 32 random characters when absent.' }),
      ttl: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds until the key expires.' })),
    },
    { additionalProperties: false },
  ),
  autoFill(input) {
    if (input['key'] === undefined) input['key'] = randomKey();
  },
});

export const basicauthCredentials = defineEntity({
  name: 'basicauth_credentials',
  adminPath: 'basic-auths',
  nestedPath: 'basic-auth',
  topLevel: true,
  endpointKey: 'username',
  uniques: ['username'],
  cacheKey: ['username'],
  foreignKeys: consumerFk,
  schema: Type.Object(
    {
      ...baseFields(),
      consumer: ForeignRef(),
      username: Type.String({ minLength: 1 }),
      password: Type.String({ minLength: 1, description: 'Stored hashed: SHA-1 of password ‖ consumer id.' }),
    },
    { additionalProperties: false },
  ),
  transform(value, ctx) {
    if (!ctx.transform) return;
    const password = value['password'] as string;
    // An update that leaves the stored hash untouched must not hash it again.
    if (ctx.previous !== undefined && ctx.previous['password'] === password) return;
    value['password'] = basicAuthHash(password, (value['consumer'] as { id: string }).id);
  },
});

const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;

export const jwtSecrets = defineEntity({
  name: 'jwt_secrets',
  adminPath: 'jwts',
  nestedPath: 'jwt',
  topLevel: true,
  endpointKey: 'key',
  uniques: ['key'],
  cacheKey: ['key'],
  foreignKeys: consumerFk,
  schema: Type.Object(
    {
      ...baseFields(),
      consumer: ForeignRef(),
      key: Type.String({ minLength: 1, description: 'Matched against the `iss` claim by default; generated when absent.' }),
      secret: Type.String({ minLength: 1, description: 'HMAC secret; generated when absent.' }),
      rsa_public_key: Type.Optional(Type.String({ minLength: 1, description: 'PEM public key, required for RS*, ES*, PS* and EdDSA.' })),
      algorithm: StringEnum(JWT_ALGORITHMS, { default: 'HS256' }),
    },
    { additionalProperties: false },
  ),
  autoFill(input) {
    if (input['key'] === undefined) input['key'] = randomKey();
    if (input['secret'] === undefined) input['secret'] = randomKey();
  },
  check(value) {
    const algorithm = value['algorithm'] as string;
    if (algorithm.startsWith('HS')) return undefined;
    const pem = value['rsa_public_key'];
    if (pem == null) return { rsa_public_key: `required field missing (algorithm ${algorithm} needs a public key)` };
    try {
      createPublicKey(String(pem));
    } catch {
      return { rsa_public_key: 'invalid key: could not parse the PEM public key' };
    }
    return undefined;
  },
});

export const acls = defineEntity({
  name: 'acls',
  adminPath: 'acls',
  nestedPath: 'acls',
  topLevel: true,
  uniques: [['consumer', 'group']],
  cacheKey: ['consumer', 'group'],
  foreignKeys: consumerFk,
  schema: Type.Object(
    {
      ...baseFields(),
      consumer: ForeignRef(),
      group: Type.String({ minLength: 1, description: 'The ACL group the consumer belongs to.' }),
    },
    { additionalProperties: false },
  ),
});
