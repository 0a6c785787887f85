// Reading YAML/JSON text, and the 1.1/2.1 route path migration.
import { describe, expect, it } from 'vitest';
import { KongError } from '../errors.ts';
import { migratePath } from './migrate.ts';
import { parseDeclarativeText } from './parse.ts';

function parseError(text: string): KongError {
  try {
    parseDeclarativeText(text);
  } catch (e) {
    if (e instanceof KongError) return e;
    throw e;
  }
  throw new Error('the text parsed');
}

describe('parseDeclarativeText', () => {
  it('reads YAML and JSON', () => {
    expect(parseDeclarativeText('---\n_format_version: "3.0"\nservices:\n  - name: s # comment\n')).toEqual({ _format_version: '3.0', services: [{ name: 's' }] });
    expect(parseDeclarativeText('{\n\t"_format_version": "1.1",\n\t"services": []\n}')).toEqual({ _format_version: '1.1', services: [] });
  });

  it('says where a YAML syntax error is', () => {
    const e = parseError('_format_version: "3.0"\nservices:\n  - name: [a, b\n  - name: c\n');
    expect(e.kind).toBe('INVALID_DECLARATIVE_CONFIG');
    expect(e.message).toMatch(/^failed parsing declarative configuration: .+ \(line \d+, column \d+\)$/);
  });

  it('says where a JSON syntax error is, and refuses duplicate keys', () => {
    expect(parseError('{\n  "_format_version": "3.0",\n  "services": [,]\n}').message).toMatch(/\(line 3, column \d+\)$/);
    expect(parseError('a: 1\na: 2\n').message).toBe('failed parsing declarative configuration: Map keys must be unique (line 2, column 1)');
  });
});

describe('migratePath (1.1 / 2.1 → 3.0)', () => {
  it('prefixes paths with any character outside plain path characters', () => {
    for (const p of ['/a/[^/]+', '/a/(b|c)', '/a$', '/a\\d', '/a*', '/a+', '/a?', '/a{2}', '/a^b']) expect(migratePath(p)).toBe(`~${p}`);
  });

  it('keeps plain paths and paths that already are 3.0 regexes', () => {
    for (const p of ['/', '/api/v1.2/x-y_z~', '/a%20b', '~/api/[^/]+']) expect(migratePath(p)).toBe(p);
  });

  it('decodes percent-encoded characters of migrated regexes the way Kong does', () => {
    expect(migratePath('/a%2fb/(c)')).toBe('~/a%2Fb/(c)');
    expect(migratePath('/a%2eb/(c)')).toBe('~/a\\.b/(c)');
    expect(migratePath('/a%41/(c)')).toBe('~/aA/(c)');
  });
});
