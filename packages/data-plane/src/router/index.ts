// The data plane's router: Kong `traditional_compatible` matching, compiled once per config.

import { compileRoutes } from './compile.ts';
import { IndexedRouter } from './router.ts';
import type { RouteEntity, Router } from './types.ts';

/**
 * Compiles routes into a router. Stream-only routes (tcp/tls/udp/tls_passthrough) are left out; a route
 * that cannot be compiled (bad regex, nothing to match on) is left out and reported in `errors`.
 *
 * @example
 *   const router = buildRouter(routes);
 *   const m = router.match({ method: 'GET', host: req.headers.host ?? '', path, headers: req.headers, port: 8000 });
 *   if (m === null) return notFound();  // "no Route matched with those values"
 */
export function buildRouter<R extends RouteEntity>(routes: readonly R[]): Router<R> {
  return new IndexedRouter(compileRoutes(routes));
}

export type { MatchInput, RouteEntity, RouteMatch, Router } from './types.ts';
export { ROUTER_ERROR_CODES, type RouterBuildError, type RouterErrorCode } from './errors.ts';
export { upstreamPath } from './upstream-path.ts';
export { normalizePath } from './normalise.ts';
