// response-transformer: rewrites the response headers, and the top-level keys of a JSON response body,
// before they reach the client (kong/plugins/response-transformer/). Each runs remove → rename →
// replace → add → append. Entries are split, lower-cased, typed and checked once in `prepare`; only a
// config with `json` entries asks for the body, so header-only instances leave the response streaming.
//
// Deliberate differences from Kong 3.x:
// - each header step sees the result of the steps before it, as the documented order reads (Kong tests
//   presence against the headers as they arrived, so `remove` then `add` of one name leaves it absent);
// - JSON `replace` / `add` test whether the key is present; Kong's Lua truthiness treats `false` as absent;
// - JSON `append` to a number, boolean or object keeps it (`[old, new]`) where Kong drops the old value;
// - a JSON body no step changed is passed on byte for byte instead of being re-encoded;
// - gateway answers (exits such as key-auth's 401) get the header steps only, never the body steps.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';

interface HeaderPair {
  name: string;
  value: string;
}

interface HeaderSteps {
  remove: string[];
  rename: { from: string; to: string }[];
  replace: HeaderPair[];
  add: HeaderPair[];
  append: HeaderPair[];
}

interface JsonPair {
  name: string;
  /** Already typed per `json_types`: string, number or boolean. */
  value: string | number | boolean;
}

export interface JsonSteps {
  remove: string[];
  rename: { from: string; to: string }[];
  replace: JsonPair[];
  add: JsonPair[];
  append: JsonPair[];
}

export interface ResponseTransformerConfig {
  /** Undefined when no header step is configured, so the handler skips headers altogether. */
  headers: HeaderSteps | undefined;
  /** Undefined when no `json` step is configured: the body is never buffered nor looked at. */
  json: JsonSteps | undefined;
}

type Section = Record<string, unknown> | undefined;

const list = (config: Record<string, unknown>, step: string, field: string): string[] => {
  const value = (config[step] as Section)?.[field];
  return Array.isArray(value) ? (value as string[]) : [];
};

/**
 * Kong's `^([^:]+):*(.-)$`: the name runs to the first colon, any further leading colons are dropped,
 * and an empty value counts as none (the entry is then skipped, as in Kong).
 */
function split(entry: string): [string, string | undefined] {
  const colon = entry.indexOf(':');
  if (colon < 0) return [entry, undefined];
  let start = colon + 1;
  while (entry.charCodeAt(start) === 58 /* : */) start++;
  return [entry.slice(0, colon), start === entry.length ? undefined : entry.slice(start)];
}

/** Node refuses invalid header names and values when the response is written; refuse them at config time instead. */
function checkHeader(step: string, entry: string, name: string, value?: string): void {
  try {
    validateHeaderName(name);
    if (value !== undefined) validateHeaderValue(name, value);
  } catch (err) {
    throw new Error(`config.${step}.headers entry '${entry}' cannot be sent as a header (${(err as Error).message}); fix or remove it`);
  }
}

function headerPairs(config: Record<string, unknown>, step: string): HeaderPair[] {
  const out: HeaderPair[] = [];
  for (const entry of list(config, step, 'headers')) {
    const [name, value] = split(entry);
    if (value === undefined) continue;
    checkHeader(step, entry, name, value);
    out.push({ name: name.toLowerCase(), value });
  }
  return out;
}

function renames(config: Record<string, unknown>, field: 'headers' | 'json'): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (const entry of list(config, 'rename', field)) {
    const [from, to] = split(entry);
    if (to === undefined) continue;
    if (field === 'headers') checkHeader('rename', entry, to);
    out.push(field === 'headers' ? { from: from.toLowerCase(), to: to.toLowerCase() } : { from, to });
  }
  return out;
}

/** A `json` value as its `json_types` entry says; undefined (entry skipped, as in Kong) for a non-number. */
function typed(value: string, type: unknown): string | number | boolean | undefined {
  if (type === 'boolean') return value === 'true';
  if (type === 'number') {
    const n = value.trim() === '' ? NaN : Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return value;
}

function jsonPairs(config: Record<string, unknown>, step: string): JsonPair[] {
  const types = list(config, step, 'json_types');
  const out: JsonPair[] = [];
  list(config, step, 'json').forEach((entry, i) => {
    const [name, raw] = split(entry);
    const value = raw === undefined ? undefined : typed(raw, types[i]);
    if (value !== undefined) out.push({ name, value });
  });
  return out;
}

const count = (s: HeaderSteps | JsonSteps): number => s.remove.length + s.rename.length + s.replace.length + s.add.length + s.append.length;

export function prepareResponseTransformer(config: Record<string, unknown>): ResponseTransformerConfig {
  const headers: HeaderSteps = {
    remove: list(config, 'remove', 'headers').map((entry) => split(entry)[0].toLowerCase()),
    rename: renames(config, 'headers'),
    replace: headerPairs(config, 'replace'),
    add: headerPairs(config, 'add'),
    append: headerPairs(config, 'append'),
  };
  const json: JsonSteps = {
    remove: list(config, 'remove', 'json').map((entry) => split(entry)[0]),
    rename: renames(config, 'json'),
    replace: jsonPairs(config, 'replace'),
    add: jsonPairs(config, 'add'),
    append: jsonPairs(config, 'append'),
  };
  return { headers: count(headers) === 0 ? undefined : headers, json: count(json) === 0 ? undefined : json };
}

/** Only instances with `json` steps need the body; the rest keep the response streaming. */
export const needsBody = (config: ResponseTransformerConfig): boolean => config.json !== undefined;

function transformHeaders(ctx: PluginContext<ResponseTransformerConfig>, steps: HeaderSteps): void {
  const res = ctx.response;
  for (const name of steps.remove) res.removeHeader(name);
  for (const { from, to } of steps.rename) {
    const value = res.header(from);
    if (value === undefined) continue;
    res.removeHeader(from);
    res.setHeader(to, value);
  }
  for (const { name, value } of steps.replace) if (res.header(name) !== undefined) res.setHeader(name, value);
  for (const { name, value } of steps.add) if (res.header(name) === undefined) res.setHeader(name, value);
  for (const { name, value } of steps.append) {
    const current = res.header(name);
    res.setHeader(name, current === undefined ? value : Array.isArray(current) ? [...current, value] : [current, value]);
  }
}

/** application/json or any application/…+json, in a Content-Type that may list several types. */
export function isJsonContentType(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const semi = part.indexOf(';');
    const mime = (semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'))) return true;
  }
  return false;
}

/** Sets an own key even when it is `__proto__`, which plain assignment would treat as the prototype. */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Applies the steps to a parsed body in place; true when something changed. */
export function transformJson(obj: Record<string, unknown>, steps: JsonSteps): boolean {
  let changed = false;
  for (const name of steps.remove) {
    if (!Object.hasOwn(obj, name)) continue;
    delete obj[name];
    changed = true;
  }
  for (const { from, to } of steps.rename) {
    if (!Object.hasOwn(obj, from)) continue;
    const value = obj[from];
    delete obj[from];
    put(obj, to, value);
    changed = true;
  }
  for (const { name, value } of steps.replace) {
    if (!Object.hasOwn(obj, name)) continue;
    put(obj, name, value);
    changed = true;
  }
  for (const { name, value } of steps.add) {
    if (Object.hasOwn(obj, name)) continue;
    put(obj, name, value);
    changed = true;
  }
  for (const { name, value } of steps.append) {
    const current = Object.hasOwn(obj, name) ? obj[name] : undefined;
    put(obj, name, current === undefined ? [value] : Array.isArray(current) ? [...current, value] : [current, value]);
    changed = true;
  }
  return changed;
}

function transformBody(ctx: PluginContext<ResponseTransformerConfig>, steps: JsonSteps): void {
  const body = ctx.response.body;
  // No body: a gateway answer, or a route that does not buffer (cannot happen with json steps).
  if (body === undefined || body.length === 0) return;
  // After the header steps, as Kong's body_filter reads the Content-Type its header_filter left.
  if (!isJsonContentType(ctx.response.header('content-type'))) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    ctx.log.warn('response-transformer: the JSON response body does not parse; sent unchanged', { requestId: ctx.requestId });
    return;
  }
  // Only an object has keys to transform; arrays and scalars pass through.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
  const obj = parsed as Record<string, unknown>;
  if (transformJson(obj, steps)) ctx.response.body = Buffer.from(JSON.stringify(obj));
}

export const responseTransformerHandlers: PluginHandlers<ResponseTransformerConfig> = {
  // Synchronous on purpose: on streamed responses the proxy holds the upstream's headers only while
  // response handlers run without awaiting.
  response(ctx) {
    const { headers, json } = ctx.config;
    if (headers !== undefined) transformHeaders(ctx, headers);
    if (json !== undefined) transformBody(ctx, json);
  },
};
