// The router's contract: compiled once per config from route and service entities, asked once per request.
import type { IncomingHttpHeaders } from 'node:http';
import type { RouterBuildError } from './errors.ts';

/** A route entity as the Admin API and declarative config show it (only the fields the router reads). */
export interface RouteEntity {
  id: string;
  name?: string | null;
  created_at?: number | null;
  protocols: string[];
  methods?: string[] | null;
  hosts?: string[] | null;
  paths?: string[] | null;
  headers?: Record<string, string[]> | null;
  snis?: string[] | null;
  regex_priority: number;
  strip_path: boolean;
  preserve_host: boolean;
  path_handling: 'v0' | 'v1';
  https_redirect_status_code: number;
  service?: { id: string } | null;
  [other: string]: unknown;
}

/** What the router looks at in a request. Values are taken as they arrive; the router normalises. */
export interface MatchInput {
  method: string;
  /** The Host header (or :authority), possibly with a port. */
  host: string;
  /** The request target's path, without the query string, not yet normalised. */
  path: string;
  /**
   * Request headers (lower-case names). `req.headers` works: node:http joins a repeated header with ", ",
   * so the router also tries the comma-split parts. `req.headersDistinct` (one array entry per header
   * line) gives Kong's exact "any value of a repeated header" semantics.
   */
  headers: IncomingHttpHeaders | NodeJS.Dict<string | string[]>;
  /**
   * TLS server name from the handshake, when the request came over TLS. Leave it undefined on plain
   * HTTP (routes' `snis` are then ignored, as in Kong); pass '' for TLS without SNI (such routes fail).
   */
  sni?: string | undefined;
  /** The port the client connected to (for `host:port` route hosts). */
  port: number;
}

export interface RouteMatch<R extends RouteEntity = RouteEntity> {
  route: R;
  /**
   * The part of the normalised request path the route's path matched: the plain prefix, or the whole
   * regex match. Empty when the route matched without paths. Used for strip_path and X-Forwarded-Prefix.
   */
  matchedPath: string;
  /** The normalised request path the match was made on. */
  normalizedPath: string;
  /**
   * Kong's `uri_captures` from a `~` path: `0` is the whole match, then numbered and named groups.
   * Null when the path was not a regex or the regex has no groups.
   */
  captures: Record<string, string> | null;
}

export interface Router<R extends RouteEntity = RouteEntity> {
  /** The best matching route by Kong's precedence, or null (the proxy answers 404). */
  match(input: MatchInput): RouteMatch<R> | null;
  /** How many routes were compiled (for status and tests). */
  readonly size: number;
  /** Routes that could not be compiled (each was left out; the others still route). */
  readonly errors: readonly RouterBuildError[];
}

export type { RouterBuildError };
