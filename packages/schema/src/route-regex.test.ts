import { describe, expect, it } from 'vitest';
import { compileRegex, type CompiledRegex } from './route-regex.ts';

function ok(pattern: string): CompiledRegex {
  const r = compileRegex(pattern, { anchored: true });
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe('compileRegex', () => {
  it('anchors at the start only, like Kong', () => {
    const { regex } = ok('/users/\\d+');
    expect(regex.test('/users/42/posts')).toBe(true);
    expect(regex.test('/x/users/42')).toBe(false);
  });

  it('keeps named groups and rewrites PCRE (?P<name>) and (?P=name)', () => {
    expect(ok('/(?<id>\\d+)').regex.exec('/42')?.groups).toEqual({ id: '42' });
    expect(ok('/(?P<id>\\d+)').regex.exec('/42')?.groups).toEqual({ id: '42' });
    expect(ok('/(?P<a>x)-(?P=a)').regex.test('/x-x')).toBe(true);
  });

  it('turns leading inline flags into RegExp flags', () => {
    const { regex, literalPrefix } = ok('(?i)/Users');
    expect(regex.test('/USERS')).toBe(true);
    expect(literalPrefix).toBe('');
  });

  it('accepts PCRE identity escapes and a literal brace (non-unicode fallback)', () => {
    expect(ok('/a\\-b').regex.test('/a-b')).toBe(true);
    expect(ok('/x{').regex.test('/x{')).toBe(true);
  });

  it.each([
    ['/(?>a)', 'atomic group'],
    ['/a++', 'possessive'],
    ['\\A/foo', "'\\A'"],
    ['/foo\\Z', "'\\Z'"],
    ['/\\h', "'\\h'"],
    ['/[[:alpha:]]+', 'POSIX'],
    ['/(?#note)x', 'comment'],
    ['/(?R)', 'recursion'],
    ['/a(?i)b', 'only supported at the start'],
    ['/(?x)a', "inline flag 'x'"],
    ['/\\x{41}', '\\u{'],
  ])('refuses PCRE-only %s with a clear message', (pattern, fragment) => {
    const r = compileRegex(pattern, { anchored: true });
    expect('error' in r && r.unsupported).toBe(true);
    expect('error' in r ? r.error : '').toContain(fragment);
  });

  it('reports patterns invalid everywhere as invalid, not unsupported', () => {
    const r = compileRegex('/(unclosed', { anchored: true });
    expect('error' in r && !r.unsupported).toBe(true);
  });

  it.each([
    ['/api/v1/fleet/assets/[^/]+', '/api/v1/fleet/assets/'],
    ['^/users/(\\d+)', '/users/'],
    ['/files\\.d/x', '/files.d/x'],
    ['/colou?r', '/colo'],
    ['/ab*', '/a'],
    ['/a{2}', '/'],
    ['/a+', '/a'],
    ['/a|/b', ''],
    ['/(a|b)', '/'],
    ['\\d', ''],
  ])('literal prefix of %s is %j', (pattern, prefix) => {
    expect(ok(pattern).literalPrefix).toBe(prefix);
  });
});
