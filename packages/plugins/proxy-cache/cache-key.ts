// The cache key (kong/plugins/proxy-cache/cache_key.lua): a SHA-256 of the consumer and route, the
// method, the path, the query arguments and the `vary_headers`. The parts are joined with a newline,
// which neither a path, a raw query nor a header value can hold, so two requests cannot build the same
// text from different parts (Kong joins with `|` and `:`, which values may contain).
import { hash } from 'node:crypto';

export interface KeyOptions {
  readonly ignoreUriCase: boolean;
  /** Decoded names of the query arguments in the key, or undefined for all of them. */
  readonly varyQuery: ReadonlySet<string> | undefined;
  /** Lower-case request header names in the key, sorted. */
  readonly varyHeaders: readonly string[];
}

/** What the key reads from the request (the SDK's RequestView has it). */
export interface KeyRequest {
  /** The path as the client sent it, without the query string. */
  readonly path: string;
  readonly rawQuery: string;
  header(name: string): string | undefined;
}

/**
 * The hex SHA-256 cache key of a request.
 * @example cacheKey(ctx.consumer?.id, ctx.route?.id, 'GET', ctx.request, options)
 */
export function cacheKey(consumerId: string | undefined, routeId: string | undefined, method: string, req: KeyRequest, options: KeyOptions): string {
  const prefix = routeId === undefined ? 'default' : consumerId === undefined ? routeId : `${consumerId}:${routeId}`;
  const path = options.ignoreUriCase ? req.path.toLowerCase() : req.path;
  let text = `${prefix}\n${method}\n${path}\n${queryPart(req.rawQuery, options.varyQuery)}\n`;
  for (const name of options.varyHeaders) {
    const value = req.header(name);
    if (value !== undefined) text += `\n${name}:${value}`;
  }
  return hash('sha256', text, 'hex');
}

/**
 * The query arguments in the key: sorted, so their order in the URL does not matter, and kept as
 * sent (not decoded), so differently encoded values never share an entry.
 */
function queryPart(rawQuery: string, vary: ReadonlySet<string> | undefined): string {
  if (rawQuery === '') return '';
  const args: string[] = [];
  for (const arg of rawQuery.split('&')) {
    if (arg === '') continue;
    if (vary !== undefined) {
      const eq = arg.indexOf('=');
      if (!vary.has(decodeName(eq === -1 ? arg : arg.slice(0, eq)))) continue;
    }
    args.push(arg);
  }
  return args.length === 1 ? args[0]! : args.sort().join('&');
}

/** A query argument name as `vary_query_params` lists it: percent-decoded, `+` as a space. */
function decodeName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}
