// One function that makes an X.509 certificate without openssl: self-signed or signed by an issuer,
// for a CA, a TLS server or a TLS client. Keys are ECDSA P-256 in PKCS#8 PEM.
import 'reflect-metadata';
import { isIP } from 'node:net';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface PemPair {
  cert: string;
  key: string;
}

export interface CertificateOptions {
  /** Subject common name; defaults to the first SAN, then `localhost`. */
  commonName?: string;
  /** Subject alternative names; IPv4/IPv6 literals become IP SANs, everything else DNS SANs. */
  sans?: readonly string[];
  /** Days of validity from now; negative for an already expired certificate (tests). Default 365. */
  days?: number;
  /** Signs with this certificate's key; self-signed when absent. */
  issuer?: PemPair;
  /** A CA certificate (basic constraints cA, keyCertSign) instead of a leaf. */
  ca?: boolean;
  /** Extended key usages of a leaf; none means any purpose. */
  usages?: ReadonlyArray<'serverAuth' | 'clientAuth'>;
}

/**
 * Makes a certificate and its fresh key.
 * @example
 * const ca = await issueCertificate({ commonName: 'Cluster CA', ca: true, days: 1095 });
 * const server = await issueCertificate({ sans: ['cp.internal', '127.0.0.1'], usages: ['serverAuth'], issuer: ca });
 */
export async function issueCertificate(options: CertificateOptions = {}): Promise<PemPair> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const days = options.days ?? 365;
  const now = Date.now();
  // An expired certificate must also have started in the past, or verifiers call it "not yet valid".
  const notBefore = new Date(days < 0 ? now + (days - 1) * DAY_MS : now - 60_000);
  const notAfter = new Date(now + days * DAY_MS);
  const sans = options.sans ?? [];
  const subject = `CN=${escapeRdn(options.commonName ?? sans[0] ?? 'localhost')}`;

  let issuerName = subject;
  let signingKey = keys.privateKey;
  let issuerPublicKey: x509.PublicKey = await x509.PublicKey.create(keys.publicKey);
  if (options.issuer !== undefined) {
    const issuerCert = new x509.X509Certificate(options.issuer.cert);
    issuerName = issuerCert.subject;
    issuerPublicKey = issuerCert.publicKey;
    signingKey = await webcrypto.subtle.importKey('pkcs8', pemBody(options.issuer.key), EC, false, ['sign']);
  }

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca === true, options.ca === true ? 0 : undefined, true),
    new x509.KeyUsagesExtension(
      options.ca === true ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    // Key identifiers let OpenSSL pick the right issuer when several CAs share a subject name.
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuerPublicKey),
  ];
  if (sans.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(sans.map((value) => ({ type: isIP(value) === 0 ? ('dns' as const) : ('ip' as const), value }))));
  }
  if (options.usages !== undefined && options.usages.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension(options.usages.map((u) => x509.ExtendedKeyUsage[u])));
  }

  const serial = webcrypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and without a leading zero byte (RFC 5280 4.1.2.2)
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(serial).toString('hex'),
    subject,
    issuer: issuerName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: EC,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

// A name given on the command line must not be able to add attributes to the subject DN.
function escapeRdn(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, '\\$&');
}
