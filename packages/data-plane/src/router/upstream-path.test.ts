import { describe, expect, it } from 'vitest';
import { buildRouter } from './index.ts';
import { req, route } from './test-helpers.ts';
import { upstreamPath } from './upstream-path.ts';

const v0 = (strip: boolean) => ({ strip_path: strip, path_handling: 'v0' as const });
const v1 = (strip: boolean) => ({ strip_path: strip, path_handling: 'v1' as const });
/** What the router gives for route path `/foo` and a request path. */
const foo = (path: string) => ({ matchedPath: path.startsWith('/foo') ? '/foo' : '', normalizedPath: path });

describe('upstreamPath, path_handling v0 (kong-reference 3.4, every row)', () => {
  it.each([
    ['/', true, '/foo', '/'],
    ['/', true, '/foo/bar', '/bar'],
    ['/', true, '/foobar', '/bar'],
    ['/s', true, '/foo', '/s'],
    ['/s', true, '/foo/', '/s/'],
    ['/s', true, '/foobar', '/s/bar'],
    ['/s/', true, '/foo', '/s'],
    ['/s/', true, '/foo/bar', '/s/bar'],
    ['/', false, '/foo/bar', '/foo/bar'],
    ['/s', false, '/foo/bar', '/s/foo/bar'],
    ['/s/', false, '/foo/bar', '/s/foo/bar'],
  ])('service %s, strip_path %s, request %s → %s', (svc, strip, path, expected) => {
    expect(upstreamPath(v0(strip), svc, foo(path), null)).toBe(expected);
  });

  it('more v0 edges from get_upstream_uri_v0', () => {
    expect(upstreamPath(v0(true), '/s/', foo('/foo/'), null)).toBe('/s/');
    expect(upstreamPath(v0(false), '/s', { matchedPath: '/', normalizedPath: '/' }, null)).toBe('/s');
    expect(upstreamPath(v0(true), null, foo('/foo/bar'), null)).toBe('/bar');
    // The rest after the prefix never starts with a dot segment (sanitize_uri_postfix).
    expect(upstreamPath(v0(true), '/s/', foo('/foo../x'), null)).toBe('/s/x');
  });

  it('strip_path with no path match keeps the whole request path', () => {
    const none = { matchedPath: '', normalizedPath: '/a/b' };
    expect(upstreamPath(v0(true), '/', none, null)).toBe('/a/b');
    expect(upstreamPath(v0(true), '/s', none, null)).toBe('/s/a/b');
    expect(upstreamPath(v0(true), '/s', { matchedPath: '', normalizedPath: '/' }, null)).toBe('/s');
  });

  it('a regex strip removes the whole regex match', () => {
    const r = buildRouter([route({ paths: ['~/api/v\\d+'] })]);
    const m = r.match(req({ path: '/api/v2/users' }));
    expect(m?.matchedPath).toBe('/api/v2');
    expect(upstreamPath(v0(true), '/backend', m!, null)).toBe('/backend/users');
  });

  it('keeps the query string as it came, including an empty one', () => {
    expect(upstreamPath(v0(true), '/s', foo('/foo/bar'), 'a=1&b=%20')).toBe('/s/bar?a=1&b=%20');
    expect(upstreamPath(v0(true), '/s', foo('/foo/bar'), '')).toBe('/s/bar?');
    expect(upstreamPath(v0(true), '/s', foo('/foo/bar'), undefined)).toBe('/s/bar');
  });
});

describe('upstreamPath, path_handling v1 (plain concatenation)', () => {
  it.each([
    ['/s', true, '/foobar', '/sbar'],
    ['/s', false, '/foo/bar', '/sfoo/bar'],
    ['/s/', true, '/foo/bar', '/s/bar'],
    ['/s', true, '/foo/bar', '/s/bar'],
    ['/', true, '/foo', '/'],
    ['/', false, '/foo/bar', '/foo/bar'],
  ])('service %s, strip_path %s, request %s → %s', (svc, strip, path, expected) => {
    expect(upstreamPath(v1(strip), svc, foo(path), null)).toBe(expected);
  });
});
