// The plugin runner through the proxy: Kong's scope precedence, priority order, short-circuits,
// failures contained to one request, log after the response, a config that fails to prepare failing
// closed, and bundled plugins end to end.
import { Type } from '@sinclair/typebox';
import { definePlugin, definePluginSchema, type PluginDefinition } from '@tollgate/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

const logged: string[] = [];

const tag = definePlugin<{ value: string }>({
  schema: definePluginSchema({ name: 'test-tag', version: '1.0.0', priority: 500, config: Type.Object({ value: Type.String() }, { additionalProperties: false }) }),
  handlers: {
    access(ctx) {
      const order = (ctx.shared.get('order') as string[] | undefined) ?? [];
      ctx.shared.set('order', [...order, 'tag']);
    },
    response(ctx) {
      ctx.response.setHeader('x-tag', ctx.config.value);
      ctx.response.setHeader('x-order', ((ctx.shared.get('order') as string[]) ?? []).join(','));
    },
  },
});

const fakeAuth = definePlugin({
  schema: definePluginSchema({ name: 'test-auth', version: '1.0.0', priority: 1500, config: Type.Object({}, { additionalProperties: false }) }),
  handlers: {
    access(ctx) {
      ctx.shared.set('order', ['auth']);
      const user = ctx.request.header('x-user');
      if (user === undefined) return;
      const consumer = ctx.entities.find('consumers', 'username', user);
      if (consumer === undefined) return ctx.response.exit(401, { message: 'Unauthorized' });
      ctx.authenticate(consumer as never);
    },
  },
});

const boom = definePlugin({
  schema: definePluginSchema({ name: 'test-boom', version: '1.0.0', priority: 900, config: Type.Object({}, { additionalProperties: false }) }),
  handlers: {
    access(ctx) {
      if (ctx.request.header('x-boom') !== undefined) throw new Error('kaboom');
    },
  },
});

const slowLog = definePlugin({
  schema: definePluginSchema({ name: 'test-log', version: '1.0.0', priority: 5, config: Type.Object({}, { additionalProperties: false }) }),
  handlers: {
    async log(ctx) {
      await new Promise((r) => setTimeout(r, 300));
      logged.push(`${ctx.request.path} ${ctx.response.status}`);
    },
  },
});

const shout = definePlugin({
  schema: definePluginSchema({ name: 'test-shout', version: '1.0.0', priority: 700, config: Type.Object({}, { additionalProperties: false }) }),
  bufferResponseBody: true,
  handlers: {
    async response(ctx) {
      await new Promise((r) => setTimeout(r, 5)); // a buffered response phase may await
      ctx.response.body = Buffer.from((ctx.response.body ?? Buffer.alloc(0)).toString().toUpperCase());
      ctx.response.setHeader('x-shouted', 'yes');
    },
  },
});

const testPlugins: PluginDefinition[] = [tag, fakeAuth, boom, slowLog, shout];

describe('plugin runner', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  beforeAll(async () => {
    up = await startUpstream();
    proxy = await startProxy(
      {
        _format_version: '3.0',
        consumers: [{ username: 'alice' }, { username: 'bob' }],
        services: [
          {
            name: 'svc-a',
            url: up.url,
            routes: [
              { name: 'route-with-own', paths: ['/r1'], plugins: [{ name: 'test-tag', config: { value: 'route' } }] },
              { name: 'route-plain', paths: ['/r2'] },
            ],
            plugins: [{ name: 'test-tag', config: { value: 'service' } }],
          },
          {
            name: 'svc-b',
            url: up.url,
            routes: [
              { name: 'other', paths: ['/r3'] },
              { name: 'limited', paths: ['/small'], plugins: [{ name: 'request-size-limiting', config: { allowed_payload_size: 10, size_unit: 'bytes' } }] },
              { name: 'loud', paths: ['/loud'], plugins: [{ name: 'test-shout' }] },
            ],
          },
        ],
        plugins: [
          { name: 'test-tag', config: { value: 'global' } },
          { name: 'test-tag', consumer: 'alice', config: { value: 'alice' } },
          { name: 'test-auth' },
          { name: 'test-boom' },
          { name: 'test-log' },
          { name: 'correlation-id', config: { echo_downstream: true } },
        ],
      },
      { plugins: testPlugins },
    );
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
  });

  it('picks the most specific config: route over service over global', async () => {
    expect((await fetch(`${proxy.url}/r1`)).headers.get('x-tag')).toBe('route');
    expect((await fetch(`${proxy.url}/r2`)).headers.get('x-tag')).toBe('service');
    expect((await fetch(`${proxy.url}/r3`)).headers.get('x-tag')).toBe('global');
  });

  it('resolves consumer-scoped configs after authentication, as Kong ranks them', async () => {
    // Consumer-only ranks above route-only, service-only and global configs (below route+service).
    expect((await fetch(`${proxy.url}/r3`, { headers: { 'x-user': 'alice' } })).headers.get('x-tag')).toBe('alice');
    expect((await fetch(`${proxy.url}/r2`, { headers: { 'x-user': 'alice' } })).headers.get('x-tag')).toBe('alice');
    expect((await fetch(`${proxy.url}/r1`, { headers: { 'x-user': 'alice' } })).headers.get('x-tag')).toBe('alice');
    expect((await fetch(`${proxy.url}/r3`, { headers: { 'x-user': 'bob' } })).headers.get('x-tag')).toBe('global');
  });

  it('runs plugins in priority order, highest first', async () => {
    expect((await fetch(`${proxy.url}/r3`)).headers.get('x-order')).toBe('auth,tag');
  });

  it('lets a plugin answer early; later access handlers are skipped', async () => {
    const res = await fetch(`${proxy.url}/r3`, { headers: { 'x-user': 'mallory' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect(res.headers.get('x-kong-request-id')).toBeTruthy();
  });

  it('turns a throwing plugin into a 500 for that request only', async () => {
    const before = up.seen.length;
    const res = await fetch(`${proxy.url}/r3`, { headers: { 'x-boom': '1' } });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toBe('An unexpected error occurred');
    expect(up.seen.length).toBe(before);
    expect(proxy.logs.some((l) => l.includes("plugin 'test-boom' failed in access"))).toBe(true);
    expect((await fetch(`${proxy.url}/r3`)).status).toBe(200);
  });

  it('runs log handlers after the response has been sent, also after a short-circuit', async () => {
    const started = Date.now();
    const res = await fetch(`${proxy.url}/r3/log-me`, { headers: { 'x-user': 'mallory' } });
    await res.text();
    expect(Date.now() - started).toBeLessThan(250);
    expect(logged).not.toContain('/r3/log-me 401');
    const deadline = Date.now() + 3000;
    while (!logged.includes('/r3/log-me 401') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(logged).toContain('/r3/log-me 401');
  });

  it('correlation-id: generates an id, sends it upstream and echoes it', async () => {
    const res = await fetch(`${proxy.url}/r3`);
    const id = res.headers.get('kong-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}#\d+$/);
    expect(((await res.json()) as { headers: Record<string, string> }).headers['kong-request-id']).toBe(id);
    const kept = await fetch(`${proxy.url}/r3`, { headers: { 'kong-request-id': 'mine' } });
    expect(kept.headers.get('kong-request-id')).toBe('mine');
  });

  it('gives a plugin that asks for it the whole response body, and sends what it made of it', async () => {
    up.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('hello ');
      res.end('world');
    });
    const res = await fetch(`${proxy.url}/loud`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-shouted')).toBe('yes');
    expect(res.headers.get('content-length')).toBe('11');
    expect(await res.text()).toBe('HELLO WORLD');
    up.handle((req, res, body) => res.end(JSON.stringify({ url: req.url, headers: req.headers, body })));
  });

  it('request-size-limiting: 413 over the limit, through under it', async () => {
    const big = await fetch(`${proxy.url}/small`, { method: 'POST', body: 'x'.repeat(11) });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ message: 'Request size limit exceeded', request_id: expect.any(String) });
    const ok = await fetch(`${proxy.url}/small`, { method: 'POST', body: 'x'.repeat(10) });
    expect(ok.status).toBe(200);
  });
});

/** Refuses `value: 'bad'` when the config is prepared, as a plugin with a check its schema lacks would. */
const picky = definePlugin<{ value: string }>({
  schema: definePluginSchema({ name: 'test-picky', version: '1.0.0', priority: 600, config: Type.Object({ value: Type.String() }, { additionalProperties: false }) }),
  prepare(config) {
    if (config['value'] === 'bad') throw new Error("value 'bad' is not accepted");
    return { value: config['value'] as string };
  },
  handlers: {
    response(ctx) {
      ctx.response.setHeader('x-picky', ctx.config.value);
    },
  },
});

describe('a plugin instance whose config fails to prepare', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  const config = (value: string) => ({
    _format_version: '3.0',
    services: [
      {
        name: 'guarded',
        url: up.url,
        routes: [
          { name: 'picky', paths: ['/picky'], plugins: [{ name: 'test-picky', config: { value } }] },
          { name: 'sibling', paths: ['/sibling'], plugins: [{ name: 'test-picky', config: { value: 'fine' } }] },
        ],
      },
      { name: 'elsewhere', url: up.url, routes: [{ name: 'plain', paths: ['/plain'] }] },
    ],
  });
  beforeAll(async () => {
    up = await startUpstream();
    proxy = await startProxy(undefined, { plugins: [picky] });
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
  });

  it('fails closed like a missing plugin: its route answers 500, other routes keep working, the error is reported', async () => {
    const result = proxy.apply(config('bad'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^plugin 'test-picky' \(.+\): value 'bad' is not accepted; the routes it applies to answer 500/);
    expect(proxy.logs).toContain(`warn ${result.warnings[0]}`);
    const before = up.seen.length;
    const blocked = await fetch(`${proxy.url}/picky`);
    expect(blocked.status).toBe(500);
    expect(((await blocked.json()) as { message: string }).message).toBe('An unexpected error occurred');
    expect(up.seen.length).toBe(before);
    const sibling = await fetch(`${proxy.url}/sibling`);
    expect(sibling.status).toBe(200);
    expect(sibling.headers.get('x-picky')).toBe('fine');
    expect((await fetch(`${proxy.url}/plain`)).status).toBe(200);
  });

  it('serves the route again once the config is fixed', async () => {
    const result = proxy.apply(config('good'));
    expect(result.ok && result.warnings).toEqual([]);
    const res = await fetch(`${proxy.url}/picky`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-picky')).toBe('good');
  });
});

// Kong's rewrite phase: handlers of global instances, before routing, on every request.
const gate = definePlugin<{ header: string }>({
  schema: definePluginSchema({ name: 'test-gate', version: '1.0.0', priority: 2000, config: Type.Object({ header: Type.String() }, { additionalProperties: false }) }),
  handlers: {
    rewrite(ctx) {
      if (ctx.request.header('x-blocked') !== undefined) return ctx.response.error(403, 'blocked before routing');
      ctx.shared.set('seen-route-in-rewrite', ctx.route === undefined ? 'none' : 'some');
      ctx.upstream.setHeader(ctx.config.header, 'from-rewrite');
    },
    access(ctx) {
      ctx.upstream.setHeader('x-rewrite-saw-route', String(ctx.shared.get('seen-route-in-rewrite')));
    },
    response(ctx) {
      ctx.response.setHeader('x-gate', `seen ${ctx.response.status}`);
    },
  },
});

describe('rewrite phase', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  beforeAll(async () => {
    up = await startUpstream('rewrite');
    proxy = await startProxy(
      {
        _format_version: '3.0',
        services: [
          { name: 'open', url: up.url, routes: [{ name: 'open', paths: ['/open'] }] },
          // A route-scoped instance is not global: its rewrite handler does not run (Kong runs rewrite for global instances only).
          { name: 'scoped', url: up.url, routes: [{ name: 'scoped', paths: ['/scoped'], plugins: [{ name: 'test-gate', config: { header: 'x-scoped' } }] }] },
        ],
        plugins: [{ name: 'test-gate', config: { header: 'x-global' } }],
      },
      { plugins: [gate] },
    );
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
  });

  it("runs global instances' rewrite handlers before routing, sharing ctx.shared and upstream changes with the later phases", async () => {
    const res = await fetch(`${proxy.url}/open/x`);
    expect(res.status).toBe(200);
    const headers = ((await res.json()) as { headers: Record<string, string> }).headers;
    expect(headers['x-global']).toBe('from-rewrite');
    expect(headers['x-rewrite-saw-route']).toBe('none');
  });

  it('lets a rewrite handler answer, for a routed request and for one no route matches', async () => {
    for (const path of ['/open/x', '/nowhere']) {
      const res = await fetch(`${proxy.url}${path}`, { headers: { 'x-blocked': '1', accept: 'application/json' } });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ message: 'blocked before routing' });
    }
  });

  it("runs global plugins' response phase on the 404 of a request no route matches (Kong's header_filter)", async () => {
    const res = await fetch(`${proxy.url}/nowhere`, { headers: { accept: 'text/plain' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-gate')).toBe('seen 404');
    expect(await res.text()).toBe(`no Route matched with those values\nrequest_id: ${res.headers.get('x-kong-request-id')}\n`);
  });

  it('runs the global config in rewrite even where a route-scoped instance wins the later phases', async () => {
    const headers = ((await (await fetch(`${proxy.url}/scoped/x`)).json()) as { headers: Record<string, string> }).headers;
    expect(headers['x-global']).toBe('from-rewrite');
    expect(headers['x-scoped']).toBeUndefined();
  });
});
