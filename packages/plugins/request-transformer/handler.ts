// request-transformer: rewrites the upstream request before proxying
// (kong/plugins/request-transformer/access.lua): replace.uri, then headers, body (JSON and
// url-encoded forms), then query string; within each, remove → rename → replace → add → append.
// Everything is split and compiled once in `prepare`, `$(...)` templates included.
//
// Not implemented: multipart bodies (left untouched), and replacing the upstream Host header (the
// proxy sets Host itself unless the route has preserve_host).
import type { PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';

/** A value: literal text and template references, concatenated. */
type Part = string | { source: 'headers' | 'query_params' | 'uri_captures'; name: string };
type Template = Part[];

interface Pair {
  name: string;
  value: Template;
}

interface Actions {
  remove: string[];
  rename: { from: string; to: string }[];
  replace: Pair[];
  add: Pair[];
  append: Pair[];
}

export interface RequestTransformerConfig {
  uri: Template | undefined;
  /** Upper-cased `http_method`, or undefined to keep the client's. */
  method: string | undefined;
  headers: Actions;
  querystring: Actions;
  body: Actions;
  hasBody: boolean;
}

const TEMPLATE = /\$\(\s*(headers|query_params|uri_captures)\s*(?:\.\s*([A-Za-z0-9_-]+)|\[\s*(?:(["'])(.*?)\3|(\d+))\s*\])\s*\)/g;

function compileTemplate(text: string): Template {
  const parts: Template = [];
  let last = 0;
  for (const m of text.matchAll(TEMPLATE)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ source: m[1] as 'headers', name: m[2] ?? m[4] ?? m[5]! });
    last = m.index + m[0].length;
  }
  if (last < text.length || parts.length === 0) parts.push(text.slice(last));
  return parts;
}

function render(template: Template, ctx: PluginContext<RequestTransformerConfig>): string {
  if (template.length === 1 && typeof template[0] === 'string') return template[0];
  let out = '';
  for (const part of template) {
    if (typeof part === 'string') out += part;
    else if (part.source === 'headers') {
      // Kong's template `headers` table accepts `_` for `-`.
      out += ctx.request.header(part.name.toLowerCase()) ?? ctx.request.header(part.name.toLowerCase().replaceAll('_', '-')) ?? '';
    } else if (part.source === 'query_params') out += ctx.request.query().get(part.name) ?? '';
    else out += ctx.request.uriCaptures?.[part.name] ?? '';
  }
  return out;
}

/** `name:value` at the first colon; Kong's `iter`. */
function split(entry: string): [string, string] {
  const i = entry.indexOf(':');
  return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
}

function compileActions(config: Record<string, unknown>, field: string, lowerNames: boolean): Actions {
  const get = (action: string): string[] => {
    const section = config[action] as Record<string, unknown> | undefined;
    const list = section?.[field];
    return Array.isArray(list) ? (list as string[]) : [];
  };
  const name = (n: string): string => (lowerNames ? n.toLowerCase() : n);
  const pairs = (action: string): Pair[] => get(action).map((e) => {
    const [n, v] = split(e);
    return { name: name(n), value: compileTemplate(v) };
  });
  return {
    remove: get('remove').map((e) => name(split(e)[0])),
    rename: get('rename').map((e) => {
      const [from, to] = split(e);
      return { from: name(from), to: name(to) };
    }),
    replace: pairs('replace'),
    add: pairs('add'),
    append: pairs('append'),
  };
}

const isEmpty = (a: Actions): boolean =>
  a.remove.length + a.rename.length + a.replace.length + a.add.length + a.append.length === 0;

export function prepareRequestTransformer(config: Record<string, unknown>): RequestTransformerConfig {
  const replace = config['replace'] as Record<string, unknown> | undefined;
  const body = compileActions(config, 'body', false);
  return {
    uri: typeof replace?.['uri'] === 'string' ? compileTemplate(replace['uri']) : undefined,
    method: typeof config['http_method'] === 'string' ? config['http_method'].toUpperCase() : undefined,
    headers: compileActions(config, 'headers', true),
    querystring: compileActions(config, 'querystring', false),
    body,
    hasBody: !isEmpty(body),
  };
}

/** Applies the five actions to a multi-valued map (name → values), in Kong's order. */
function transform(
  map: Map<string, string[]>,
  actions: Actions,
  ctx: PluginContext<RequestTransformerConfig>,
  opts: { protect?: string } = {},
): boolean {
  let changed = false;
  for (const name of actions.remove) changed = map.delete(name) || changed;
  for (const { from, to } of actions.rename) {
    const value = map.get(from);
    if (value === undefined) continue;
    map.delete(from);
    map.set(to, value);
    changed = true;
  }
  for (const { name, value } of actions.replace) {
    if (!map.has(name)) continue;
    map.set(name, [render(value, ctx)]);
    changed = true;
  }
  for (const { name, value } of actions.add) {
    if (map.has(name) || name === opts.protect) continue;
    map.set(name, [render(value, ctx)]);
    changed = true;
  }
  for (const { name, value } of actions.append) {
    if (name === opts.protect) continue;
    map.set(name, [...(map.get(name) ?? []), render(value, ctx)]);
    changed = true;
  }
  return changed;
}

function paramsToMap(params: URLSearchParams): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [k, v] of params) map.set(k, [...(map.get(k) ?? []), v]);
  return map;
}

function mapToQuery(map: Map<string, string[]>): string {
  const out = new URLSearchParams();
  for (const [k, values] of map) for (const v of values) out.append(k, v);
  return out.toString();
}

function transformHeaders(ctx: PluginContext<RequestTransformerConfig>): void {
  const actions = ctx.config.headers;
  if (isEmpty(actions)) return;
  const map = new Map<string, string[]>();
  for (const [k, v] of Object.entries(ctx.request.headers)) if (v !== undefined) map.set(k, Array.isArray(v) ? [...v] : [v]);
  const before = new Set(map.keys());
  transform(map, actions, ctx, { protect: 'host' });
  for (const name of before) if (!map.has(name)) ctx.upstream.removeHeader(name);
  for (const [name, values] of map) ctx.upstream.setHeader(name, values.length === 1 ? values[0]! : values);
}

function transformQuery(ctx: PluginContext<RequestTransformerConfig>): void {
  const actions = ctx.config.querystring;
  if (isEmpty(actions)) return;
  const map = paramsToMap(new URLSearchParams(ctx.upstream.rawQuery));
  if (transform(map, actions, ctx)) ctx.upstream.setQuery(mapToQuery(map));
}

async function transformBody(ctx: PluginContext<RequestTransformerConfig>): Promise<void> {
  if (!ctx.config.hasBody) return;
  const contentType = (ctx.request.header('content-type') ?? '').toLowerCase();
  const actions = ctx.config.body;
  if (contentType.includes('application/x-www-form-urlencoded')) {
    const raw = (await ctx.request.body()).toString('utf8');
    const map = paramsToMap(new URLSearchParams(raw));
    if (transform(map, actions, ctx)) ctx.upstream.setBody(mapToQuery(map));
  } else if (contentType.includes('application/json')) {
    const raw = await ctx.request.body();
    let parsed: unknown;
    if (raw.length === 0) parsed = {};
    else {
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        return; // Kong leaves a body it cannot decode untouched
      }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
    const obj = parsed as Record<string, unknown>;
    let changed = false;
    for (const name of actions.remove) if (name in obj) { delete obj[name]; changed = true; }
    for (const { from, to } of actions.rename) {
      if (!(from in obj)) continue;
      obj[to] = obj[from];
      delete obj[from];
      changed = true;
    }
    for (const { name, value } of actions.replace) if (name in obj) { obj[name] = render(value, ctx); changed = true; }
    for (const { name, value } of actions.add) if (!(name in obj)) { obj[name] = render(value, ctx); changed = true; }
    for (const { name, value } of actions.append) {
      const v = render(value, ctx);
      const old = obj[name];
      obj[name] = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
      changed = true;
    }
    if (changed) ctx.upstream.setBody(JSON.stringify(obj));
  }
}

/**
 * Kong's transform_method: a request turned into GET, HEAD or TRACE keeps a url-encoded form body's
 * fields by moving them into the query string (the body then goes nowhere useful).
 */
async function transformMethod(ctx: PluginContext<RequestTransformerConfig>, method: string): Promise<void> {
  ctx.upstream.setMethod(method);
  if (method !== 'GET' && method !== 'HEAD' && method !== 'TRACE') return;
  if ((ctx.request.header('content-type') ?? '').toLowerCase() !== 'application/x-www-form-urlencoded') return;
  const form = new URLSearchParams((await ctx.request.body()).toString('utf8'));
  if (form.size === 0) return;
  const query = new URLSearchParams(ctx.upstream.rawQuery);
  for (const name of new Set(form.keys())) {
    query.delete(name);
    for (const value of form.getAll(name)) query.append(name, value);
  }
  ctx.upstream.setQuery(query.toString());
}

export const requestTransformerHandlers: PluginHandlers<RequestTransformerConfig> = {
  async access(ctx) {
    if (ctx.config.uri !== undefined) ctx.upstream.setPath(render(ctx.config.uri, ctx));
    if (ctx.config.method !== undefined) await transformMethod(ctx, ctx.config.method);
    transformHeaders(ctx);
    await transformBody(ctx);
    transformQuery(ctx);
  },
};
