// Upstreams with targets, certificates with SNIs, CA certificates, through the Admin API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startAdmin, type AdminHarness } from '../../../../test/support/admin.ts';
import { makeCertificate } from '../../../../test/support/certs.ts';

describe.each(BACKENDS)('upstreams, targets and certificates (%s)', (backend) => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdmin(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates an upstream with Kong’s health-check defaults', async () => {
    const res = await h.request('POST', '/upstreams', { name: 'orders.upstream' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ algorithm: 'round-robin', hash_on: 'none', slots: 10000 });
    expect(res.body.healthchecks.active).toMatchObject({ type: 'http', http_path: '/', timeout: 1, concurrency: 10, healthy: { interval: 0, http_statuses: [200, 302] } });
    expect(res.body.healthchecks.passive.unhealthy).toMatchObject({ http_statuses: [429, 500, 503], tcp_failures: 0 });
  });

  it('checks hash_on companions', async () => {
    const res = await h.request('POST', '/upstreams', { name: 'hashy', hash_on: 'header' });
    expect(res.status).toBe(400);
    expect(res.body.fields.hash_on_header).toMatch(/required field missing/);
  });

  it('adds targets only under their upstream, defaulting port 8000 and weight 100', async () => {
    const t = await h.request('POST', '/upstreams/orders.upstream/targets', { target: '10.0.0.7' });
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ target: '10.0.0.7:8000', weight: 100 });
    expect((await h.request('POST', '/upstreams/orders.upstream/targets', { target: '10.0.0.7:8000' })).status).toBe(409);
    expect((await h.request('GET', '/targets')).status).toBe(404);
    const list = await h.request('GET', '/upstreams/orders.upstream/targets');
    expect(list.body.data).toHaveLength(1);
  });

  it('answers /upstreams/{u}/health and …/healthy|unhealthy only where the node proxies: 400 saying where to look, 404 for no such upstream or target', async () => {
    const res = await h.request('GET', '/upstreams/orders.upstream/health');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/read it from each data plane \(kong_upstream_target_health/);
    expect((await h.request('GET', '/upstreams/no-such-upstream/health')).status).toBe(404);
    const set = await h.request('POST', '/upstreams/orders.upstream/targets/10.0.0.7:8000/unhealthy');
    expect(set.status).toBe(400);
    expect(set.body.message).toMatch(/known to the nodes that proxy/);
    expect((await h.request('POST', '/upstreams/orders.upstream/targets/10.9.9.9:80/healthy')).status).toBe(404);
    // The same for proxy-cache entries: they live in the memory of the nodes that proxy.
    const purge = await h.request('DELETE', '/proxy-cache');
    expect(purge.status).toBe(400);
    expect(purge.body.message).toMatch(/memory of the nodes that proxy/);
  });

  it('deleting an upstream removes its targets', async () => {
    const up = (await h.request('POST', '/upstreams', { name: 'gone.upstream' })).body;
    const t = (await h.request('POST', `/upstreams/${up.id}/targets`, { target: 'a.internal:81' })).body;
    await h.request('DELETE', '/upstreams/gone.upstream');
    expect((await h.request('GET', `/upstreams/${up.id}/targets/${t.id}`)).status).toBe(404);
  });

  it('stores a certificate with its SNIs and finds the certificate from an SNI', async () => {
    const pem = await makeCertificate({ dnsNames: ['shop.example.com'] });
    const res = await h.request('POST', '/certificates', { ...pem, snis: ['shop.example.com', '*.shop.example.com'] });
    expect(res.status).toBe(201);
    expect(res.body.snis).toEqual(['*.shop.example.com', 'shop.example.com']);
    const sni = await h.request('GET', '/snis/shop.example.com');
    expect(sni.body.certificate).toEqual({ id: res.body.id });
    const more = await h.request('POST', `/certificates/${res.body.id}/snis`, { name: 'www.shop.example.com' });
    expect(more.status).toBe(201);
    expect((await h.request('GET', `/certificates/${res.body.id}`)).body.snis).toHaveLength(3);
    await h.request('DELETE', `/certificates/${res.body.id}`);
    expect((await h.request('GET', '/snis/shop.example.com')).status).toBe(404);
  });

  it('refuses a key that does not belong to the certificate, and PEM placeholders', async () => {
    const a = await makeCertificate();
    const b = await makeCertificate();
    const res = await h.request('POST', '/certificates', { cert: a.cert, key: b.key });
    expect(res.status).toBe(400);
    expect(res.body.fields['@entity'][0]).toMatch(/certificate does not match key/);
    const placeholder = await h.request('POST', '/certificates', { cert: '-----BEGIN CERTIFICATE----- -----END CERTIFICATE-----', key: '-----BEGIN PRIVATE KEY----- -----END PRIVATE KEY-----' });
    expect(placeholder.status).toBe(400);
    expect(placeholder.body.fields.cert).toMatch(/could not parse/);
  });

  it('accepts CA certificates only, computes their digest, and refuses expired ones', async () => {
    const ca = await makeCertificate({ ca: true, commonName: 'Test CA' });
    const res = await h.request('POST', '/ca_certificates', { cert: ca.cert });
    expect(res.status).toBe(201);
    expect(res.body.cert_digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await h.request('POST', '/ca_certificates', { cert: ca.cert })).status).toBe(409);
    const leaf = await makeCertificate({ issuer: ca });
    expect((await h.request('POST', '/ca_certificates', { cert: leaf.cert })).body.fields.cert).toMatch(/missing the "CA" basic constraint/);
    const expired = await makeCertificate({ ca: true, days: -1 });
    expect((await h.request('POST', '/ca_certificates', { cert: expired.cert })).body.fields.cert).toBe('expired certificate');
  });
});
