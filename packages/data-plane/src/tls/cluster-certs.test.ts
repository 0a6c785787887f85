// Cluster certificates: they verify with node:crypto, pair with their keys, carry the right names and
// usages, and a real node:tls mTLS handshake accepts them and refuses foreign or expired ones.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { connect, createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClusterCertificates, issueCertificate, type ClusterCertificates } from './cluster-certs.ts';
import type { PemPair } from './certificate.ts';

let certs: ClusterCertificates;
beforeAll(async () => {
  certs = await generateClusterCertificates({ serverName: 'cp.cluster.test', sans: ['cp.example.com', '10.1.2.3'] });
});

const x509 = (pair: PemPair) => new X509Certificate(pair.cert);

describe('generateClusterCertificates', () => {
  it('signs the control-plane and data-plane certificates with the CA', () => {
    const ca = x509(certs.ca);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    for (const leaf of [x509(certs.controlPlane), x509(certs.dataPlane)]) {
      expect(leaf.ca).toBe(false);
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.verify(ca.publicKey)).toBe(true);
      expect(leaf.verify(x509(certs.shared).publicKey)).toBe(false);
    }
    const shared = x509(certs.shared);
    expect(shared.issuer).toBe(shared.subject);
    expect(shared.verify(shared.publicKey)).toBe(true);
  });

  it('pairs every certificate with its own key', () => {
    const pairs = [certs.shared, certs.ca, certs.controlPlane, certs.dataPlane];
    for (const pair of pairs) expect(x509(pair).checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
    expect(x509(certs.controlPlane).checkPrivateKey(createPrivateKey(certs.dataPlane.key))).toBe(false);
  });

  it('names the control plane by the server name, localhost, 127.0.0.1 and the extra SANs', () => {
    const cp = x509(certs.controlPlane);
    expect(cp.subject).toBe('CN=cp.cluster.test');
    expect(cp.subjectAltName?.split(', ').sort()).toEqual(['DNS:cp.cluster.test', 'DNS:cp.example.com', 'DNS:localhost', 'IP Address:10.1.2.3', 'IP Address:127.0.0.1']);
    expect(cp.checkHost('cp.cluster.test')).toBe('cp.cluster.test');
    expect(cp.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cp.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x509(certs.dataPlane).keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(x509(certs.shared).checkHost('kong_clustering')).toBe('kong_clustering');
    expect(x509(certs.shared).keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('uses the default server name and the requested validity', async () => {
    const short = await generateClusterCertificates({ days: 2 });
    const cp = x509(short.controlPlane);
    expect(cp.checkHost('tollgate-control-plane')).toBe('tollgate-control-plane');
    const lifetime = Date.parse(cp.validTo) - Date.now();
    expect(lifetime).toBeGreaterThan(86_400_000);
    expect(lifetime).toBeLessThanOrEqual(2 * 86_400_000);
  });
});

describe('mTLS over node:tls', () => {
  // The control plane side: verifies the client chain against the cluster CA (nginx `ssl_verify_client on`).
  async function listen(server: PemPair, ca: string): Promise<{ server: Server; port: number; clients: string[]; refusals: string[] }> {
    const clients: string[] = [];
    const refusals: string[] = [];
    const srv = createServer({ cert: server.cert, key: server.key, ca, requestCert: true, rejectUnauthorized: true }, (socket) => {
      clients.push(socket.getPeerX509Certificate()?.subject ?? '');
      socket.end('hello');
    });
    srv.on('tlsClientError', (err) => refusals.push(err.message));
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return { server: srv, port: (srv.address() as AddressInfo).port, clients, refusals };
  }

  // The data plane side: trusts the cluster CA and verifies the server name it was given.
  function handshake(port: number, client: PemPair, ca: string, servername: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername, cert: client.cert, key: client.key, ca, rejectUnauthorized: true });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => (data === 'hello' ? resolve(data) : reject(new Error('closed without a greeting'))));
      socket.on('error', reject);
    });
  }

  async function withServer(server: PemPair, ca: string, fn: (port: number, clients: string[], refusals: string[]) => Promise<void>): Promise<void> {
    const s = await listen(server, ca);
    try {
      await fn(s.port, s.clients, s.refusals);
    } finally {
      await new Promise((resolve) => s.server.close(resolve));
    }
  }

  it('completes a handshake with CA-signed server and client certificates', async () => {
    await withServer(certs.controlPlane, certs.ca.cert, async (port, clients) => {
      expect(await handshake(port, certs.dataPlane, certs.ca.cert, 'cp.cluster.test')).toBe('hello');
      expect(clients).toEqual(['CN=tollgate-data-plane']);
    });
  });

  it('refuses a client certificate from another CA', async () => {
    const other = await generateClusterCertificates();
    await withServer(certs.controlPlane, certs.ca.cert, async (port, clients, refusals) => {
      await expect(handshake(port, other.dataPlane, certs.ca.cert, 'cp.cluster.test')).rejects.toThrow();
      expect(clients).toEqual([]);
      expect(refusals).toHaveLength(1);
    });
  });

  it('refuses a server certificate from another CA and a wrong server name', async () => {
    const other = await generateClusterCertificates({ serverName: 'cp.cluster.test' });
    await withServer(other.controlPlane, certs.ca.cert, async (port) => {
      await expect(handshake(port, certs.dataPlane, certs.ca.cert, 'cp.cluster.test')).rejects.toThrow(/self-signed|unable to (get|verify)/i);
    });
    await withServer(certs.controlPlane, certs.ca.cert, async (port) => {
      await expect(handshake(port, certs.dataPlane, certs.ca.cert, 'elsewhere.test')).rejects.toThrow(/altnames|Hostname/i);
    });
  });

  it('refuses an expired client certificate and an expired server certificate', async () => {
    const expiredClient = await issueCertificate({ commonName: 'old-dp', usages: ['clientAuth'], issuer: certs.ca, days: -1 });
    await withServer(certs.controlPlane, certs.ca.cert, async (port, clients, refusals) => {
      await expect(handshake(port, expiredClient, certs.ca.cert, 'cp.cluster.test')).rejects.toThrow();
      expect(clients).toEqual([]);
      expect(refusals).toHaveLength(1);
    });
    const expiredServer = await issueCertificate({ commonName: 'cp.cluster.test', sans: ['cp.cluster.test'], usages: ['serverAuth'], issuer: certs.ca, days: -1 });
    await withServer(expiredServer, certs.ca.cert, async (port) => {
      await expect(handshake(port, certs.dataPlane, certs.ca.cert, 'cp.cluster.test')).rejects.toThrow(/expired/i);
    });
  });

  it('shared mode: both sides present the one pair and trust it', async () => {
    // Kong's CP does not verify the chain here but compares digests; trusting the pair gives the same answer.
    await withServer(certs.shared, certs.shared.cert, async (port, clients) => {
      expect(await handshake(port, certs.shared, certs.shared.cert, 'kong_clustering')).toBe('hello');
      expect(clients).toEqual(['CN=kong_clustering']);
      await expect(handshake(port, certs.dataPlane, certs.shared.cert, 'kong_clustering')).rejects.toThrow();
    });
  });

  it('refuses a client certificate made for servers only', async () => {
    await withServer(certs.controlPlane, certs.ca.cert, async (port, clients, refusals) => {
      await expect(handshake(port, certs.controlPlane, certs.ca.cert, 'cp.cluster.test')).rejects.toThrow();
      expect(clients).toEqual([]);
      expect(refusals).toHaveLength(1);
    });
  });

  it('refuses each bad client for the reason OpenSSL gives', async () => {
    // With TLS 1.3 the client finishes first and the server just hangs up, so ask a lenient server why.
    const other = await generateClusterCertificates();
    const expired = await issueCertificate({ commonName: 'old-dp', usages: ['clientAuth'], issuer: certs.ca, days: -1 });
    const verdicts: Array<string | null> = [];
    const srv = createServer({ cert: certs.controlPlane.cert, key: certs.controlPlane.key, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: false }, (socket) => {
      verdicts.push(socket.authorized ? null : String(socket.authorizationError));
      socket.end('hello');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const port = (srv.address() as AddressInfo).port;
      for (const client of [certs.dataPlane, other.dataPlane, expired, certs.controlPlane]) await handshake(port, client, certs.ca.cert, 'cp.cluster.test');
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
    expect(verdicts).toEqual([null, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'INVALID_PURPOSE']);
  });
});
