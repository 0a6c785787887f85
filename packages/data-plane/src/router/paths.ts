// A route's `paths`, grouped the way Kong splits a route (kong/router/transform.lua
// `split_routes_and_services_by_path`): all `~` regex paths form one group, and plain prefixes one
// group per length. Each group competes on its own priority, so ['/a', '/abc'] ranks as '/abc' when
// '/abc' is what matched.

import { canonicalRoutePath } from './normalise.ts';
import { compileRegex, type CompiledRegex } from '@tollgate/schema';

export type PathGroup =
  | { readonly kind: 'prefix'; readonly length: number; readonly prefixes: readonly string[] }
  | { readonly kind: 'regex'; readonly regexes: readonly CompiledRegex[]; readonly sources: readonly string[] };

export interface PathGroupsResult {
  readonly groups: PathGroup[];
  readonly error: { readonly value: string; readonly message: string; readonly unsupported: boolean } | null;
}

/**
 * Groups and compiles a route's paths, regex group first, then prefixes from longest to shortest. An
 * empty or missing list gives no groups (the route matches any path).
 */
export function compilePaths(paths: readonly string[] | null | undefined): PathGroupsResult {
  const groups: PathGroup[] = [];
  if (paths === null || paths === undefined || paths.length === 0) return { groups, error: null };
  const regexes: CompiledRegex[] = [];
  const sources: string[] = [];
  const byLength = new Map<number, string[]>();
  for (const path of paths) {
    if (path.startsWith('~')) {
      const compiled = compileRegex(path.slice(1), { anchored: true });
      if ('error' in compiled) return { groups, error: { value: path, message: compiled.error, unsupported: compiled.unsupported } };
      regexes.push(compiled);
      sources.push(path);
      continue;
    }
    const prefix = canonicalRoutePath(path);
    const same = byLength.get(prefix.length);
    if (same === undefined) byLength.set(prefix.length, [prefix]);
    else if (!same.includes(prefix)) same.push(prefix);
  }
  if (regexes.length > 0) groups.push({ kind: 'regex', regexes, sources });
  for (const [length, prefixes] of [...byLength].sort((a, b) => b[0] - a[0])) groups.push({ kind: 'prefix', length, prefixes });
  return { groups, error: null };
}

/** Literal text shared by every regex of a group: where the group sits in the path trie. */
export function commonLiteralPrefix(regexes: readonly CompiledRegex[]): string {
  let common = regexes[0]?.literalPrefix ?? '';
  for (const r of regexes) {
    let n = 0;
    while (n < common.length && n < r.literalPrefix.length && common.charCodeAt(n) === r.literalPrefix.charCodeAt(n)) n++;
    common = common.slice(0, n);
  }
  return common;
}

/**
 * Runs a regex group on the normalised path: the first regex (in the route's order) that matches wins,
 * as ATC evaluates `p1 || p2` left to right.
 */
export function execRegexGroup(regexes: readonly CompiledRegex[], path: string): RegExpExecArray | null {
  for (const r of regexes) {
    const m = r.regex.exec(path);
    if (m !== null) return m;
  }
  return null;
}

/**
 * Kong's `uri_captures`: `0` is the whole match, then numbered and named groups; null when the regex
 * has no groups. Groups that did not take part are left out.
 */
export function capturesOf(m: RegExpExecArray): Record<string, string> | null {
  if (m.length < 2) return null;
  const captures: Record<string, string> = {};
  for (let i = 0; i < m.length; i++) {
    const v = m[i];
    if (v !== undefined) captures[i] = v;
  }
  if (m.groups !== undefined) {
    for (const [name, v] of Object.entries(m.groups)) if (v !== undefined) captures[name] = v;
  }
  return captures;
}
