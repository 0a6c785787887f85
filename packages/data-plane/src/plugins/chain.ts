// Resolving plugin instances into per-route chains at config time, the way Kong picks one config per
// plugin: the most specific scope wins (consumer+route+service … global), order by priority.
import type { PluginDefinition } from '@tollgate/plugin-sdk';
import type { EntityRecord } from '@tollgate/schema';
import type { PluginRegistry } from './registry.ts';

/** One plugin in a chain: its default config for this route, and overrides per consumer. */
export interface ChainEntry {
  readonly name: string;
  readonly def: PluginDefinition;
  /** Prepared config when no consumer-specific one applies; undefined = does not run without a consumer match. */
  readonly config: unknown;
  /** Consumer id → prepared config (only plugins with consumer-scoped instances have it). */
  readonly byConsumer: ReadonlyMap<string, unknown> | undefined;
  /** Protocols the winning instance runs on; checked against the request scheme. */
  readonly protocols: ReadonlySet<string>;
}

/** Handlers per phase, in execution order; null when no plugin has that phase, so the proxy skips it. */
export interface PluginChain {
  /** Only used from the global chain: Kong runs rewrite handlers of global instances, before routing. */
  readonly rewrite: readonly ChainEntry[] | null;
  readonly access: readonly ChainEntry[] | null;
  readonly response: readonly ChainEntry[] | null;
  readonly log: readonly ChainEntry[] | null;
  /** Some plugin needs the whole upstream body in the response phase. */
  readonly bufferResponseBody: boolean;
  /** Every entry, for plugins that run in several phases. */
  readonly entries: readonly ChainEntry[];
}

export const EMPTY_CHAIN: PluginChain = { rewrite: null, access: null, response: null, log: null, bufferResponseBody: false, entries: [] };

type Ref = { id: string } | null | undefined;
const idOf = (ref: unknown): string | undefined => (ref as Ref)?.id ?? undefined;

interface Instance {
  record: EntityRecord;
  prepared: unknown;
}

/** Plugin instances grouped by name and scope, with configs prepared once. */
/** A configured plugin this data plane cannot run (not installed, or its config failed to prepare), and where it applies. */
interface MissingPlugin {
  name: string;
  route: string | undefined;
  service: string | undefined;
}

export class PluginIndex {
  readonly #byName = new Map<string, Instance[]>();
  readonly #registry: PluginRegistry;
  readonly #missing: MissingPlugin[] = [];
  readonly errors: string[] = [];

  constructor(plugins: readonly EntityRecord[], registry: PluginRegistry, enabledServices: ReadonlySet<string> | undefined) {
    this.#registry = registry;
    for (const record of plugins) {
      if (record['enabled'] === false) continue;
      const name = record['name'] as string;
      const def = registry.get(name);
      if (def === undefined) {
        // Fail closed: the routes it applies to answer 500 rather than run without it (it may be
        // an authentication plugin). A consumer-scoped or global one applies to every route.
        this.errors.push(`plugin '${name}' (${record.id}) is not available on this data plane; the routes it applies to answer 500 until it is`);
        this.#missing.push({ name, route: idOf(record['route']), service: idOf(record['service']) });
        continue;
      }
      const service = idOf(record['service']);
      if (service !== undefined && enabledServices !== undefined && !enabledServices.has(service)) continue;
      let prepared: unknown = record['config'];
      try {
        if (def.prepare !== undefined) {
          const instance = { id: record.id, routeId: idOf(record['route']) ?? null, serviceId: service ?? null, consumerId: idOf(record['consumer']) ?? null };
          prepared = def.prepare(record['config'] as Record<string, unknown>, instance);
        }
      } catch (err) {
        // Fail closed, as for a missing plugin: running the routes without this instance could serve
        // what it was configured to strip or guard.
        this.errors.push(`plugin '${name}' (${record.id}): ${(err as Error).message}; the routes it applies to answer 500 until it is fixed`);
        this.#missing.push({ name, route: idOf(record['route']), service });
        continue;
      }
      let list = this.#byName.get(name);
      if (list === undefined) this.#byName.set(name, (list = []));
      list.push({ record, prepared });
    }
  }

  get names(): IterableIterator<string> {
    return this.#byName.keys();
  }

  /** Every enabled instance of plugin `name`, with its prepared config. */
  instances(name: string): Array<{ id: string; config: unknown }> {
    return (this.#byName.get(name) ?? []).map((i) => ({ id: i.record.id, config: i.prepared }));
  }

  /** The configured plugin this route would need but cannot run, if any. */
  missingFor(routeId: string, serviceId: string | undefined): string | undefined {
    for (const m of this.#missing) {
      if ((m.route === undefined || m.route === routeId) && (m.service === undefined || m.service === serviceId)) return m.name;
    }
    return undefined;
  }

  /** The chain for requests matched to `routeId`/`serviceId` (either may be undefined: global chain). */
  chainFor(routeId: string | undefined, serviceId: string | undefined): PluginChain {
    const entries: ChainEntry[] = [];
    for (const [name, instances] of this.#byName) {
      const def = this.#registry.get(name)!;
      let best: Instance | undefined;
      let bestRank = 99;
      const byConsumer = new Map<string, { rank: number; inst: Instance }>();
      for (const inst of instances) {
        const r = idOf(inst.record['route']);
        const s = idOf(inst.record['service']);
        const c = idOf(inst.record['consumer']);
        if (r !== undefined && r !== routeId) continue;
        if (s !== undefined && s !== serviceId) continue;
        const rank = scopeRank(r !== undefined, s !== undefined, c !== undefined);
        if (c !== undefined) {
          const current = byConsumer.get(c);
          if (current === undefined || rank < current.rank) byConsumer.set(c, { rank, inst });
        } else if (rank < bestRank) {
          best = inst;
          bestRank = rank;
        }
      }
      // A consumer-scoped instance only wins over the default when its scope is more specific.
      for (const [c, v] of byConsumer) if (v.rank > bestRank) byConsumer.delete(c);
      if (best === undefined && byConsumer.size === 0) continue;
      const consumerConfigs = byConsumer.size === 0 ? undefined : new Map([...byConsumer].map(([c, v]) => [c, v.inst.prepared]));
      const protocols = new Set(((best ?? [...byConsumer.values()][0]!.inst).record['protocols'] as string[] | undefined) ?? ['http', 'https', 'grpc', 'grpcs']);
      entries.push({ name, def, config: best?.prepared, byConsumer: consumerConfigs, protocols });
    }
    // Highest priority first; equal priorities by name, reverse alphabetical (Kong's plugins DAO order).
    entries.sort((a, b) => b.def.schema.priority - a.def.schema.priority || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const phase = (p: 'rewrite' | 'access' | 'response' | 'log') => {
      const list = entries.filter((e) => e.def.handlers[p] !== undefined);
      return list.length === 0 ? null : list;
    };
    return {
      rewrite: phase('rewrite'),
      access: phase('access'),
      response: phase('response'),
      log: phase('log'),
      bufferResponseBody: entries.some(needsResponseBody),
      entries,
    };
  }
}

/**
 * Whether this entry's plugin needs the whole response body. The consumer is only known after the
 * access phase, so any config the entry may run with (default or consumer-scoped) that asks for the
 * body makes the route buffer; the handler then sees a body even if its own config did not ask.
 */
function needsResponseBody(entry: ChainEntry): boolean {
  const wants = entry.def.bufferResponseBody;
  if (wants === undefined || wants === false || entry.def.handlers.response === undefined) return false;
  if (wants === true) return true;
  if (entry.config !== undefined && wants(entry.config)) return true;
  if (entry.byConsumer !== undefined) for (const config of entry.byConsumer.values()) if (wants(config)) return true;
  return false;
}

/**
 * Kong's precedence, most specific first (lower rank wins): consumer+route+service, consumer+route,
 * consumer+service, route+service, consumer, route, service, global.
 */
function scopeRank(route: boolean, service: boolean, consumer: boolean): number {
  if (consumer) return route && service ? 0 : route ? 1 : service ? 2 : 4;
  return route && service ? 3 : route ? 5 : service ? 6 : 7;
}

/** The config an entry runs with for this consumer, or undefined when it does not run. */
export function configFor(entry: ChainEntry, consumerId: string | undefined): unknown {
  if (consumerId !== undefined && entry.byConsumer !== undefined) {
    const specific = entry.byConsumer.get(consumerId);
    if (specific !== undefined) return specific;
  }
  return entry.config;
}
