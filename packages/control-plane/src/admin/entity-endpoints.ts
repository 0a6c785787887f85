// Kong-compatible CRUD endpoints, generated from the entity definitions: top-level collections,
// items by id or endpoint key, nested collections under each parent, and `/child/{x}/parent`.
import { ENTITIES, entityByName, isPlainObject, isUuid, KongError, uuidV4, type EntityDefinition, type EntityPreparer, type EntityRecord } from '@tollgate/schema';
import type { EntityStore } from '../store/index.ts';
import { notFound, readBody, sendJson } from './http.ts';
import { nextLink, parseListOptions } from './listing.ts';
import { findByIdOrKey, resolveForeignKeys } from './references.ts';
import type { RequestContext, Router } from './router.ts';
import { attachSnis, writeCertificateSnis } from './certificate-snis.ts';

export interface EntityEndpointDeps {
  store: EntityStore;
  preparer: EntityPreparer;
  bodyLimit: number;
  now?: () => number;
}

interface Scope {
  /** The child's foreign-key field that points at the parent, and the parent's id. */
  field: string;
  parentId: string;
}

export function registerEntityEndpoints(router: Router, deps: EntityEndpointDeps): void {
  const ops = new EntityOperations(deps);
  for (const def of ENTITIES) {
    if (def.topLevel) {
      const base = `/${def.adminPath}`;
      router.on('GET', base, (c) => ops.list(c, def));
      router.on('POST', base, (c) => ops.create(c, def));
      router.on('GET', `${base}/:id`, (c) => ops.read(c, def));
      router.on('PUT', `${base}/:id`, (c) => ops.upsert(c, def));
      router.on('PATCH', `${base}/:id`, (c) => ops.patch(c, def));
      router.on('DELETE', `${base}/:id`, (c) => ops.remove(c, def));
    }
    for (const [field, fk] of Object.entries(def.foreignKeys)) {
      const parent = entityByName(fk.entity);
      // `/routes/{r}/service`, `/key-auths/{k}/consumer`: the parent an entity points at.
      if (def.topLevel) router.on('GET', `/${def.adminPath}/:id/${field}`, (c) => ops.readParent(c, def, field, parent));
      if (def.nestedPath === undefined) continue;
      const base = `/${parent.adminPath}/:parent/${def.nestedPath}`;
      const scoped = async (c: RequestContext): Promise<Scope> => {
        const p = await findByIdOrKey(deps.store, parent, c.params['parent']!);
        if (p === null) throw notFound();
        return { field, parentId: p.id };
      };
      router.on('GET', base, async (c) => ops.list(c, def, await scoped(c)));
      router.on('POST', base, async (c) => ops.create(c, def, await scoped(c)));
      router.on('GET', `${base}/:id`, async (c) => ops.read(c, def, await scoped(c)));
      router.on('PUT', `${base}/:id`, async (c) => ops.upsert(c, def, await scoped(c)));
      router.on('PATCH', `${base}/:id`, async (c) => ops.patch(c, def, await scoped(c)));
      router.on('DELETE', `${base}/:id`, async (c) => ops.remove(c, def, await scoped(c)));
    }
  }
}

/** Deep-merges a PATCH body into the stored entity: records merge, arrays and scalars replace. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>, foreignKeys: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) && !foreignKeys.has(key) ? mergePatch(current, value, new Set()) : value;
  }
  return out;
}

class EntityOperations {
  readonly #deps: EntityEndpointDeps;
  constructor(deps: EntityEndpointDeps) {
    this.#deps = deps;
  }

  #now(def: EntityDefinition): number {
    const ms = this.#deps.now?.() ?? Date.now();
    return def.millisecondTimestamps === true ? ms / 1000 : Math.floor(ms / 1000);
  }

  async #find(def: EntityDefinition, segment: string, scope?: Scope): Promise<EntityRecord | null> {
    const found = await findByIdOrKey(this.#deps.store, def, segment);
    if (found === null || scope === undefined) return found;
    const ref = found[scope.field] as { id?: string } | null;
    return ref?.id === scope.parentId ? found : null;
  }

  async #decorate(def: EntityDefinition, entity: EntityRecord): Promise<EntityRecord> {
    return def.name === 'certificates' ? attachSnis(this.#deps.store, entity) : entity;
  }

  async list(c: RequestContext, def: EntityDefinition, scope?: Scope): Promise<void> {
    const options = parseListOptions(c.url);
    const page = await this.#deps.store.page(def, { ...options, foreign: scope === undefined ? undefined : { [scope.field]: scope.parentId } });
    const data = await Promise.all(page.data.map((e) => this.#decorate(def, e)));
    const body: Record<string, unknown> = { data, next: nextLink(c.url, page.offset) };
    if (page.offset !== undefined) body['offset'] = page.offset;
    sendJson(c.res, 200, body);
  }

  async read(c: RequestContext, def: EntityDefinition, scope?: Scope): Promise<void> {
    const entity = await this.#find(def, c.params['id']!, scope);
    if (entity === null) throw notFound();
    sendJson(c.res, 200, await this.#decorate(def, entity));
  }

  async readParent(c: RequestContext, def: EntityDefinition, field: string, parent: EntityDefinition): Promise<void> {
    const entity = await this.#find(def, c.params['id']!);
    const ref = entity?.[field] as { id?: string } | null | undefined;
    const found = ref?.id === undefined ? null : await this.#deps.store.get(parent, ref.id);
    if (found === null) throw notFound();
    sendJson(c.res, 200, await this.#decorate(parent, found));
  }

  async #body(c: RequestContext, def: EntityDefinition, scope?: Scope): Promise<{ body: Record<string, unknown>; coerce: boolean }> {
    const parsed = await readBody(c.req, this.#deps.bodyLimit);
    const body = parsed.value;
    if (scope !== undefined) body[scope.field] = { id: scope.parentId };
    await resolveForeignKeys(this.#deps.store, def, body);
    return { body, coerce: parsed.kind === 'form' };
  }

  async #write(def: EntityDefinition, record: EntityRecord, mode: 'insert' | 'update' | 'upsert'): Promise<EntityRecord> {
    const store = this.#deps.store;
    if (def.name !== 'certificates') {
      return mode === 'insert' ? store.insert(def, record) : mode === 'update' ? ((await store.update(def, record)) ?? throwNotFound()) : store.upsert(def, record);
    }
    const snis = record['snis'] as string[] | null | undefined;
    delete record['snis'];
    return store.transaction(async (tx) => {
      const saved = mode === 'insert' ? await tx.insert(def, record) : mode === 'update' ? ((await tx.update(def, record)) ?? throwNotFound()) : await tx.upsert(def, record);
      if (snis != null) await writeCertificateSnis(tx, saved.id, snis, this.#now(def));
      return attachSnis(tx, saved);
    });
  }

  async create(c: RequestContext, def: EntityDefinition, scope?: Scope): Promise<void> {
    const { body, coerce } = await this.#body(c, def, scope);
    const now = this.#now(def);
    body['id'] ??= uuidV4();
    body['created_at'] ??= now;
    body['updated_at'] = now;
    const record = this.#deps.preparer.prepare(def, body, { coerce });
    sendJson(c.res, 201, await this.#write(def, record, 'insert'));
  }

  async upsert(c: RequestContext, def: EntityDefinition, scope?: Scope): Promise<void> {
    const segment = c.params['id']!;
    const { body, coerce } = await this.#body(c, def, scope);
    const existing = await this.#find(def, segment, scope);
    if (isUuid(segment)) body['id'] = segment;
    else if (def.endpointKey !== undefined) body[def.endpointKey] = segment;
    else throw new KongError('INVALID_PRIMARY_KEY', `invalid primary key: '{id="${segment}"}'`, { id: 'expected a valid UUID' });
    const now = this.#now(def);
    if (existing !== null) {
      body['id'] = existing.id;
      body['created_at'] = existing['created_at'];
    } else {
      body['id'] ??= uuidV4();
      body['created_at'] = now;
    }
    body['updated_at'] = now;
    const record = this.#deps.preparer.prepare(def, body, { coerce, previous: existing ?? undefined });
    sendJson(c.res, 200, await this.#write(def, record, 'upsert'));
  }

  async patch(c: RequestContext, def: EntityDefinition, scope?: Scope): Promise<void> {
    const existing = await this.#find(def, c.params['id']!, scope);
    if (existing === null) throw notFound();
    const { body, coerce } = await this.#body(c, def);
    if (scope !== undefined) body[scope.field] = { id: scope.parentId };
    delete body['id'];
    const stored = structuredClone(existing) as Record<string, unknown>;
    delete stored['snis'];
    const merged = mergePatch(stored, body, new Set(Object.keys(def.foreignKeys)));
    merged['id'] = existing.id;
    merged['created_at'] = existing['created_at'];
    merged['updated_at'] = this.#now(def);
    const record = this.#deps.preparer.prepare(def, merged, { coerce, previous: existing });
    sendJson(c.res, 200, await this.#write(def, record, 'update'));
  }

  async remove(c: RequestContext, def: EntityDefinition, scope?: Scope): Promise<void> {
    const existing = await this.#find(def, c.params['id']!, scope);
    // Kong answers 204 even when there was nothing to delete: DELETE is idempotent.
    if (existing !== null) await this.#deps.store.delete(def, existing.id);
    sendJson(c.res, 204, undefined);
  }
}

function throwNotFound(): never {
  throw notFound();
}
