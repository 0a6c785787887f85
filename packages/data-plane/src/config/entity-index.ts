// Read access to a snapshot's entities for plugins (credentials by key, a consumer's ACL groups),
// with each (entity, field) index built once per config on first use.
import type { EntityLookup, EntityView } from '@tollgate/plugin-sdk';
import type { ConfigSnapshot, SnapshotEntity } from './snapshot.ts';

const EMPTY: readonly EntityView[] = [];

function fieldValue(record: EntityView, field: string): unknown {
  const v = record[field];
  // Foreign keys are `{id}`: index them by the id.
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { id?: unknown }).id : v;
}

export class EntityIndex implements EntityLookup {
  readonly #snapshot: ConfigSnapshot;
  readonly #indexes = new Map<string, Map<unknown, EntityView[]>>();
  readonly #byId = new Map<string, Map<string, EntityView>>();

  constructor(snapshot: ConfigSnapshot) {
    this.#snapshot = snapshot;
  }

  #records(entity: string): readonly EntityView[] {
    return (this.#snapshot.entities[entity as SnapshotEntity] ?? EMPTY) as readonly EntityView[];
  }

  #index(entity: string, field: string): Map<unknown, EntityView[]> {
    const key = `${entity}\u0000${field}`;
    let index = this.#indexes.get(key);
    if (index === undefined) {
      index = new Map();
      for (const record of this.#records(entity)) {
        const value = fieldValue(record, field);
        if (value === undefined || value === null) continue;
        const list = index.get(value);
        if (list === undefined) index.set(value, [record]);
        else list.push(record);
      }
      this.#indexes.set(key, index);
    }
    return index;
  }

  find(entity: string, field: string, value: string): EntityView | undefined {
    return this.#index(entity, field).get(value)?.[0];
  }

  list(entity: string, field: string, value: string): readonly EntityView[] {
    return this.#index(entity, field).get(value) ?? EMPTY;
  }

  get(entity: string, id: string): EntityView | undefined {
    let byId = this.#byId.get(entity);
    if (byId === undefined) {
      byId = new Map(this.#records(entity).map((r) => [r.id, r]));
      this.#byId.set(entity, byId);
    }
    return byId.get(id);
  }
}
