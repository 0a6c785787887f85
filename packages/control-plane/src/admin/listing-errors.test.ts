// Paging, tag filters, HTTP-level errors, authentication and node endpoints of the Admin API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startAdmin, type AdminHarness } from '../../../../test/support/admin.ts';

describe.each(BACKENDS)('listing and errors (%s)', (backend) => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdmin(backend, { bodyLimit: 64 * 1024 });
    for (let i = 0; i < 25; i++) {
      const tags = [i % 2 === 0 ? 'even' : 'odd', ...(i % 5 === 0 ? ['five'] : [])];
      await h.request('POST', '/consumers', { username: `user-${String(i).padStart(2, '0')}`, tags });
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('pages through every entity exactly once, following next', async () => {
    const seen: string[] = [];
    let path: string | null = '/consumers?size=10';
    let pages = 0;
    while (path !== null) {
      const res: { status: number; body: { data: Array<{ username: string }>; next: string | null; offset?: string } } = await h.request('GET', path);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((c) => c.username));
      if (res.body.next !== null) {
        const next = new URL(res.body.next, 'http://x');
        expect(next.pathname).toBe('/consumers');
        expect(next.searchParams.get('offset')).toBe(res.body.offset);
        expect(next.searchParams.get('size')).toBe('10');
      }
      else expect(res.body.offset).toBeUndefined();
      path = res.body.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('defaults to pages of 100 and answers next: null on the last page', async () => {
    const res = await h.request('GET', '/consumers');
    expect(res.body.data).toHaveLength(25);
    expect(res.body.next).toBeNull();
  });

  it('refuses a size outside 1..1000 and a bad offset with Kong’s codes', async () => {
    expect(await h.request('GET', '/consumers?size=0')).toMatchObject({ status: 400, body: { code: 9, message: 'size must be an integer between 1 and 1000' } });
    expect(await h.request('GET', '/consumers?size=1001')).toMatchObject({ status: 400, body: { code: 9 } });
    const bad = await h.request('GET', '/consumers?offset=%%%not-base64');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(7);
  });

  it('filters by tags: comma is AND, slash is OR', async () => {
    const and = await h.request('GET', '/consumers?tags=even,five');
    expect(and.body.data.map((c: { username: string }) => c.username).sort()).toEqual(['user-00', 'user-10', 'user-20']);
    const or = await h.request('GET', '/consumers?tags=five/odd');
    expect(or.body.data).toHaveLength(12 + 3);
    const paged = await h.request('GET', '/consumers?tags=odd&size=5');
    expect(paged.body.next).toContain('tags=odd');
  });

  it('refuses mixed tag separators and more than five tags', async () => {
    expect(await h.request('GET', '/consumers?tags=a,b/c')).toMatchObject({ status: 400, body: { code: 11, message: 'invalid option (tags: invalid filter syntax)' } });
    expect((await h.request('GET', '/consumers?tags=a,b,c,d,e,f')).body.code).toBe(11);
  });

  it('answers 404 for unknown paths and 405 for unknown methods', async () => {
    expect(await h.request('GET', '/nothing-here')).toMatchObject({ status: 404, body: { message: 'Not found' } });
    expect(await h.request('DELETE', '/consumers')).toMatchObject({ status: 405, body: { message: 'Method not allowed' } });
  });

  it('answers 415 for a body it cannot read, and 400 for broken JSON', async () => {
    const res = await h.request('POST', '/consumers', '<xml/>', { 'content-type': 'application/xml' });
    expect(res.status).toBe(415);
    expect(res.body.message).toMatch(/application\/json/);
    expect(await h.request('POST', '/consumers', '{"username":', { 'content-type': 'application/json' })).toMatchObject({ status: 400, body: { message: 'Cannot parse JSON body' } });
  });

  it('answers 413 for a body over the limit and stores nothing', async () => {
    const res = await h.request('POST', '/consumers', { username: 'big', tags: ['x'.repeat(70 * 1024)] });
    expect(res.status).toBe(413);
    expect((await h.request('GET', '/consumers/big')).status).toBe(404);
  });

  it('serves node info, status, readiness and entity schemas', async () => {
    const root = await h.request('GET', '/');
    expect(root.body).toMatchObject({ tagline: 'Welcome to tollgate', node_id: expect.any(String), database: backend });
    expect(Object.keys(root.body.plugins.available_on_server)).toContain('key-auth');
    const status = await h.request('GET', '/status');
    expect(status.body.database.reachable).toBe(true);
    expect(status.body.configuration_version).toBeGreaterThan(0);
    expect(await h.request('GET', '/status/ready')).toMatchObject({ status: 200, body: { message: 'ready' } });
    const schema = await h.request('GET', '/schemas/services');
    expect(schema.body.schema.properties.port.default).toBe(80);
    expect((await h.request('POST', '/schemas/routes/validate', { paths: ['nope'] })).status).toBe(400);
    expect(await h.request('POST', '/schemas/services/validate', { host: 'ok.internal' })).toMatchObject({ status: 200 });
  });
});

describe('admin token', () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdmin('pglite', { adminToken: 'let-me-in' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses requests without the token', async () => {
    const res = await h.request('GET', '/services');
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/Authorization: Bearer/);
    expect((await h.request('GET', '/services', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('accepts it as a bearer token or in Tollgate-Admin-Token', async () => {
    expect((await h.request('GET', '/services', undefined, { authorization: 'Bearer let-me-in' })).status).toBe(200);
    expect((await h.request('GET', '/services', undefined, { 'tollgate-admin-token': 'let-me-in' })).status).toBe(200);
  });
});
