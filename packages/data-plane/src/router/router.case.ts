// The router contract: every implementation (indexed, linear reference) runs these same cases
// (hono's common.case.test.ts pattern). Kong behaviour: kong-reference §3.1–3.3.
import { describe, expect, it } from 'vitest';
import { route, req } from './test-helpers.ts';
import type { MatchInput, RouteEntity, Router } from './types.ts';

type Build = (routes: readonly RouteEntity[]) => Router<RouteEntity>;

export function routerContract(name: string, build: Build): void {
  const winner = (routes: RouteEntity[], input: Partial<MatchInput>) => build(routes).match(req(input))?.route.name ?? null;

  describe(`${name}: field matching`, () => {
    it('plain paths are case-sensitive byte prefixes', () => {
      const r = build([route({ name: 'foo', paths: ['/foo'] })]);
      for (const p of ['/foo', '/foo/bar', '/foobar']) expect(r.match(req({ path: p }))?.matchedPath).toBe('/foo');
      for (const p of ['/fo', '/FOO', '/x/foo']) expect(r.match(req({ path: p }))).toBeNull();
    });

    it('regex paths are anchored at the start and expose captures', () => {
      const r = build([route({ name: 'user', paths: ['~/users/(?<id>\\d+)/(\\w+)'] })]);
      const m = r.match(req({ path: '/users/42/posts/7' }));
      expect(m?.matchedPath).toBe('/users/42/posts');
      expect(m?.captures).toEqual({ 0: '/users/42/posts', 1: '42', 2: 'posts', id: '42' });
      expect(r.match(req({ path: '/v1/users/42/posts' }))).toBeNull();
      expect(build([route({ paths: ['~/plain'] })]).match(req({ path: '/plain' }))?.captures).toBeNull();
    });

    it('methods match exactly', () => {
      const r = build([route({ name: 'get', methods: ['GET', 'HEAD'], paths: ['/'] })]);
      expect(r.match(req({ method: 'HEAD' }))?.route.name).toBe('get');
      expect(r.match(req({ method: 'POST' }))).toBeNull();
    });

    it('hosts: case-insensitive exact, port split off the Host header', () => {
      const r = build([route({ name: 'h', hosts: ['API.Example.com'] })]);
      expect(r.match(req({ host: 'api.EXAMPLE.com:8443' }))?.route.name).toBe('h');
      expect(r.match(req({ host: 'example.com' }))).toBeNull();
    });

    it('hosts: wildcards match several labels, as suffix or prefix', () => {
      const routes = [route({ name: 'suffix', hosts: ['*.example.com'] }), route({ name: 'prefix', hosts: ['shop.*'] })];
      expect(winner(routes, { host: 'a.b.example.com' })).toBe('suffix');
      expect(winner(routes, { host: 'shop.example.co.uk' })).toBe('prefix');
      expect(winner(routes, { host: 'example.com' })).toBeNull();
      expect(winner(routes, { host: 'myshop.org' })).toBeNull();
    });

    it('hosts: wildcards off a label boundary and very long ones still match (scan bucket)', () => {
      const long = `${'a'.repeat(300)}.example.org`;
      const routes = [route({ name: 'odd', hosts: ['*example.com'] }), route({ name: 'long', hosts: [`*.${long}`] })];
      expect(winner(routes, { host: 'myexample.com' })).toBe('odd');
      expect(winner(routes, { host: `x.${long}` })).toBe('long');
    });

    it('hosts: a host:port entry also requires the port the client connected to', () => {
      const r = build([route({ name: 'p', hosts: ['a.com:8000', 'b.com'] })]);
      expect(r.match(req({ host: 'a.com', port: 8000 }))?.route.name).toBe('p');
      expect(r.match(req({ host: 'a.com:8000', port: 9000 }))).toBeNull();
      expect(r.match(req({ host: 'b.com', port: 9000 }))?.route.name).toBe('p');
    });

    it('hosts: an IPv6 Host has its port split off after the brackets', () => {
      const r = build([route({ name: 'v6', hosts: ['[::1]'] })]);
      expect(r.match(req({ host: '[::1]:8000' }))?.route.name).toBe('v6');
      expect(r.match(req({ host: '[::2]:8000' }))).toBeNull();
    });

    it('headers: names and values case-insensitive, ~* regex, names ANDed', () => {
      const r = build([route({ name: 'hd', headers: { 'X-Version': ['v1', '~*^beta-\\d+$'], 'X-Tenant': ['acme'] } })]);
      expect(r.match(req({ headers: { 'x-version': 'V1', 'x-tenant': 'ACME' } }))?.route.name).toBe('hd');
      expect(r.match(req({ headers: { 'x-version': 'Beta-7', 'x-tenant': 'acme' } }))?.route.name).toBe('hd');
      expect(r.match(req({ headers: { 'x-version': 'v1' } }))).toBeNull();
      expect(r.match(req({ headers: { 'x-version': 'v2', 'x-tenant': 'acme' } }))).toBeNull();
    });

    it('headers: any value of a repeated header matches (node joins them with ", ", or gives an array)', () => {
      const r = build([route({ name: 'rep', headers: { 'x-role': ['admin'] } })]);
      expect(r.match(req({ headers: { 'x-role': 'user, admin' } }))?.route.name).toBe('rep');
      expect(r.match(req({ headers: { 'x-role': ['user', 'Admin'] } }))?.route.name).toBe('rep');
      expect(r.match(req({ headers: { 'x-role': ['user, admin'] } }))).toBeNull();
      expect(r.match(req({ headers: { 'x-role': 'administrator' } }))).toBeNull();
    });

    it('snis: checked on TLS (wildcards, trailing dot), skipped on plain HTTP', () => {
      const r = build([route({ name: 'tls', protocols: ['https'], snis: ['*.example.com', 'exact.org'], paths: ['/'] })]);
      expect(r.match(req({ sni: 'a.example.com' }))?.route.name).toBe('tls');
      expect(r.match(req({ sni: 'Exact.org.' }))?.route.name).toBe('tls');
      expect(r.match(req({ sni: 'other.org' }))).toBeNull();
      expect(r.match(req({ sni: '' }))).toBeNull();
      expect(r.match(req({ sni: undefined }))?.route.name).toBe('tls');
    });

    it('ANDs fields, ignores empty ones', () => {
      const r = build([route({ name: 'and', methods: ['POST'], hosts: ['a.com'], paths: ['/x'], headers: {}, snis: [] })]);
      expect(r.match(req({ method: 'POST', host: 'a.com', path: '/x/1' }))?.route.name).toBe('and');
      expect(r.match(req({ method: 'GET', host: 'a.com', path: '/x/1' }))).toBeNull();
      expect(r.match(req({ method: 'POST', host: 'b.com', path: '/x/1' }))).toBeNull();
      expect(r.match(req({ method: 'POST', host: 'a.com', path: '/y' }))).toBeNull();
      const empty = build([route({ name: 'e', methods: [], hosts: null, paths: ['/'] })]);
      expect(empty.match(req({ method: 'DELETE', host: 'any.where' }))?.route.name).toBe('e');
    });

    it('matches on the normalised path', () => {
      const r = build([route({ name: 'b', paths: ['/b'] }), route({ name: 'x', paths: ['/x'] }), route({ name: 'A', paths: ['/A/'] })]);
      expect(r.match(req({ path: '/a/../b' }))?.route.name).toBe('b');
      expect(r.match(req({ path: '//x' }))?.normalizedPath).toBe('/x');
      expect(r.match(req({ path: '/%41/z' }))?.route.name).toBe('A');
      expect(build([route({ paths: ['/a/b'] })]).match(req({ path: '/a%2Fb' }))).toBeNull();
      expect(build([route({ name: 'enc', paths: ['/a%2Fb'] })]).match(req({ path: '/a%2fb' }))?.route.name).toBe('enc');
    });

    it('a route without a service still matches', () => {
      expect(winner([route({ name: 'nosvc', service: null, paths: ['/'] })], {})).toBe('nosvc');
    });

    it('leaves out stream-only routes', () => {
      const r = build([route({ name: 'tcp', protocols: ['tcp', 'tls'], snis: ['example.com'] }), route({ name: 'web', protocols: ['grpc'], paths: ['/g'] })]);
      expect(r.size).toBe(1);
      expect(r.match(req({ sni: 'example.com' }))).toBeNull();
      expect(r.match(req({ path: '/g' }))?.route.name).toBe('web');
    });

    it('answers null when nothing matches (the proxy sends 404)', () => {
      expect(build([route({ paths: ['/a'] })]).match(req({ path: '/b' }))).toBeNull();
      expect(build([]).match(req())).toBeNull();
    });

    it('collects build errors per route and routes the rest', () => {
      const r = build([
        route({ id: 'bad', name: 'atomic', paths: ['/ok', '~/(?>x)'] }),
        route({ id: 'broken', paths: ['~/(x'] }),
        route({ id: 'hdr', headers: { 'x-a': ['~*(y'] } }),
        route({ id: 'none', paths: [] }),
        route({ name: 'good', paths: ['/ok'] }),
      ]);
      expect(r.size).toBe(1);
      expect(r.errors.map((e) => [e.routeId, e.code])).toEqual([
        ['bad', 'TG_ROUTER_UNSUPPORTED_REGEX'],
        ['broken', 'TG_ROUTER_INVALID_REGEX'],
        ['hdr', 'TG_ROUTER_INVALID_HEADER_REGEX'],
        ['none', 'TG_ROUTER_NO_MATCH_FIELDS'],
      ]);
      expect(r.errors[0]?.message).toMatch(/^route 'atomic' \(bad\): '~\/\(\?>x\)' atomic group/);
      expect(r.match(req({ path: '/ok' }))?.route.name).toBe('good');
    });
  });

  describe(`${name}: precedence (Kong table 3.3)`, () => {
    it('1. more match fields win, even over a longer prefix', () => {
      const routes = [route({ name: 'long', paths: ['/very/long/prefix'] }), route({ name: 'method', methods: ['GET'], paths: ['/'] })];
      expect(winner(routes, { path: '/very/long/prefix' })).toBe('method');
      expect(winner(routes, { method: 'POST', path: '/very/long/prefix' })).toBe('long');
    });

    it('2. plain hosts only beats a wildcard host, even with a longer prefix', () => {
      const routes = [route({ name: 'wild', hosts: ['*.example.com'], paths: ['/api/v2'] }), route({ name: 'plain', hosts: ['api.example.com'], paths: ['/'] })];
      expect(winner(routes, { host: 'api.example.com', path: '/api/v2/x' })).toBe('plain');
      expect(winner(routes, { host: 'www.example.com', path: '/api/v2/x' })).toBe('wild');
    });

    it('3. more header names win, even over a regex path', () => {
      const routes = [
        route({ name: 'one', headers: { 'x-a': ['1'] }, paths: ['~/r'] }),
        route({ name: 'two', headers: { 'x-a': ['1'], 'x-b': ['2'] }, paths: ['/'] }),
      ];
      expect(winner(routes, { path: '/r', headers: { 'x-a': '1', 'x-b': '2' } })).toBe('two');
      expect(winner(routes, { path: '/r', headers: { 'x-a': '1' } })).toBe('one');
    });

    it('4. a regex path beats any prefix path', () => {
      const routes = [route({ name: 'prefix', paths: ['/api/v1/fleet/assets'] }), route({ name: 'regex', paths: ['~/api'] })];
      expect(winner(routes, { path: '/api/v1/fleet/assets/1' })).toBe('regex');
    });

    it('5. higher regex_priority wins among regex paths only', () => {
      const regexes = [route({ name: 'low', paths: ['~/a/\\d+'], regex_priority: 1 }), route({ name: 'high', paths: ['~/a'], regex_priority: 10 })];
      expect(winner(regexes, { path: '/a/1' })).toBe('high');
      const neg = [route({ name: 'neg', paths: ['~/a'], regex_priority: -5 }), route({ name: 'zero', paths: ['~/a'], regex_priority: 0 })];
      expect(winner(neg, { path: '/a' })).toBe('zero');
      const prefixes = [route({ name: 'short', paths: ['/a'], regex_priority: 100 }), route({ name: 'longer', paths: ['/a/b'] })];
      expect(winner(prefixes, { path: '/a/b' })).toBe('longer');
    });

    it('6. the longer plain prefix wins', () => {
      const routes = [route({ name: 'root', paths: ['/'] }), route({ name: 'api', paths: ['/api'] }), route({ name: 'users', paths: ['/api/users'] })];
      expect(winner(routes, { path: '/api/users/1' })).toBe('users');
      expect(winner(routes, { path: '/api/other' })).toBe('api');
      expect(winner(routes, { path: '/else' })).toBe('root');
    });

    it('7. ties: created_at ascending, then id ascending', () => {
      const byTime = [route({ id: 'a', name: 'newer', created_at: 200, paths: ['/'] }), route({ id: 'b', name: 'older', created_at: 100, paths: ['/'] })];
      expect(winner(byTime, {})).toBe('older');
      const byId = [route({ id: 'bbb', name: 'b', paths: ['/'] }), route({ id: 'aaa', name: 'a', paths: ['/'] })];
      expect(winner(byId, {})).toBe('a');
    });

    it('a route with several paths competes with the path that matched (Kong splits it)', () => {
      const routes = [route({ name: 'x', paths: ['/a', '/abcdef'] }), route({ name: 'y', paths: ['/abc'] })];
      const r = build(routes);
      expect(r.match(req({ path: '/abcdefg' }))).toMatchObject({ route: { name: 'x' }, matchedPath: '/abcdef' });
      expect(r.match(req({ path: '/abcd' }))).toMatchObject({ route: { name: 'y' }, matchedPath: '/abc' });
      expect(r.match(req({ path: '/ab' }))).toMatchObject({ route: { name: 'x' }, matchedPath: '/a' });
      const mixed = build([route({ name: 'z', paths: ['/p', '~/q(?<n>\\d)', '~/q'] })]);
      expect(mixed.match(req({ path: '/q1' }))).toMatchObject({ matchedPath: '/q1', captures: { n: '1' } });
      expect(mixed.match(req({ path: '/qx' }))).toMatchObject({ matchedPath: '/q', captures: null });
      expect(mixed.match(req({ path: '/p/1' }))?.matchedPath).toBe('/p');
    });
  });
}
