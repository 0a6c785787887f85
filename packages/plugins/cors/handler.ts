// cors: answers preflights (OPTIONS with Origin and Access-Control-Request-Method) from the gateway
// and adds Access-Control-* headers to other responses (kong/plugins/cors/handler.lua).
// Origins are compiled once in `prepare`: exact origins are normalised (scheme://host[:port], default
// port dropped) into a set, anything else is a regex anchored at both ends, as Kong does.
import type { Headers, PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';

export interface CorsConfig {
  /** No origins, or just `*`: `Access-Control-Allow-Origin: *`. */
  allowAll: boolean;
  /** `*` in a list of several origins: any origin is allowed and echoed. */
  anyOrigin: boolean;
  exactOrigins: Set<string>;
  originRegexes: RegExp[];
  allowHeaders: string | undefined;
  exposeHeaders: string | undefined;
  allowMethods: string;
  maxAge: string | undefined;
  credentials: boolean;
  private_network: boolean;
  preflight_continue: boolean;
  allow_origin_absent: boolean;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** Kong's normalize_origin: lower-case scheme and host, default port dropped. */
export function normalizeOrigin(origin: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?/.exec(origin);
  if (m === null) return origin;
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.toLowerCase();
  const port = m[3] !== undefined && m[3] !== DEFAULT_PORTS[scheme] ? `:${m[3]}` : '';
  return `${scheme}://${host}${port}`;
}

/** A Kong origin entry is a regex when it has characters other than `A-Za-z0-9.:/-`. */
const MAYBE_REGEX = /[^A-Za-z0-9.:/-]/;

function compileRegex(source: string): RegExp {
  let flags = '';
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (inline !== null) {
    source = source.slice(inline[0].length);
    for (const f of inline[1]!) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  return new RegExp(`^(?:${source})$`, flags);
}

export function prepareCors(config: Record<string, unknown>): CorsConfig {
  const origins = Array.isArray(config['origins']) ? (config['origins'] as string[]) : [];
  const list = (v: unknown): string | undefined => (Array.isArray(v) && v.length > 0 ? v.join(',') : undefined);
  const exactOrigins = new Set<string>();
  const originRegexes: RegExp[] = [];
  for (const origin of origins) {
    if (origin === '*') continue;
    if (MAYBE_REGEX.test(origin)) originRegexes.push(compileRegex(origin));
    else exactOrigins.add(normalizeOrigin(origin));
  }
  const methods = Array.isArray(config['methods']) ? (config['methods'] as string[]) : [];
  return {
    allowAll: origins.length === 0 || (origins.length === 1 && origins[0] === '*'),
    anyOrigin: origins.includes('*'),
    exactOrigins,
    originRegexes,
    allowHeaders: list(config['headers']),
    exposeHeaders: list(config['exposed_headers']),
    allowMethods: methods.length > 0 ? methods.join(',') : 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
    maxAge: typeof config['max_age'] === 'number' ? String(config['max_age']) : undefined,
    credentials: config['credentials'] === true,
    private_network: config['private_network'] === true,
    preflight_continue: config['preflight_continue'] === true,
    allow_origin_absent: config['allow_origin_absent'] !== false,
  };
}

/** The Allow-Origin value for this request, or undefined when the origin is not allowed. */
function allowedOrigin(config: CorsConfig, requestOrigin: string | undefined): string | undefined {
  if (config.allowAll) return '*';
  if (requestOrigin === undefined) return undefined;
  const normalized = normalizeOrigin(requestOrigin);
  if (config.anyOrigin || config.exactOrigins.has(normalized)) return normalized;
  for (const re of config.originRegexes) if (re.test(normalized)) return normalized;
  return undefined;
}

/** Kong's configure_origin + configure_credentials, into `out`. */
function originHeaders(config: CorsConfig, origin: string | undefined, out: Headers): void {
  const allow = allowedOrigin(config, origin);
  if (!config.allowAll) out['vary'] = 'Origin';
  if (allow !== undefined) out['access-control-allow-origin'] = allow;
  if (!config.credentials) return;
  if (!config.allowAll) {
    out['access-control-allow-credentials'] = 'true';
  } else if (origin !== undefined) {
    // Allow-Credentials cannot go with Allow-Origin `*`: echo the origin instead.
    out['vary'] = 'Origin';
    out['access-control-allow-origin'] = origin;
    out['access-control-allow-credentials'] = 'true';
  }
}

const SKIP = 'cors:skip-response-headers';

export const corsHandlers: PluginHandlers<CorsConfig> = {
  access(ctx) {
    const { config, request } = ctx;
    const origin = request.header('origin');
    if (request.method !== 'OPTIONS' || origin === undefined || request.header('access-control-request-method') === undefined) return;
    // A preflight: the upstream answers it (preflight_continue) or we already set every header.
    ctx.shared.set(SKIP, true);
    if (config.preflight_continue) return;
    const headers: Headers = {};
    originHeaders(config, origin, headers);
    const allowHeaders = config.allowHeaders ?? request.header('access-control-request-headers');
    if (allowHeaders !== undefined) headers['access-control-allow-headers'] = allowHeaders;
    headers['access-control-allow-methods'] = config.allowMethods;
    if (config.maxAge !== undefined) headers['access-control-max-age'] = config.maxAge;
    if (config.private_network && request.header('access-control-request-private-network') === 'true') {
      headers['access-control-allow-private-network'] = 'true';
    }
    ctx.response.exit(200, undefined, headers);
  },
  response(ctx: PluginContext<CorsConfig>) {
    if (ctx.shared.get(SKIP) === true) return;
    const { config } = ctx;
    const origin = ctx.request.header('origin');
    if (!config.allow_origin_absent && origin === undefined) return;
    const headers: Headers = {};
    originHeaders(config, origin, headers);
    if (config.exposeHeaders !== undefined) headers['access-control-expose-headers'] = config.exposeHeaders;
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) ctx.response.setHeader(name, value);
  },
};
