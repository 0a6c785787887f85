// Why a route could not be compiled. Build errors are collected, never thrown: one bad route is left
// out and reported, the rest of the config still routes (STYLE: build → validate → swap).

/** Stable codes, matched by `code`; the message is for people. */
export const ROUTER_ERROR_CODES = {
  /** A `~` path is not a valid regular expression. */
  TG_ROUTER_INVALID_REGEX: 'invalid regex path',
  /** A `~` path uses PCRE syntax (Kong's regex engine) that JavaScript's RegExp does not have. */
  TG_ROUTER_UNSUPPORTED_REGEX: 'regex syntax not supported',
  /** A `~*` header value is not a valid regular expression. */
  TG_ROUTER_INVALID_HEADER_REGEX: 'invalid header regex',
  /** An HTTP route sets none of methods, hosts, headers, paths, snis (Kong refuses such a route). */
  TG_ROUTER_NO_MATCH_FIELDS: 'route matches nothing',
} as const;

export type RouterErrorCode = keyof typeof ROUTER_ERROR_CODES;

/** One route the router left out, and why. */
export interface RouterBuildError {
  readonly code: RouterErrorCode;
  readonly routeId: string;
  readonly routeName: string | null;
  /** The offending value (a path or header value), when there is one. */
  readonly value: string | null;
  /** A full sentence naming the route, e.g. "route 'users' (id …): path '~/(?>a)': …". */
  readonly message: string;
}

export function buildError(
  code: RouterErrorCode,
  route: { id: string; name?: string | null },
  value: string | null,
  detail: string,
): RouterBuildError {
  const name = route.name ?? null;
  const who = name === null ? `route ${route.id}` : `route '${name}' (${route.id})`;
  const what = value === null ? '' : ` '${value}'`;
  return { code, routeId: route.id, routeName: name, value, message: `${who}:${what} ${detail}` };
}
