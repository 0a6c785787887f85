// GET /clustering/data-planes as a console pages through it: Kong's collection paging (size, offset,
// next), Kong's field names next to ours, and the 400 on a node that is not a control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdmin, type AdminHarness } from '../../../../test/support/admin.ts';
import { DataPlaneRegistry } from '../cluster/registry.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('/clustering/data-planes', () => {
  let h: AdminHarness;
  let plain: AdminHarness;
  beforeAll(async () => {
    const registry = new DataPlaneRegistry();
    // Inserted out of id order: pages come in id order whatever the order they connected in.
    for (let i = 250; i >= 1; i--) registry.upsert(uuid(i), { hostname: `edge-${i}`, connected: true, sync_status: 'in_sync', cert_expiry: 1_900_000_000 });
    h = await startAdmin('pglite', { dataPlanes: registry });
    plain = await startAdmin('pglite');
  });
  afterAll(async () => {
    await h.close();
    await plain.close();
  });

  it('pages by id, 100 at a time by default, with Kong’s offset and next link', async () => {
    const seen: string[] = [];
    let path: string | null = '/clustering/data-planes';
    const sizes: number[] = [];
    while (path !== null) {
      const res: { status: number; body: { data: Array<{ id: string }>; next: string | null; offset?: string } } = await h.request('GET', path);
      expect(res.status).toBe(200);
      sizes.push(res.body.data.length);
      seen.push(...res.body.data.map((d) => d.id));
      if (res.body.next !== null) expect(res.body.next).toBe(`/clustering/data-planes?offset=${encodeURIComponent(res.body.offset!)}`);
      path = res.body.next;
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => uuid(i + 1)));
  });

  it('keeps the size it was asked for in the next link, and refuses a bad size or offset', async () => {
    const first = await h.request('GET', '/clustering/data-planes?size=200');
    expect(first.body.data).toHaveLength(200);
    expect(first.body.next).toMatch(/^\/clustering\/data-planes\?offset=[^&]+&size=200$/);
    expect((await h.request('GET', '/clustering/data-planes?size=0')).status).toBe(400);
    const badOffset = await h.request('GET', '/clustering/data-planes?offset=nope');
    expect(badOffset.status).toBe(400);
    expect(badOffset.body.message).toMatch(/is not a valid offset/);
  });

  it('shows Kong’s cert_details.expiry_timestamp next to cert_expiry', async () => {
    const res = await h.request('GET', '/clustering/data-planes?size=1');
    expect(res.body.data[0]).toMatchObject({ id: uuid(1), hostname: 'edge-1', cert_expiry: 1_900_000_000, cert_details: { expiry_timestamp: 1_900_000_000 } });
  });

  it('answers 400 on a node that is not a control plane', async () => {
    const res = await plain.request('GET', '/clustering/data-planes');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/only available when Tollgate is configured to run as Control Plane/);
  });
});
