// The reference router: tries every variant in rank order and returns the first that matches. It has
// no index, so it is obviously right and O(routes); tests check the indexed router against it and the
// benchmark shows what the index buys.

import { compileRoutes, conditionsHold, type Variant } from './compile.ts';
import type { RouterBuildError } from './errors.ts';
import { normalizeSni, requestHost } from './hosts.ts';
import { normalizePath } from './normalise.ts';
import { capturesOf, execRegexGroup } from './paths.ts';
import type { MatchInput, RouteEntity, RouteMatch, Router } from './types.ts';

/** Builds the unindexed reference router (same semantics as `buildRouter`). */
export function buildLinearRouter<R extends RouteEntity>(routes: readonly R[]): Router<R> {
  const compiled = compileRoutes(routes);
  return new LinearRouter(compiled.variants, compiled.size, compiled.errors);
}

class LinearRouter<R extends RouteEntity> implements Router<R> {
  readonly #variants: readonly Variant<R>[];
  readonly size: number;
  readonly errors: readonly RouterBuildError[];

  constructor(variants: readonly Variant<R>[], size: number, errors: readonly RouterBuildError[]) {
    this.#variants = variants;
    this.size = size;
    this.errors = errors;
  }

  match(input: MatchInput): RouteMatch<R> | null {
    const path = normalizePath(input.path);
    const host = requestHost(input.host);
    const sni = input.sni === undefined ? undefined : normalizeSni(input.sni);
    for (const v of this.#variants) {
      if (!conditionsHold(v, input, host, sni, false)) continue;
      if (v.prefixes !== null) {
        const prefix = v.prefixes.find((p) => path.startsWith(p));
        if (prefix !== undefined) return { route: v.route, matchedPath: prefix, normalizedPath: path, captures: null };
      } else if (v.regexes !== null) {
        const m = execRegexGroup(v.regexes, path);
        if (m !== null) return { route: v.route, matchedPath: m[0], normalizedPath: path, captures: capturesOf(m) };
      } else {
        return { route: v.route, matchedPath: '', normalizedPath: path, captures: null };
      }
    }
    return null;
  }
}
