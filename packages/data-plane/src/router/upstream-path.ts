// The path (and query) sent upstream: the service path joined with what is left of the request path
// after strip_path (kong/router/utils.lua `get_upstream_uri_v0`, traditional.lua for v1).

import type { RouteEntity, RouteMatch } from './types.ts';

const SLASH = 47;

/**
 * Kong's sanitize_uri_postfix: what follows the stripped prefix never starts with a dot segment.
 * (`/foo` + `..` is not allowed to climb out of the service path.)
 */
function sanitizePostfix(postfix: string): string {
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(2);
  if (postfix.startsWith('../')) return postfix.slice(3);
  return postfix;
}

/**
 * v0 (Kong's default, and the only mode of its ATC router flavors) joins the service path and the rest
 * of the request as path segments; see the table in the Kong reference, section 3.4.
 */
function joinV0(base: string, stripPath: boolean, postfix: string, reqPath: string): string {
  if (base.charCodeAt(base.length - 1) === SLASH) {
    if (!stripPath) return base + reqPath.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return reqPath.charCodeAt(reqPath.length - 1) === SLASH ? base : base.slice(0, -1);
    }
    return postfix.charCodeAt(0) === SLASH ? base.slice(0, -1) + postfix : base + postfix;
  }
  if (!stripPath) return reqPath === '/' ? base : base + reqPath;
  if (postfix === '') return reqPath.length > 1 && reqPath.charCodeAt(reqPath.length - 1) === SLASH ? `${base}/` : base;
  return postfix.charCodeAt(0) === SLASH ? base + postfix : `${base}/${postfix}`;
}

/** v1 (deprecated) concatenates, collapsing only the one double slash at the join. */
function joinV1(base: string, stripPath: boolean, postfix: string, reqPath: string): string {
  if (!stripPath) return base + reqPath.slice(1);
  if (base.charCodeAt(base.length - 1) === SLASH && postfix.charCodeAt(0) === SLASH) return base.slice(0, -1) + postfix;
  return base + postfix;
}

/**
 * The request target to send upstream: path from `strip_path` / `path_handling`, then the query.
 *
 * - `servicePath`: the service's `path`; null or undefined means `/`.
 * - `match`: the router's answer; `matchedPath` (the prefix, or the whole regex match) is what
 *   strip_path removes from `normalizedPath`. An empty `matchedPath` (route without paths) strips nothing.
 * - `rawQuery`: what followed `?` in the request, untouched; null/undefined when there was no `?`,
 *   '' for a bare `?` (kept, as Kong does).
 *
 * @example
 *   upstreamPath({ strip_path: true, path_handling: 'v0' }, '/s', { matchedPath: '/foo', normalizedPath: '/foo/bar' }, 'a=1')
 *   // '/s/bar?a=1'
 */
export function upstreamPath(
  route: Pick<RouteEntity, 'strip_path' | 'path_handling'>,
  servicePath: string | null | undefined,
  match: Pick<RouteMatch, 'matchedPath' | 'normalizedPath'>,
  rawQuery: string | null | undefined,
): string {
  const base = servicePath === null || servicePath === undefined || servicePath === '' ? '/' : servicePath;
  const reqPath = match.normalizedPath;
  const strip = route.strip_path && match.matchedPath !== '';
  // Without a path match Kong's postfix is the request path minus its leading slash.
  const postfix = sanitizePostfix(strip ? reqPath.slice(match.matchedPath.length) : reqPath.slice(1));
  const path =
    route.path_handling === 'v1' ? joinV1(base, route.strip_path, postfix, reqPath) : joinV0(base, route.strip_path, postfix, reqPath);
  return rawQuery === null || rawQuery === undefined ? path : `${path}?${rawQuery}`;
}
