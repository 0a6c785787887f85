// key-auth, basic-auth, jwt and acl through a real data plane and a real upstream: Kong's statuses,
// messages and WWW-Authenticate, the consumer headers upstream, hide_credentials, anonymous, acl groups.
import { generateKeyPair, exportSPKI, SignJWT } from 'jose';
import type { PluginDefinition } from '@tollgate/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import aclPlugin from '../../packages/plugins/acl/index.ts';
import basicAuthPlugin from '../../packages/plugins/basic-auth/index.ts';
import jwtPlugin from '../../packages/plugins/jwt/index.ts';
import keyAuthPlugin from '../../packages/plugins/key-auth/index.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const plugins: PluginDefinition[] = [keyAuthPlugin, basicAuthPlugin, jwtPlugin, aclPlugin];

const ALICE = '4a1b0c3e-0000-4000-8000-000000000001';
const BOB = '4a1b0c3e-0000-4000-8000-000000000002';
const ANON = '4a1b0c3e-0000-4000-8000-000000000003';
const ALICE_KEY_ID = '4a1b0c3e-0000-4000-8000-0000000000a1';
const HS_SECRET = 'a-very-secret-secret-of-32-bytes!';

interface Echo {
  url: string;
  headers: Record<string, string | undefined>;
}

async function call(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

function hs256(claims: Record<string, unknown>, secret = HS_SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const now = (): number => Math.floor(Date.now() / 1000);

describe('auth plugins', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  let rsaPrivate: PrivateKey;
  let esPrivate: PrivateKey;

  beforeAll(async () => {
    up = await startUpstream();
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const es = await generateKeyPair('ES256', { extractable: true });
    rsaPrivate = rsa.privateKey;
    esPrivate = es.privateKey;
    const rsaPem = await exportSPKI(rsa.publicKey);
    const esPem = await exportSPKI(es.publicKey);
    proxy = await startProxy(
      {
        _format_version: '3.0',
        consumers: [
          {
            id: ALICE,
            username: 'alice',
            custom_id: 'alice-custom',
            keyauth_credentials: [{ id: ALICE_KEY_ID, key: 'alice-key' }],
            basicauth_credentials: [{ username: 'alice', password: 'open:sesame' }],
            jwt_secrets: [
              { key: 'alice-iss', secret: HS_SECRET },
              { key: 'alice-hs512', secret: HS_SECRET, algorithm: 'HS512' },
              { key: 'alice-b64', secret: Buffer.from(HS_SECRET).toString('base64') },
              { key: 'alice-rsa', algorithm: 'RS256', rsa_public_key: rsaPem },
              { key: 'alice-es', algorithm: 'ES256', rsa_public_key: esPem },
            ],
            acls: [{ group: 'admins' }, { group: 'staff' }],
          },
          { id: BOB, username: 'bob', keyauth_credentials: [{ key: 'bob-key' }], acls: [{ group: 'guests' }] },
          { id: ANON, username: 'anonymous' },
        ],
        services: [
          {
            name: 'svc',
            url: up.url,
            routes: [
              { name: 'key', paths: ['/key'], plugins: [{ name: 'key-auth', config: { key_names: ['apikey', 'x-api-key'] } }] },
              { name: 'key-realm', paths: ['/key-realm'], plugins: [{ name: 'key-auth', config: { realm: 'gw', key_in_query: false } }] },
              { name: 'key-hide', paths: ['/key-hide'], plugins: [{ name: 'key-auth', config: { hide_credentials: true } }] },
              { name: 'key-anon', paths: ['/key-anon'], plugins: [{ name: 'key-auth', config: { anonymous: 'anonymous' } }] },
              { name: 'key-anon-missing', paths: ['/key-anon-missing'], plugins: [{ name: 'key-auth', config: { anonymous: 'nobody' } }] },
              { name: 'key-preflight', paths: ['/key-preflight'], plugins: [{ name: 'key-auth', config: { run_on_preflight: false } }] },
              {
                name: 'either',
                paths: ['/either'],
                plugins: [
                  { name: 'key-auth', config: { anonymous: ANON } },
                  { name: 'basic-auth', config: { anonymous: ANON } },
                ],
              },
              { name: 'basic', paths: ['/basic'], plugins: [{ name: 'basic-auth' }] },
              { name: 'basic-hide', paths: ['/basic-hide'], plugins: [{ name: 'basic-auth', config: { hide_credentials: true, realm: 'kingdom' } }] },
              { name: 'basic-anon', paths: ['/basic-anon'], plugins: [{ name: 'basic-auth', config: { anonymous: ANON } }] },
              { name: 'jwt', paths: ['/jwt'], plugins: [{ name: 'jwt', config: { claims_to_verify: ['exp'] } }] },
              { name: 'jwt-plain', paths: ['/jwt-plain'], plugins: [{ name: 'jwt', config: { cookie_names: ['token'] } }] },
              { name: 'jwt-nbf', paths: ['/jwt-nbf'], plugins: [{ name: 'jwt', config: { claims_to_verify: ['nbf'] } }] },
              { name: 'jwt-max', paths: ['/jwt-max'], plugins: [{ name: 'jwt', config: { claims_to_verify: ['exp'], maximum_expiration: 60 } }] },
              { name: 'jwt-b64', paths: ['/jwt-b64'], plugins: [{ name: 'jwt', config: { secret_is_base64: true } }] },
              { name: 'jwt-anon', paths: ['/jwt-anon'], plugins: [{ name: 'jwt', config: { anonymous: 'anonymous', realm: 'api' } }] },
              {
                name: 'admin',
                paths: ['/admin'],
                plugins: [
                  { name: 'key-auth' },
                  { name: 'acl', config: { allow: ['admins'] } },
                ],
              },
              {
                name: 'no-guests',
                paths: ['/no-guests'],
                plugins: [
                  { name: 'key-auth', config: { anonymous: ANON } },
                  { name: 'acl', config: { deny: ['guests'], hide_groups_header: true } },
                ],
              },
              { name: 'acl-only', paths: ['/acl-only'], plugins: [{ name: 'acl', config: { allow: ['admins'] } }] },
            ],
          },
        ],
      },
      { plugins },
    );
  });

  afterAll(async () => {
    await proxy?.close();
    await up?.close();
  });

  const echo = (r: { body: any }): Echo => r.body as Echo;

  describe('key-auth', () => {
    it('authenticates a key in a header and sets the consumer headers upstream', async () => {
      const r = await call(`${proxy.url}/key`, {
        headers: { apikey: 'alice-key', 'x-consumer-id': 'forged', 'x-anonymous-consumer': 'true', 'x-consumer-groups': 'root' },
      });
      expect(r.status).toBe(200);
      const h = echo(r).headers;
      expect(h['x-consumer-id']).toBe(ALICE);
      expect(h['x-consumer-username']).toBe('alice');
      expect(h['x-consumer-custom-id']).toBe('alice-custom');
      expect(h['x-credential-identifier']).toBe(ALICE_KEY_ID);
      expect(h['x-anonymous-consumer']).toBeUndefined();
      // Not hidden by default.
      expect(h['apikey']).toBe('alice-key');
    });

    it('tries each key name, in headers and the query string', async () => {
      const r1 = await call(`${proxy.url}/key`, { headers: { 'x-api-key': 'bob-key' } });
      expect(r1.status).toBe(200);
      expect(echo(r1).headers['x-consumer-username']).toBe('bob');
      expect(echo(r1).headers['x-consumer-custom-id']).toBeUndefined();
      const r2 = await call(`${proxy.url}/key?apikey=alice-key&x=1`);
      expect(r2.status).toBe(200);
      expect(echo(r2).headers['x-consumer-id']).toBe(ALICE);
      expect(echo(r2).url).toBe('/?apikey=alice-key&x=1'); // strip_path
    });

    it('answers 401 with WWW-Authenticate when the key is missing or unknown', async () => {
      const missing = await call(`${proxy.url}/key`);
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ message: 'No API key found in request', request_id: expect.any(String) });
      expect(missing.headers.get('www-authenticate')).toBe('Key');
      const wrong = await call(`${proxy.url}/key`, { headers: { apikey: 'nope' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ message: 'Unauthorized', request_id: expect.any(String) });
      expect(wrong.headers.get('www-authenticate')).toBe('Key');
      const dup = await call(`${proxy.url}/key?apikey=alice-key&apikey=bob-key`);
      expect(dup.status).toBe(401);
      expect(dup.body).toEqual({ message: 'Duplicate API key found', request_id: expect.any(String) });
    });

    it('uses the realm and ignores the query string when key_in_query is off', async () => {
      const r = await call(`${proxy.url}/key-realm?apikey=alice-key`);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ message: 'No API key found in request', request_id: expect.any(String) });
      expect(r.headers.get('www-authenticate')).toBe('Key realm="gw"');
    });

    it('hide_credentials removes the key from headers and the query string', async () => {
      const h = await call(`${proxy.url}/key-hide`, { headers: { apikey: 'alice-key' } });
      expect(h.status).toBe(200);
      expect(echo(h).headers['apikey']).toBeUndefined();
      expect(echo(h).headers['x-consumer-id']).toBe(ALICE);
      const q = await call(`${proxy.url}/key-hide?a=1&apikey=alice-key&b=%20x`);
      expect(q.status).toBe(200);
      expect(echo(q).url).toBe('/?a=1&b=%20x'); // strip_path
    });

    it('falls back to the anonymous consumer (by username) instead of a 401', async () => {
      for (const headers of [{}, { apikey: 'wrong' }]) {
        const r = await call(`${proxy.url}/key-anon`, { headers });
        expect(r.status).toBe(200);
        expect(echo(r).headers['x-consumer-id']).toBe(ANON);
        expect(echo(r).headers['x-consumer-username']).toBe('anonymous');
        expect(echo(r).headers['x-anonymous-consumer']).toBe('true');
        expect(echo(r).headers['x-credential-identifier']).toBeUndefined();
      }
      const ok = await call(`${proxy.url}/key-anon`, { headers: { apikey: 'alice-key' } });
      expect(echo(ok).headers['x-consumer-id']).toBe(ALICE);
      expect(echo(ok).headers['x-anonymous-consumer']).toBeUndefined();
    });

    it('answers 500 when the anonymous consumer does not exist', async () => {
      const r = await call(`${proxy.url}/key-anon-missing`);
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ message: "anonymous consumer nobody is configured but doesn't exist", request_id: expect.any(String) });
    });

    it('lets preflights through when run_on_preflight is off', async () => {
      expect((await call(`${proxy.url}/key-preflight`, { method: 'OPTIONS' })).status).toBe(200);
      expect((await call(`${proxy.url}/key-preflight`)).status).toBe(401);
      expect((await call(`${proxy.url}/key`, { method: 'OPTIONS' })).status).toBe(401);
    });

    it('logical OR of two auth plugins with anonymous', async () => {
      const basic = await call(`${proxy.url}/either`, { headers: { authorization: `Basic ${Buffer.from('alice:open:sesame').toString('base64')}` } });
      expect(echo(basic).headers['x-consumer-id']).toBe(ALICE);
      expect(echo(basic).headers['x-anonymous-consumer']).toBeUndefined();
      const key = await call(`${proxy.url}/either`, { headers: { apikey: 'bob-key' } });
      expect(echo(key).headers['x-consumer-username']).toBe('bob');
      const none = await call(`${proxy.url}/either`);
      expect(none.status).toBe(200);
      expect(echo(none).headers['x-anonymous-consumer']).toBe('true');
    });
  });

  describe('basic-auth', () => {
    const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

    it('authenticates with the password (SHA-1 with the consumer id) and keeps the header by default', async () => {
      const r = await call(`${proxy.url}/basic`, { headers: { authorization: basic('alice', 'open:sesame') } });
      expect(r.status).toBe(200);
      const h = echo(r).headers;
      expect(h['x-consumer-id']).toBe(ALICE);
      expect(h['x-consumer-username']).toBe('alice');
      expect(h['x-credential-identifier']).toMatch(/^[0-9a-f-]{36}$/);
      expect(h['authorization']).toBe(basic('alice', 'open:sesame'));
    });

    it('reads Proxy-Authorization too', async () => {
      const r = await call(`${proxy.url}/basic`, { headers: { 'proxy-authorization': basic('alice', 'open:sesame') } });
      expect(r.status).toBe(200);
      expect(echo(r).headers['x-consumer-id']).toBe(ALICE);
    });

    it('answers 401 Unauthorized with WWW-Authenticate for missing, malformed and wrong credentials', async () => {
      for (const headers of [{}, { authorization: 'Bearer x' }, { authorization: basic('alice', 'wrong') }, { authorization: basic('carol', 'open:sesame') }]) {
        const r = await call(`${proxy.url}/basic`, { headers });
        expect(r.status).toBe(401);
        expect(r.body).toEqual({ message: 'Unauthorized', request_id: expect.any(String) });
        expect(r.headers.get('www-authenticate')).toBe('Basic realm="service"');
      }
      const realm = await call(`${proxy.url}/basic-hide`);
      expect(realm.headers.get('www-authenticate')).toBe('Basic realm="kingdom"');
    });

    it('hide_credentials removes the Authorization header', async () => {
      const r = await call(`${proxy.url}/basic-hide`, { headers: { authorization: basic('alice', 'open:sesame') } });
      expect(r.status).toBe(200);
      expect(echo(r).headers['authorization']).toBeUndefined();
      expect(echo(r).headers['x-consumer-id']).toBe(ALICE);
    });

    it('falls back to the anonymous consumer (by id)', async () => {
      const r = await call(`${proxy.url}/basic-anon`, { headers: { authorization: basic('alice', 'wrong') } });
      expect(r.status).toBe(200);
      expect(echo(r).headers['x-consumer-id']).toBe(ANON);
      expect(echo(r).headers['x-anonymous-consumer']).toBe('true');
    });
  });

  describe('jwt', () => {
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

    it('accepts a valid HS256 token and sets the consumer headers (credential identifier = key)', async () => {
      const token = await hs256({ iss: 'alice-iss', exp: now() + 600 });
      const r = await call(`${proxy.url}/jwt`, { headers: bearer(token) });
      expect(r.status).toBe(200);
      const h = echo(r).headers;
      expect(h['x-consumer-id']).toBe(ALICE);
      expect(h['x-consumer-username']).toBe('alice');
      expect(h['x-credential-identifier']).toBe('alice-iss');
    });

    it('reads the token from the query string and cookies', async () => {
      const token = await hs256({ iss: 'alice-iss', exp: now() + 600 });
      expect((await call(`${proxy.url}/jwt?jwt=${token}`)).status).toBe(200);
      expect((await call(`${proxy.url}/jwt-plain`, { headers: { cookie: `a=b; token=${token}` } })).status).toBe(200);
    });

    it('refuses an expired token with the claim error', async () => {
      const token = await hs256({ iss: 'alice-iss', exp: now() - 10 });
      const r = await call(`${proxy.url}/jwt`, { headers: bearer(token) });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ exp: 'token expired' });
      expect(r.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      // Without exp in claims_to_verify, expiry is not checked (Kong).
      expect((await call(`${proxy.url}/jwt-plain`, { headers: bearer(token) })).status).toBe(200);
    });

    it('checks exp presence, nbf and maximum_expiration only as configured', async () => {
      const noExp = await call(`${proxy.url}/jwt`, { headers: bearer(await hs256({ iss: 'alice-iss' })) });
      expect(noExp.status).toBe(401);
      expect(noExp.body).toEqual({ exp: 'must be a number' });
      const early = await call(`${proxy.url}/jwt-nbf`, { headers: bearer(await hs256({ iss: 'alice-iss', nbf: now() + 600 })) });
      expect(early.status).toBe(401);
      expect(early.body).toEqual({ nbf: 'token not valid yet' });
      const long = await call(`${proxy.url}/jwt-max`, { headers: bearer(await hs256({ iss: 'alice-iss', exp: now() + 600 })) });
      expect(long.status).toBe(401);
      expect(long.body).toEqual({ exp: 'exceeds maximum allowed expiration' });
      expect((await call(`${proxy.url}/jwt-max`, { headers: bearer(await hs256({ iss: 'alice-iss', exp: now() + 30 })) })).status).toBe(200);
    });

    it('refuses a wrong signature', async () => {
      const token = await hs256({ iss: 'alice-iss', exp: now() + 600 }, 'another-secret-of-sufficient-size');
      const r = await call(`${proxy.url}/jwt`, { headers: bearer(token) });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ message: 'Invalid signature' });
    });

    it("answers Kong's 401 messages for missing, bad, unknown and mismatched tokens", async () => {
      const none = await call(`${proxy.url}/jwt`);
      expect(none.status).toBe(401);
      expect(none.body).toEqual({ message: 'Unauthorized' });
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await call(`${proxy.url}/jwt`, { headers: bearer('not-a-token') })).body).toEqual({ message: 'Bad token; invalid JWT' });
      expect((await call(`${proxy.url}/jwt`, { headers: bearer('a.b.c') })).body).toEqual({ message: 'Bad token; invalid JSON' });
      expect((await call(`${proxy.url}/jwt`, { headers: bearer(await hs256({ sub: 'x' })) })).body).toEqual({ message: "No mandatory 'iss' in claims" });
      expect((await call(`${proxy.url}/jwt`, { headers: bearer(await hs256({ iss: 'ghost' })) })).body).toEqual({ message: "No credentials found for given 'iss'" });
      const alg = await call(`${proxy.url}/jwt`, { headers: bearer(await hs256({ iss: 'alice-hs512', exp: now() + 60 })) });
      expect(alg.status).toBe(401);
      expect(alg.body).toEqual({ message: 'Invalid algorithm' });
      const t1 = await hs256({ iss: 'alice-iss', exp: now() + 60 });
      const t2 = await hs256({ iss: 'alice-iss', exp: now() + 61 });
      const multi = await call(`${proxy.url}/jwt?jwt=${t1}`, { headers: bearer(t2) });
      expect(multi.status).toBe(401);
      expect(multi.body).toEqual({ message: 'Multiple tokens provided' });
    });

    it('verifies HS512 and a base64 secret', async () => {
      const t512 = await hs256({ iss: 'alice-hs512', exp: now() + 60 }, HS_SECRET, 'HS512');
      expect((await call(`${proxy.url}/jwt`, { headers: bearer(t512) })).status).toBe(200);
      const b64 = await hs256({ iss: 'alice-b64' });
      expect((await call(`${proxy.url}/jwt-b64`, { headers: bearer(b64) })).status).toBe(200);
    });

    it('verifies RS256 and ES256 with the public key', async () => {
      const rs = await new SignJWT({ iss: 'alice-rsa', exp: now() + 60 }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(rsaPrivate);
      const ok = await call(`${proxy.url}/jwt`, { headers: bearer(rs) });
      expect(ok.status).toBe(200);
      expect(echo(ok).headers['x-credential-identifier']).toBe('alice-rsa');
      const other = await generateKeyPair('RS256');
      const forged = await new SignJWT({ iss: 'alice-rsa', exp: now() + 60 }).setProtectedHeader({ alg: 'RS256' }).sign(other.privateKey);
      const bad = await call(`${proxy.url}/jwt`, { headers: bearer(forged) });
      expect(bad.status).toBe(401);
      expect(bad.body).toEqual({ message: 'Invalid signature' });
      const es = await new SignJWT({ iss: 'alice-es', exp: now() + 60 }).setProtectedHeader({ alg: 'ES256' }).sign(esPrivate);
      expect((await call(`${proxy.url}/jwt`, { headers: bearer(es) })).status).toBe(200);
    });

    it('falls back to anonymous and uses the realm', async () => {
      const r = await call(`${proxy.url}/jwt-anon`, { headers: bearer('garbage') });
      expect(r.status).toBe(200);
      expect(echo(r).headers['x-consumer-id']).toBe(ANON);
      expect(echo(r).headers['x-anonymous-consumer']).toBe('true');
    });
  });

  describe('acl', () => {
    it('lets a consumer in an allowed group through and sends its groups upstream', async () => {
      const r = await call(`${proxy.url}/admin`, { headers: { apikey: 'alice-key', 'x-consumer-groups': 'forged' } });
      expect(r.status).toBe(200);
      expect(echo(r).headers['x-consumer-groups']).toBe('admins, staff');
    });

    it('answers 403 to a consumer outside the allowed groups', async () => {
      const r = await call(`${proxy.url}/admin`, { headers: { apikey: 'bob-key' } });
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ message: 'You cannot consume this service', request_id: expect.any(String) });
    });

    it('answers 401 from key-auth without a key, and 401 from acl with no authentication at all', async () => {
      const r = await call(`${proxy.url}/admin`);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ message: 'No API key found in request', request_id: expect.any(String) });
      const only = await call(`${proxy.url}/acl-only`);
      expect(only.status).toBe(401);
      expect(only.body).toEqual({ message: 'Unauthorized', request_id: expect.any(String) });
    });

    it('deny list, anonymous consumer with no groups, hide_groups_header', async () => {
      const alice = await call(`${proxy.url}/no-guests`, { headers: { apikey: 'alice-key', 'x-consumer-groups': 'forged' } });
      expect(alice.status).toBe(200);
      expect(echo(alice).headers['x-consumer-groups']).toBeUndefined();
      expect((await call(`${proxy.url}/no-guests`, { headers: { apikey: 'bob-key' } })).status).toBe(403);
      expect((await call(`${proxy.url}/no-guests`)).status).toBe(200);
    });
  });
});
