// Every entity definition, in dependency order (a parent before its children), looked up by name or path.
import type { EntityDefinition, EntityName } from './entity.ts';
import { caCertificates } from './entities/ca-certificates.ts';
import { certificates } from './entities/certificates.ts';
import { consumers } from './entities/consumers.ts';
import { acls, basicauthCredentials, jwtSecrets, keyauthCredentials } from './entities/credentials.ts';
import { plugins } from './entities/plugins.ts';
import { routes } from './entities/routes.ts';
import { services } from './entities/services.ts';
import { snis } from './entities/snis.ts';
import { targets } from './entities/targets.ts';
import { upstreams } from './entities/upstreams.ts';

export { acls, basicauthCredentials, caCertificates, certificates, consumers, jwtSecrets, keyauthCredentials, plugins, routes, services, snis, targets, upstreams };
export { basicAuthHash, randomKey } from './entities/credentials.ts';

/** All entities, parents before children: the order for imports, exports and snapshots. */
export const ENTITIES: readonly EntityDefinition[] = [
  certificates,
  snis,
  caCertificates,
  services,
  routes,
  consumers,
  upstreams,
  targets,
  keyauthCredentials,
  basicauthCredentials,
  jwtSecrets,
  acls,
  plugins,
];

const byName = new Map<string, EntityDefinition>(ENTITIES.map((d) => [d.name, d]));

export function entityByName(name: EntityName): EntityDefinition {
  const def = byName.get(name);
  if (def === undefined) throw new Error(`unknown entity '${name}'`);
  return def;
}

/** The entities that reference `parent`, with the field that holds the reference. */
export function referencesTo(parent: EntityName): Array<{ def: EntityDefinition; field: string }> {
  const out: Array<{ def: EntityDefinition; field: string }> = [];
  for (const def of ENTITIES) for (const [field, fk] of Object.entries(def.foreignKeys)) if (fk.entity === parent) out.push({ def, field });
  return out;
}
