// Route entities → match variants: one per path group (Kong's route split), each with its conditions
// compiled and its rank in the global precedence order. Both router implementations start from here.

import { buildError, type RouterBuildError } from './errors.ts';
import { compileHeaders, headersMatch, type HeaderCondition, type HeaderValues } from './headers.ts';
import { HostMatcher } from './hosts.ts';
import { compilePaths, type PathGroup } from './paths.ts';
import { comparePriority, priorityOf, type Priority } from './priority.ts';
import type { CompiledRegex } from '@tollgate/schema';
import type { MatchInput, RouteEntity } from './types.ts';

/** One (route, path group) pair: what Kong calls a split route. */
export interface Variant<R extends RouteEntity> {
  readonly route: R;
  readonly priority: Priority;
  /** Position in the global precedence order, 0 = wins over everything. */
  rank: number;
  readonly methods: ReadonlySet<string> | null;
  readonly hosts: HostMatcher | null;
  readonly snis: HostMatcher | null;
  readonly headers: readonly HeaderCondition[] | null;
  /** Plain prefixes of this group (all the same length), or null. */
  readonly prefixes: readonly string[] | null;
  /** Regexes of this group, in the route's order, or null. */
  readonly regexes: readonly CompiledRegex[] | null;
}

export interface CompiledRoutes<R extends RouteEntity> {
  /** Sorted by rank. */
  readonly variants: readonly Variant<R>[];
  readonly errors: readonly RouterBuildError[];
  /** Routes compiled (a route split into several variants counts once). */
  readonly size: number;
}

const STREAM_PROTOCOLS = new Set(['tcp', 'tls', 'udp', 'tls_passthrough']);

/** Stream routes are the stream proxy's business, not the HTTP router's. */
export function isStreamOnly(route: RouteEntity): boolean {
  return route.protocols.length > 0 && route.protocols.every((p) => STREAM_PROTOCOLS.has(p));
}

function nonEmpty<T>(list: readonly T[] | null | undefined): list is readonly T[] {
  return list !== null && list !== undefined && list.length > 0;
}

/** Compiles every HTTP route; bad routes are left out and reported in `errors`. */
export function compileRoutes<R extends RouteEntity>(routes: readonly R[]): CompiledRoutes<R> {
  const variants: Variant<R>[] = [];
  const errors: RouterBuildError[] = [];
  let size = 0;
  routes.forEach((route, index) => {
    if (isStreamOnly(route)) return;
    const paths = compilePaths(route.paths);
    if (paths.error !== null) {
      const code = paths.error.unsupported ? 'TG_ROUTER_UNSUPPORTED_REGEX' : 'TG_ROUTER_INVALID_REGEX';
      errors.push(buildError(code, route, paths.error.value, paths.error.message));
      return;
    }
    const headers = compileHeaders(route.headers ?? {});
    if (headers.error !== null) {
      errors.push(buildError('TG_ROUTER_INVALID_HEADER_REGEX', route, headers.error.value, headers.error.message));
      return;
    }
    const methods = nonEmpty(route.methods) ? new Set(route.methods) : null;
    const hosts = nonEmpty(route.hosts) ? new HostMatcher(route.hosts) : null;
    const snis = nonEmpty(route.snis) ? new HostMatcher(route.snis, true) : null;
    const conditions = headers.conditions.length > 0 ? headers.conditions : null;
    if (methods === null && hosts === null && snis === null && conditions === null && paths.groups.length === 0) {
      errors.push(buildError('TG_ROUTER_NO_MATCH_FIELDS', route, null, "sets none of 'methods', 'hosts', 'headers', 'paths', 'snis'"));
      return;
    }
    size++;
    const groups: (PathGroup | null)[] = paths.groups.length > 0 ? paths.groups : [null];
    groups.forEach((group, g) => {
      const priority = priorityOf({
        hasMethods: methods !== null,
        hasHosts: hosts !== null,
        plainHostsOnly: hosts?.plainOnly ?? false,
        headerCount: conditions?.length ?? 0,
        hasSnis: snis !== null,
        pathKind: group === null ? null : group.kind,
        prefixLength: group?.kind === 'prefix' ? group.length : 0,
        regexPriority: route.regex_priority ?? 0,
        createdAt: route.created_at,
        id: route.id,
        seq: index * 1024 + Math.min(g, 1023),
      });
      variants.push({
        route,
        priority,
        rank: 0,
        methods,
        hosts,
        snis,
        headers: conditions,
        prefixes: group?.kind === 'prefix' ? group.prefixes : null,
        regexes: group?.kind === 'regex' ? group.regexes : null,
      });
    });
  });
  variants.sort((a, b) => comparePriority(a.priority, b.priority));
  variants.forEach((v, i) => (v.rank = i));
  return { variants, errors, size };
}

/**
 * Every condition of a variant except its path. `hostKnown`: the caller found the variant through the
 * host index, so only `host:port` entries still need checking.
 */
export function conditionsHold<R extends RouteEntity>(
  v: Variant<R>,
  input: MatchInput,
  host: string,
  sni: string | undefined,
  hostKnown: boolean,
): boolean {
  if (v.methods !== null && !v.methods.has(input.method)) return false;
  if (v.hosts !== null && (!hostKnown || v.hosts.hasPort) && !v.hosts.matches(host, input.port)) return false;
  // Kong: `net.protocol != "https" || tls.sni == …` — on plain HTTP the snis condition is skipped.
  if (v.snis !== null && sni !== undefined && !v.snis.matches(sni, 0)) return false;
  if (v.headers !== null && !headersMatch(v.headers, input.headers as HeaderValues)) return false;
  return true;
}
