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
// - besides gzip (as Kong), a deflate body is inflated and deflated again; other encodings (br, zstd)
//   are passed on unchanged with a warning, where Kong would fail to parse them;
// - gateway answers (exits such as key-auth's 401) get the header steps only, never the body steps.
import type { PluginContext, PluginHandlers } from '@tollgate/plugin-sdk';
import { codecFor, MAX_INFLATED_BYTES } from './content-encoding.ts';
import { headerEntryError, split, type Step } from './entries.ts';
import { LogThrottle } from '../log-throttle.ts';

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
  /** A header step sets Content-Type, so any response may turn out JSON once the steps ran. */
  setsContentType: boolean;
  /** Why a body was passed on unchanged is logged at most once a minute per kind for this config. */
  warnings: LogThrottle;
}

type Section = Record<string, unknown> | undefined;

const list = (config: Record<string, unknown>, step: string, field: string): string[] => {
  const value = (config[step] as Section)?.[field];
  return Array.isArray(value) ? (value as string[]) : [];
};

/**
 * The schema's `check` refuses these entries; a config that reached the data plane some other way
 * fails here, and the routes it applies to answer 500 rather than run without this instance.
 */
function headerEntries(config: Record<string, unknown>, step: Step): string[] {
  const entries = list(config, step, 'headers');
  for (const entry of entries) {
    const error = headerEntryError(step, entry);
    if (error !== undefined) throw new Error(`config.${step}.headers entry '${entry}' cannot be sent: ${error}`);
  }
  return entries;
}

function headerPairs(config: Record<string, unknown>, step: Step): HeaderPair[] {
  const out: HeaderPair[] = [];
  for (const entry of headerEntries(config, step)) {
    const [name, value] = split(entry);
    if (value !== undefined) out.push({ name: name.toLowerCase(), value });
  }
  return out;
}

function renames(config: Record<string, unknown>, field: 'headers' | 'json'): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (const entry of field === 'headers' ? headerEntries(config, 'rename') : list(config, 'rename', field)) {
    const [from, to] = split(entry);
    if (to === undefined) continue;
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
    remove: headerEntries(config, 'remove').map((entry) => split(entry)[0].toLowerCase()),
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
  const setsContentType = [...headers.rename.map((r) => r.to), ...headers.replace.map((p) => p.name), ...headers.add.map((p) => p.name), ...headers.append.map((p) => p.name)].includes('content-type');
  return { headers: count(headers) === 0 ? undefined : headers, json: count(json) === 0 ? undefined : json, setsContentType, warnings: new LogThrottle(60_000) };
}

/** Only instances with `json` steps need the body; the rest keep the response streaming. */
export const needsBody = (config: ResponseTransformerConfig): boolean => config.json !== undefined;

/**
 * Per response: only a JSON one is transformed, so only it is held. Its header steps run later and
 * may make a response JSON (a replaced Content-Type), so such configs hold whatever has a body.
 */
export function wantsBody(ctx: PluginContext<ResponseTransformerConfig>): boolean {
  return ctx.config.setsContentType || isJsonContentType(ctx.response.header('content-type'));
}

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

/** Logs why the body went out unchanged, at most once a minute per kind for this config. */
function passOn(ctx: PluginContext<ResponseTransformerConfig>, kind: string, reason: string): void {
  const held = ctx.config.warnings.take(kind);
  if (held === undefined) return;
  const more = held === 0 ? '' : `; ${held} more like it since the last such warning`;
  ctx.log.warn(`response-transformer: ${reason}; body sent unchanged${more}`, { requestId: ctx.requestId });
}

function transformBody(ctx: PluginContext<ResponseTransformerConfig>, steps: JsonSteps): void {
  const body = ctx.response.body;
  // After the header steps, as Kong's body_filter reads the Content-Type its header_filter left.
  const json = isJsonContentType(ctx.response.header('content-type'));
  if (body === undefined) {
    // Not held: a gateway answer, a response without a body (HEAD, 204, 304), or one larger than the
    // proxy holds, which then streams unchanged; only the last is worth a warning.
    const status = ctx.response.status;
    const hasBody = ctx.request.method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
    if (json && hasBody && ctx.response.source === 'upstream') {
      passOn(ctx, 'unheld', `the JSON response body is larger than the proxy holds for plugins (${MAX_INFLATED_BYTES} bytes)`);
    }
    return;
  }
  if (body.length === 0 || !json) return;
  const encoding = ctx.response.header('content-encoding');
  const codec = codecFor(encoding, body);
  if (codec === undefined) return passOn(ctx, 'encoding', `cannot decode Content-Encoding '${String(encoding)}' of a JSON response`);
  let text: Buffer;
  try {
    text = codec === null ? body : codec.decode(body);
  } catch (err) {
    const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    if (tooLarge) return passOn(ctx, 'size', `the JSON response body inflates to more than ${MAX_INFLATED_BYTES} bytes`);
    return passOn(ctx, 'decode', `the ${String(encoding)} JSON response body does not decode (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    return passOn(ctx, 'parse', 'the JSON response body does not parse');
  }
  // Only an object has keys to transform; arrays and scalars pass through.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
  const obj = parsed as Record<string, unknown>;
  if (!transformJson(obj, steps)) return;
  const out = Buffer.from(JSON.stringify(obj));
  ctx.response.body = codec === null ? out : codec.encode(out);
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
