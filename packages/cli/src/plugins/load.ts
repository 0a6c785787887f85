// `--plugins`: which plugins this node knows. `bundled` (every bundled plugin), bundled names, and paths
// to custom plugins written against @tollgate/plugin-sdk (`./my-plugin`, `/opt/plugins/x/index.ts`).
// The control plane takes their schemas to validate configs; data planes take their handlers to run them.
import { existsSync, statSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from '@tollgate/plugin-sdk';
import type { PluginSchema } from '@tollgate/schema';
import { splitList, UsageError } from '../options.ts';

export interface PluginSpec {
  /** Bundled plugins enabled by name (or all of them with `bundled`). */
  bundled: 'all' | ReadonlySet<string>;
  /** Absolute paths of custom plugin modules, in the order given. */
  custom: readonly string[];
}

/** A `--plugins` entry is a path when it starts like one; otherwise it names a bundled plugin. */
const isPath = (entry: string): boolean => entry.startsWith('.') || entry.startsWith('/') || entry.startsWith('~') || entry.includes('/');

export function parsePluginSpec(spec: string | undefined, cwd = process.cwd()): PluginSpec {
  const entries = splitList(spec ?? 'bundled').filter((s) => s !== 'off');
  const names = new Set<string>();
  let all = false;
  const custom: string[] = [];
  for (const entry of entries) {
    if (entry === 'bundled') all = true;
    else if (isPath(entry)) custom.push(resolveModule(entry, cwd));
    else names.add(entry);
  }
  return { bundled: all ? 'all' : names, custom };
}

/** A folder means its index.ts / index.js / index.mjs; a file is taken as it is. */
function resolveModule(entry: string, cwd: string): string {
  const path = entry.startsWith('~/') ? join(process.env['HOME'] ?? '', entry.slice(2)) : isAbsolute(entry) ? entry : resolve(cwd, entry);
  if (!existsSync(path)) throw new UsageError(`--plugins: ${entry} does not exist (looked for ${path})`);
  if (!statSync(path).isDirectory()) return path;
  for (const index of ['index.ts', 'index.js', 'index.mjs']) {
    const file = join(path, index);
    if (existsSync(file)) return file;
  }
  throw new UsageError(`--plugins: ${entry} is a folder without index.ts, index.js or index.mjs`);
}

// A plugin kept outside this repository imports @tollgate/plugin-sdk (and @sinclair/typebox for its
// schema) like a peer dependency: when its own folder cannot resolve them, they resolve to the copies
// this gateway runs with, so its definePlugin and schema types are the gateway's own.
const PEER_PREFIXES = ['@tollgate/', '@sinclair/typebox'];
let peersHooked = false;

function hookPeerDependencies(): void {
  if (peersHooked) return;
  peersHooked = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (err) {
        if (!PEER_PREFIXES.some((p) => specifier.startsWith(p))) throw err;
        return nextResolve(specifier, { ...context, parentURL: import.meta.url });
      }
    },
  });
}

const loaded = new Map<string, PluginDefinition>();

/** Imports a custom plugin module and checks it exports what a plugin is. */
export async function loadCustomPlugin(path: string): Promise<PluginDefinition> {
  const cached = loaded.get(path);
  if (cached !== undefined) return cached;
  hookPeerDependencies();
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw new UsageError(`--plugins: cannot load ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const def = mod.default as Partial<PluginDefinition> | undefined;
  const problem = describeProblem(def);
  if (problem !== undefined) {
    throw new UsageError(`--plugins: ${path} is not a plugin (${problem}); export one with \`export default definePlugin({ schema, handlers })\` from @tollgate/plugin-sdk`);
  }
  loaded.set(path, def as PluginDefinition);
  return def as PluginDefinition;
}

function describeProblem(def: Partial<PluginDefinition> | undefined): string | undefined {
  if (def === undefined || def === null || typeof def !== 'object') return 'no default export';
  const schema = def.schema as Partial<PluginSchema> | undefined;
  if (schema === undefined || typeof schema !== 'object') return 'the default export has no `schema`';
  if (typeof schema.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(schema.name)) return 'schema.name must be a lower-case name like `my-plugin`';
  if (typeof schema.version !== 'string') return 'schema.version must be a string like `1.0.0`';
  if (typeof schema.priority !== 'number' || !Number.isFinite(schema.priority)) return 'schema.priority must be a number';
  if (schema.config === undefined || (schema.config as { type?: unknown }).type !== 'object') return 'schema.config must be an object schema (Type.Object)';
  if (def.handlers === undefined || typeof def.handlers !== 'object') return 'the default export has no `handlers`';
  for (const [phase, handler] of Object.entries(def.handlers)) {
    if (!['rewrite', 'access', 'response', 'log'].includes(phase)) return `unknown phase \`${phase}\` in handlers (rewrite, access, response, log)`;
    if (typeof handler !== 'function') return `handlers.${phase} is not a function`;
  }
  return undefined;
}

export interface PluginSelection {
  /** Whether a bundled plugin is enabled. */
  bundled(name: string): boolean;
  /** The custom plugins, loaded and checked. */
  custom: readonly PluginDefinition[];
}

/**
 * What `spec` enables. Bundled names are checked against `bundledNames`; a custom plugin may not take
 * a bundled plugin's name (so a file never silently changes what `key-auth` means) or another's.
 * @example await selectPlugins('bundled,./examples/header-stamp', names) // custom: [headerStamp]
 */
export async function selectPlugins(spec: string | undefined, bundledNames: ReadonlySet<string>): Promise<PluginSelection> {
  const parsed = parsePluginSpec(spec);
  if (parsed.bundled !== 'all') {
    for (const name of parsed.bundled) {
      if (!bundledNames.has(name)) {
        throw new UsageError(`unknown plugin '${name}' in --plugins; bundled plugins are: ${[...bundledNames].sort().join(', ')}; give a custom plugin by its path (./my-plugin)`);
      }
    }
  }
  const custom: PluginDefinition[] = [];
  for (const path of parsed.custom) {
    const def = await loadCustomPlugin(path);
    const name = def.schema.name;
    if (bundledNames.has(name)) throw new UsageError(`--plugins: ${path} is named '${name}' like a bundled plugin; give it another schema.name`);
    if (custom.some((c) => c.schema.name === name)) throw new UsageError(`--plugins: two custom plugins are named '${name}'`);
    custom.push(def);
  }
  const chosen = parsed.bundled;
  return { bundled: (name) => chosen === 'all' || chosen.has(name), custom };
}
