// Kong's basic log serializer (kong/pdk/log.lua `serialize`), built from what the plugin SDK exposes.
// Shared by http-log and file-log. Fields the SDK cannot see (byte sizes on the wire, balancer tries)
// are approximated or left out, as noted per field.
import type { PluginContext } from '@tollgate/plugin-sdk';

/** ctx.shared keys where the timing marks of one request are kept (shared by all log plugins). */
const ACCESS_MARK = 'log-serializer:access-ms';
const RESPONSE_MARK = 'log-serializer:response-ms';
const REQUEST_HEADERS = 'log-serializer:request-headers';

/**
 * Call from an `access` handler: marks when the gateway was done with the request (Kong's `kong`
 * latency) and keeps the request headers as plugins left them, before the proxy adds its own
 * (X-Forwarded-*, Via, the upstream Host), which Kong's log does not show either.
 */
export function markAccess(ctx: PluginContext<unknown>): void {
  if (!ctx.shared.has(ACCESS_MARK)) ctx.shared.set(ACCESS_MARK, ctx.elapsed());
  if (!ctx.shared.has(REQUEST_HEADERS)) ctx.shared.set(REQUEST_HEADERS, copyHeaders(ctx.request.headers));
}

/** Call from a `response` handler: marks when the upstream's status and headers arrived. */
export function markResponse(ctx: PluginContext<unknown>): void {
  if (!ctx.shared.has(RESPONSE_MARK)) ctx.shared.set(RESPONSE_MARK, ctx.elapsed());
}

export type LogEntry = Record<string, unknown>;

/** Kong's `ngx.req.get_uri_args()`: repeated names become arrays, a bare name is `true`. */
function querystring(rawQuery: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let name: string;
    let value: string | true;
    try {
      name = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      value = eq < 0 ? true : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      name = eq < 0 ? part : part.slice(0, eq);
      value = eq < 0 ? true : part.slice(eq + 1);
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

function round(ms: number): number {
  return Math.max(0, Math.round(ms));
}

/** Headers as Kong logs them: lower-case names, values as received (Kong does not redact). */
function copyHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

/** Builds the log entry for the current request; call it from a `log` handler. */
export function serialize(ctx: PluginContext<unknown>): LogEntry {
  const req = ctx.request;
  const elapsed = ctx.elapsed();
  const now = Date.now();
  const query = req.rawQuery === '' ? '' : `?${req.rawQuery}`;
  const defaultPort = req.scheme === 'https' ? 443 : 80;
  const hostPort = req.port === defaultPort || req.port === 0 ? req.host : `${req.host}:${req.port}`;

  const request: Record<string, unknown> = {
    id: ctx.requestId,
    uri: `${req.path}${query}`,
    url: `${req.scheme}://${hostPort}${req.path}${query}`,
    querystring: querystring(req.rawQuery),
    method: req.method,
    headers: (ctx.shared.get(REQUEST_HEADERS) as Record<string, string | string[]> | undefined) ?? copyHeaders(req.headers),
    // Kong logs the whole request length; the SDK only knows the declared body length.
    size: req.contentLength ?? 0,
  };
  if (req.scheme === 'https') request['tls'] = {};

  const status = ctx.response.status;
  const source = ctx.response.source === 'upstream' ? 'upstream' : 'kong';
  const responseHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(ctx.response.headers())) if (value !== undefined) responseHeaders[name] = value;
  const response: Record<string, unknown> = { status, headers: responseHeaders };
  const length = ctx.response.header('content-length');
  if (ctx.response.bytesSent !== undefined) response['size'] = ctx.response.bytesSent;
  else if (typeof length === 'string' && /^\d+$/.test(length)) response['size'] = Number(length);
  else if (ctx.response.body !== undefined) response['size'] = ctx.response.body.length;

  const accessMs = ctx.shared.get(ACCESS_MARK);
  const responseMs = ctx.shared.get(RESPONSE_MARK);
  const latencies: Record<string, number> = { request: round(elapsed), receive: 0 };
  if (typeof accessMs === 'number' && typeof responseMs === 'number' && source === 'upstream') {
    latencies['proxy'] = round(responseMs - accessMs);
    latencies['kong'] = round(elapsed - (responseMs - accessMs));
  } else {
    latencies['proxy'] = -1;
    latencies['kong'] = round(typeof accessMs === 'number' ? accessMs : elapsed);
  }

  const entry: LogEntry = {
    request,
    upstream_uri: `${ctx.upstream.path}${ctx.upstream.rawQuery === '' ? '' : `?${ctx.upstream.rawQuery}`}`,
    response,
    latencies,
    tries: [],
    client_ip: req.clientIp,
    started_at: Math.round(now - elapsed),
    source,
    workspace_name: 'default',
  };
  if (source === 'upstream') entry['upstream_status'] = String(status);
  if (ctx.route !== undefined) entry['route'] = ctx.route;
  if (ctx.service !== undefined) entry['service'] = ctx.service;
  if (ctx.consumer !== undefined) entry['consumer'] = ctx.consumer;
  if (ctx.credential !== undefined) {
    entry['authenticated_entity'] = { id: ctx.credential.id, consumer_id: ctx.credential['consumer'] ?? ctx.consumer?.id };
  }
  return entry;
}
