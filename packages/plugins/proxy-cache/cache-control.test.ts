// Cache-Control parsing and the freshness rules proxy-cache applies with `cache_control: true`.
import { describe, expect, it } from 'vitest';
import { forbidsStoring, parseDirectives, requestAccepts, resourceTtl } from './cache-control.ts';

describe('parseDirectives', () => {
  it('reads names case-insensitively, numbers as numbers, quoted text unquoted', () => {
    const d = parseDirectives('Public, MAX-AGE=60, s-maxage="30", private="set-cookie", max-stale');
    expect(d.get('public')).toBe(true);
    expect(d.get('max-age')).toBe(60);
    expect(d.get('s-maxage')).toBe(30);
    expect(d.get('private')).toBe('set-cookie');
    expect(d.get('max-stale')).toBe(true);
    expect(parseDirectives(['no-cache', 'max-age=5']).get('max-age')).toBe(5);
    expect(parseDirectives(undefined).size).toBe(0);
  });
});

describe('resourceTtl', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('prefers s-maxage, then max-age, then Expires; 0 when none or in the past', () => {
    expect(resourceTtl(parseDirectives('max-age=60, s-maxage=10'), undefined, now)).toBe(10);
    expect(resourceTtl(parseDirectives('max-age=60'), 'Thu, 01 Jan 2026 00:10:00 GMT', now)).toBe(60);
    expect(resourceTtl(parseDirectives(''), 'Thu, 01 Jan 2026 00:10:00 GMT', now)).toBe(600);
    expect(resourceTtl(parseDirectives(''), ['Thu, 01 Jan 2026 00:10:00 GMT', 'Thu, 01 Jan 2026 00:00:30 GMT'], now)).toBe(30);
    expect(resourceTtl(parseDirectives(''), 'Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(resourceTtl(parseDirectives(''), 'not a date', now)).toBe(0);
    expect(resourceTtl(parseDirectives('max-age=soon'), undefined, now)).toBe(0);
  });

  it('knows which responses a shared cache may not store', () => {
    expect(forbidsStoring(parseDirectives('public, max-age=60'))).toBe(false);
    for (const cc of ['private', 'no-store', 'no-cache="set-cookie"']) expect(forbidsStoring(parseDirectives(cc))).toBe(true);
  });
});

describe('requestAccepts', () => {
  const none = parseDirectives(undefined);
  it('serves fresh entries, and stale ones only within max-stale', () => {
    expect(requestAccepts(none, 59_000, 60)).toBe(true);
    expect(requestAccepts(none, 61_000, 60)).toBe(false);
    expect(requestAccepts(parseDirectives('max-stale=5'), 64_000, 60)).toBe(true);
    expect(requestAccepts(parseDirectives('max-stale=5'), 66_000, 60)).toBe(false);
    expect(requestAccepts(parseDirectives('max-stale'), 3_600_000, 60)).toBe(true);
  });

  it('applies max-age to whole seconds of age, and min-fresh to the time left', () => {
    expect(requestAccepts(parseDirectives('max-age=0'), 999, 60)).toBe(true);
    expect(requestAccepts(parseDirectives('max-age=0'), 1_000, 60)).toBe(false);
    expect(requestAccepts(parseDirectives('min-fresh=30'), 20_000, 60)).toBe(true);
    expect(requestAccepts(parseDirectives('min-fresh=30'), 31_000, 60)).toBe(false);
  });
});
