// The contract between a plugin and the control plane: what the Admin API needs to validate
// a plugin instance. Handlers live elsewhere; the control plane imports only these.
import type { TObject } from '@sinclair/typebox';
import type { FieldErrors } from './errors.ts';

export type PluginProtocol = 'http' | 'https' | 'grpc' | 'grpcs' | 'tcp' | 'tls' | 'udp' | 'tls_passthrough' | 'ws' | 'wss';

export interface PluginSchema {
  /** Kong's plugin name, e.g. `key-auth`. */
  readonly name: string;
  readonly version: string;
  /** Execution order, highest first; Kong's static PRIORITY. */
  readonly priority: number;
  /** The `config` record: every field described, Kong's field names and defaults. */
  readonly config: TObject;
  /** Protocols the plugin can run on; the instance's `protocols` default. */
  readonly protocols?: readonly PluginProtocol[];
  /** Scopes the plugin cannot be attached to (Kong's `typedefs.no_consumer` and friends). */
  readonly noConsumer?: boolean;
  readonly noRoute?: boolean;
  readonly noService?: boolean;
  /** Cross-field checks the JSON schema cannot express; messages keyed like the config. */
  readonly check?: (config: Record<string, unknown>) => FieldErrors | undefined;
}

/** The plugins a node knows, by name. */
export type PluginCatalog = ReadonlyMap<string, PluginSchema>;

export function definePluginSchema<const P extends PluginSchema>(schema: P): P {
  return schema;
}

export function pluginCatalog(schemas: readonly PluginSchema[]): PluginCatalog {
  return new Map(schemas.map((s) => [s.name, s]));
}
