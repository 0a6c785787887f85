// TLS termination on the https listener: the certificate chosen by SNI (exact, wildcard, default),
// requests proxied over TLS, and routes restricted to an SNI.
import { request as httpsRequest } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../support/certs.ts';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { startUpstream, type RawReply, type Upstream } from '../support/upstream.ts';

/** The certificate the proxy presents for `servername` (undefined: no SNI sent at all). */
function peerCertificate(port: number, servername: string | undefined): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    // node:tls sends no SNI when connecting to an IP literal without `servername`.
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

/** An HTTPS request to the proxy with the given SNI (and a matching Host). */
function tlsRequest(port: number, path: string, servername: string | undefined): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        rejectUnauthorized: false,
        agent: false,
        headers: { host: servername ?? '127.0.0.1' },
        ...(servername === undefined ? {} : { servername }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('TLS termination', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  beforeAll(async () => {
    up = await startUpstream('tls-echo');
    const a = await makeCertificate({ dnsNames: ['a.tollgate.test'] });
    const b = await makeCertificate({ dnsNames: ['*.b.tollgate.test'], keyType: 'rsa' });
    proxy = await startProxy({
      _format_version: '3.0',
      certificates: [
        { cert: a.cert, key: a.key, snis: ['a.tollgate.test'] },
        { cert: b.cert, key: b.key, snis: ['*.b.tollgate.test'] },
      ],
      services: [
        {
          name: 'echo',
          url: up.url,
          routes: [
            { name: 'any', paths: ['/any'] },
            { name: 'only-a', protocols: ['https'], snis: ['a.tollgate.test'], paths: ['/sni'] },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
  });

  it('presents the certificate whose SNI matches exactly', async () => {
    const cert = await peerCertificate(proxy.httpsPort, 'a.tollgate.test');
    expect(cert.subject.CN).toBe('a.tollgate.test');
    expect(cert.subjectaltname).toBe('DNS:a.tollgate.test');
  });

  it('presents the wildcard certificate for a name under it', async () => {
    const cert = await peerCertificate(proxy.httpsPort, 'x.b.tollgate.test');
    expect(cert.subject.CN).toBe('*.b.tollgate.test');
    expect(cert.subjectaltname).toBe('DNS:*.b.tollgate.test');
    // Server names are case-insensitive.
    expect((await peerCertificate(proxy.httpsPort, 'Y.B.Tollgate.Test')).subject.CN).toBe('*.b.tollgate.test');
  });

  it('falls back to the default certificate for an unknown name and without SNI', async () => {
    expect((await peerCertificate(proxy.httpsPort, 'unknown.tollgate.test')).subject.CN).toBe('default.tollgate.test');
    // The wildcard does not cover the bare parent name.
    expect((await peerCertificate(proxy.httpsPort, 'b.tollgate.test')).subject.CN).toBe('default.tollgate.test');
    expect((await peerCertificate(proxy.httpsPort, undefined)).subject.CN).toBe('default.tollgate.test');
  });

  // Kong (kong/runloop/certificate.lua `produce_wild_snis`) looks a name up as itself, then with only its
  // first label replaced by `*` ("y.x.b.tollgate.test" → "*.x.b.tollgate.test"), so a wildcard SNI covers
  // exactly one label, as in certificate name matching (RFC 6125 §6.4.3). CertificateIndex.contextFor
  // (packages/data-plane/src/config/certificates.ts) matches any name ending in ".b.tollgate.test".
  it('serves the default certificate for a name two labels under a wildcard SNI', async () => {
    expect((await peerCertificate(proxy.httpsPort, 'y.x.b.tollgate.test')).subject.CN).toBe('default.tollgate.test');
  });

  it('proxies requests over TLS and tells the upstream the scheme was https', async () => {
    const res = await tlsRequest(proxy.httpsPort, '/any/thing', 'x.b.tollgate.test');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/thing');
    expect(body.headers['x-forwarded-proto']).toBe('https');
    expect(body.headers['x-forwarded-port']).toBe(String(proxy.httpsPort));
    expect(body.headers['x-forwarded-host']).toBe('x.b.tollgate.test');
    expect(res.headers['via']).toBe('1.1 tollgate/0.1.0');
  });

  it('matches a route with snis only for that SNI', async () => {
    const ok = await tlsRequest(proxy.httpsPort, '/sni/x', 'a.tollgate.test');
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as { url: string }).url).toBe('/x');
    const other = await tlsRequest(proxy.httpsPort, '/sni/x', 'x.b.tollgate.test');
    expect(other.status).toBe(404);
    expect(other.body.split('\n')[0]).toBe('no Route matched with those values');
    const unknown = await tlsRequest(proxy.httpsPort, '/sni/x', 'unknown.tollgate.test');
    expect(unknown.status).toBe(404);
  });

  // Kong (atc-router): a predicate on a field missing from the context is false, so an https request
  // without SNI does not match a route with `snis`. The router treats sni '' as "TLS without SNI" (no
  // match), but the proxy handler turns a missing servername into `undefined` ("plain HTTP", condition
  // skipped): packages/data-plane/src/proxy/handler.ts (`(socket as TLSSocket).servername || undefined`),
  // same in proxy/websocket.ts.
  it('does not match a route with snis for an https request that sent no SNI', async () => {
    const res = await tlsRequest(proxy.httpsPort, '/sni/x', undefined);
    expect(res.status).toBe(404);
  });
});
