// The plugins a data plane can run, by name: bundled ones plus any a user loaded.
import type { PluginDefinition } from '@tollgate/plugin-sdk';

export type PluginRegistry = ReadonlyMap<string, PluginDefinition>;

export function pluginRegistry(definitions: readonly PluginDefinition[]): PluginRegistry {
  return new Map(definitions.map((d) => [d.schema.name, d]));
}
