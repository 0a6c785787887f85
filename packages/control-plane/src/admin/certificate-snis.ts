// A certificate's `snis` field is transient in Kong: written through the certificate, stored as SNI entities.
import { snis as sniDef, uuidV4, type EntityRecord } from '@tollgate/schema';
import type { EntityStore } from '../store/index.ts';

/** Adds the names of the certificate's SNIs, as Kong shows them on certificate endpoints. */
export async function attachSnis(store: EntityStore, certificate: EntityRecord): Promise<EntityRecord> {
  const names: string[] = [];
  let offset: string | undefined;
  do {
    const page = await store.page(sniDef, { size: 1000, offset, foreign: { certificate: certificate.id } });
    for (const sni of page.data) names.push(sni['name'] as string);
    offset = page.offset;
  } while (offset !== undefined);
  return { ...certificate, snis: names.sort() };
}

/** Makes the certificate's SNIs exactly `names`: creates missing ones, deletes the rest. */
export async function writeCertificateSnis(store: EntityStore, certificateId: string, names: readonly string[], now: number): Promise<void> {
  const current = await attachSnis(store, { id: certificateId, created_at: 0 });
  const existing = new Set(current['snis'] as string[]);
  const wanted = new Set(names);
  for (const name of existing) {
    if (wanted.has(name)) continue;
    const sni = await store.getBy(sniDef, 'name', name);
    if (sni !== null) await store.delete(sniDef, sni.id);
  }
  for (const name of wanted) {
    if (existing.has(name)) continue;
    await store.insert(sniDef, { id: uuidV4(), name, certificate: { id: certificateId }, created_at: now, updated_at: now, tags: null });
  }
}
