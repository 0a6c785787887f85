import { describe, expect, it } from 'vitest';
import { canonicalRoutePath, normalizePath } from './normalise.ts';

describe('normalizePath', () => {
  it.each([
    ['/', '/'],
    ['/foo/bar', '/foo/bar'],
    ['/a/../b', '/b'],
    ['/a/./b', '/a/b'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/..', '/'],
    ['/../../x', '/x'],
    ['//x', '/x'],
    ['/a//b///c', '/a/b/c'],
    ['/a//', '/a/'],
    ['/a/..b/.c', '/a/..b/.c'],
    ['/%41%62c', '/Abc'],
    ['/%7euser', '/~user'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%20b', '/a%20b'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/%2e%2e/x', '/x'],
    ['/a/%2E/b', '/a/b'],
    ['/bad%zz/%4', '/bad%zz/%4'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it('returns the very same string when nothing needs doing (fast path)', () => {
    const p = '/api/v1/users/42';
    expect(normalizePath(p)).toBe(p);
  });
});

describe('canonicalRoutePath', () => {
  it('encodes characters a URL cannot carry raw, like a normalised request', () => {
    expect(canonicalRoutePath('/café')).toBe('/caf%C3%A9');
    expect(canonicalRoutePath('/a b')).toBe('/a%20b');
    expect(canonicalRoutePath('/%7Efoo/')).toBe('/~foo/');
    expect(canonicalRoutePath('/foo')).toBe('/foo');
  });
});
