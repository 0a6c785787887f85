// Every entity definition, in dependency order (a parent before its children), looked up by name or path.
import type { EntityDefinition, EntityName } from './entity.ts';
import { services } from './entities/services.ts';

export { services };

/** All entities, parents before children: the order for imports, exports and snapshots. */
export const ENTITIES: readonly EntityDefinition[] = [services];

const byName = new Map<string, EntityDefinition>(ENTITIES.map((d) => [d.name, d]));

export function entityByName(name: EntityName): EntityDefinition {
  const def = byName.get(name);
  if (def === undefined) throw new Error(`unknown entity '${name}'`);
  return def;
}
