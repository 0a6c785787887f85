// Brings `_format_version` 1.1 and 2.1 files to 3.0. Before 3.0 Kong guessed whether a route path was a
// regex; since 3.0 a regex path starts with `~`. Kong's migration (kong/db/migrations/migrate_regex_280_300.lua)
// prefixes every path that is not made only of plain path characters.
import type { FlatItem } from './flatten.ts';

export const FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const;
export type FormatVersion = (typeof FORMAT_VERSIONS)[number];

/** A path made only of these characters is a plain prefix; anything else made Kong 2.x treat it as a regex. */
const PLAIN_PATH = /^[a-zA-Z0-9.\-_~/%]*$/;

/** Percent-encoded reserved characters stay encoded (upper-cased); others are decoded, escaped if regex syntax. */
const RESERVED = new Set('!#$%&\'()*+,/:;=?@[]');
const REGEX_META = new Set('.^-{}\\|');

function normalizeRegex(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (triplet, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    if (RESERVED.has(char)) return triplet.toUpperCase();
    return REGEX_META.has(char) ? `\\${char}` : char;
  });
}

/**
 * The 3.0 form of a pre-3.0 route path: regex-looking paths get a `~` prefix.
 * Paths that already start with `~` are kept: Kong would prefix them again and break them.
 * @example migratePath('/users/\\d+') // '~/users/\\d+'
 * @example migratePath('/users') // '/users'
 */
export function migratePath(path: string): string {
  if (path.startsWith('~') || PLAIN_PATH.test(path)) return path;
  return `~${normalizeRegex(path)}`;
}

/** Migrates the paths of every route (nested or top-level) of a 1.1 or 2.1 file, in place. */
export function migrateRoutes(items: readonly FlatItem[], version: FormatVersion): void {
  if (version === '3.0') return;
  for (const item of items) {
    const paths = item.input['paths'];
    if (item.def.name !== 'routes' || !Array.isArray(paths)) continue;
    item.input['paths'] = paths.map((p: unknown) => (typeof p === 'string' ? migratePath(p) : p));
  }
}
