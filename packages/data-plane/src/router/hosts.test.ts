import { describe, expect, it } from 'vitest';
import { HostMatcher, normalizeSni, parseHostPattern, requestHost, splitHostPort } from './hosts.ts';

describe('splitHostPort / requestHost', () => {
  it.each([
    ['example.com', 'example.com', null],
    ['example.com:8000', 'example.com', 8000],
    ['[::1]:8000', '[::1]', 8000],
    ['[::1]', '[::1]', null],
    ['example.*:81', 'example.*', 81],
    ['example.com:abc', 'example.com:abc', null],
  ])('%s', (value, host, port) => {
    expect(splitHostPort(value)).toEqual({ host, port });
  });

  it('drops the port and lower-cases the request Host', () => {
    expect(requestHost('API.Example.COM:8443')).toBe('api.example.com');
    expect(requestHost('[::1]:8000')).toBe('[::1]');
    expect(requestHost('[2001:DB8::1]')).toBe('[2001:db8::1]');
    expect(requestHost('')).toBe('');
  });

  it('normalises an SNI: lower-case, no trailing dot', () => {
    expect(normalizeSni('Example.COM.')).toBe('example.com');
  });
});

describe('host patterns', () => {
  it('parses exact, suffix and prefix wildcards, with ports', () => {
    expect(parseHostPattern('Example.com')).toEqual({ kind: 'exact', value: 'example.com', port: null });
    expect(parseHostPattern('*.example.com')).toEqual({ kind: 'suffix', value: '.example.com', port: null });
    expect(parseHostPattern('example.*:8000')).toEqual({ kind: 'prefix', value: 'example.', port: 8000 });
  });

  it('matches wildcards across several labels', () => {
    const m = new HostMatcher(['*.example.com', 'api.*']);
    expect(m.matches('a.example.com', 80)).toBe(true);
    expect(m.matches('a.b.c.example.com', 80)).toBe(true);
    expect(m.matches('example.com', 80)).toBe(false);
    expect(m.matches('api.example.org', 80)).toBe(true);
    expect(m.matches('api.co.uk', 80)).toBe(true);
    expect(m.matches('myapi.com', 80)).toBe(false);
    expect(m.plainOnly).toBe(false);
  });

  it('requires the port of a host:port entry', () => {
    const m = new HostMatcher(['a.com:8000', 'b.com']);
    expect(m.matches('a.com', 8000)).toBe(true);
    expect(m.matches('a.com', 9000)).toBe(false);
    expect(m.matches('b.com', 9000)).toBe(true);
    expect(m.hasPort).toBe(true);
    expect(m.plainOnly).toBe(true);
  });
});
