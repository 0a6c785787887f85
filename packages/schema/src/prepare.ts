// Turns Admin API or declarative input into a valid stored entity: shorthands, generated fields,
// defaults, schema and entity checks, transforms, and explicit nulls for unset fields (as Kong shows them).
import type { TSchema } from '@sinclair/typebox';
import type { EntityDefinition, EntityRecord, WriteContext } from './entity.ts';
import { addFieldError, schemaViolation, type FieldErrors } from './errors.ts';
import type { PluginCatalog } from './plugin-schema.ts';
import { createCompiler } from './validate.ts';

export interface PrepareOptions extends Partial<WriteContext> {
  /** Input came from a form body: coerce "80" to 80 and "a" to ["a"]. */
  readonly coerce?: boolean;
}

/** Removes keys whose value is null, recursively in plain objects: Kong treats null as "unset". */
export function stripNulls(value: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    if (v === null) delete value[k];
    else if (isPlainObject(v)) stripNulls(v);
  }
  return value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Writes `null` for every optional field left unset, recursively through nested records. */
export function fillNulls(schema: TSchema, value: Record<string, unknown>): void {
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (props === undefined) return;
  for (const [key, sub] of Object.entries(props)) {
    const current = value[key];
    if (current === undefined) value[key] = null;
    else if (isPlainObject(current) && (sub as { properties?: unknown }).properties !== undefined) fillNulls(sub, current);
  }
}

/** Validates entities against their definitions and the node's plugin catalog. */
export class EntityPreparer {
  readonly #plugins: PluginCatalog;
  readonly #strict = createCompiler();
  readonly #coercing = createCompiler({ coerce: true });

  constructor(plugins: PluginCatalog) {
    this.#plugins = plugins;
  }

  get plugins(): PluginCatalog {
    return this.#plugins;
  }

  /**
   * Returns the entity as it will be stored, or throws a KongError schema violation naming each bad field.
   * `input` is consumed (mutated); pass a copy if you need the original.
   */
  prepare(def: EntityDefinition, input: Record<string, unknown>, options: PrepareOptions = {}): EntityRecord {
    const ctx: WriteContext = { transform: options.transform ?? true, previous: options.previous };
    stripNulls(input);
    const errors: FieldErrors = {};
    const shorthandErrors = def.expandShorthands?.(input);
    if (shorthandErrors !== undefined) Object.assign(errors, shorthandErrors);
    def.autoFill?.(input);
    if (def.name === 'plugins') this.#pluginDefaults(input);
    const compile = options.coerce === true ? this.#coercing : this.#strict;
    const result = compile(def.schema)(input);
    if (!result.ok) Object.assign(errors, result.fields);
    if (def.name === 'plugins') this.#checkPlugin(input, errors, compile);
    if (Object.keys(errors).length > 0) throw schemaViolation(errors);
    const value = input as EntityRecord;
    const entityErrors = def.check?.(value);
    if (entityErrors !== undefined && Object.keys(entityErrors).length > 0) throw schemaViolation(entityErrors);
    def.transform?.(value, ctx);
    fillNulls(def.schema, value);
    return value;
  }

  /** Plugin instances: the name must be known, and `config` is validated by that plugin's own schema. */
  #checkPlugin(input: Record<string, unknown>, errors: FieldErrors, compile: ReturnType<typeof createCompiler>): void {
    const name = input['name'];
    if (typeof name !== 'string') return;
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) {
      addFieldError(errors, ['name'], `plugin '${name}' not enabled; add it to the 'plugins' configuration property`);
      return;
    }
    if (plugin.noConsumer === true && input['consumer'] != null) addFieldError(errors, ['consumer'], `value must be null (plugin '${name}' cannot be applied to a consumer)`);
    if (plugin.noRoute === true && input['route'] != null) addFieldError(errors, ['route'], `value must be null (plugin '${name}' cannot be applied to a route)`);
    if (plugin.noService === true && input['service'] != null) addFieldError(errors, ['service'], `value must be null (plugin '${name}' cannot be applied to a service)`);
    const config = isPlainObject(input['config']) ? input['config'] : {};
    input['config'] = config;
    const result = compile(plugin.config)(config);
    if (!result.ok) {
      errors['config'] = result.fields;
      return;
    }
    const extra = plugin.check?.(config);
    if (extra !== undefined && Object.keys(extra).length > 0) errors['config'] = extra;
    else fillNulls(plugin.config, config);
  }

  /** A plugin instance's `protocols` default comes from the plugin, not from the entity schema. */
  #pluginDefaults(input: Record<string, unknown>): void {
    const plugin = typeof input['name'] === 'string' ? this.#plugins.get(input['name']) : undefined;
    if (input['protocols'] === undefined && plugin?.protocols !== undefined) input['protocols'] = [...plugin.protocols];
  }
}
