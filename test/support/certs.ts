// Test certificates made on the fly (no openssl, nothing committed): a CA, and leaves signed by it.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface Pem {
  cert: string;
  key: string;
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

export interface CertOptions {
  commonName?: string;
  dnsNames?: string[];
  ca?: boolean;
  issuer?: { cert: string; key: string };
  /** Days of validity from now; negative for an already expired certificate. */
  days?: number;
  keyType?: 'rsa' | 'ec';
}

/** A certificate and its PKCS#8 key in PEM; self-signed unless `issuer` is given. */
export async function makeCertificate(options: CertOptions = {}): Promise<Pem> {
  const alg = options.keyType === 'rsa' ? RSA : EC;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const days = options.days ?? 365;
  const now = Date.now();
  const notBefore = new Date(days < 0 ? now + (days - 1) * 86400_000 : now - 60_000);
  const notAfter = new Date(now + days * 86400_000);
  const cn = options.commonName ?? options.dnsNames?.[0] ?? 'tollgate-test';
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(options.ca === true, undefined, true)];
  if (options.ca === true) extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  if (options.dnsNames !== undefined) extensions.push(new x509.SubjectAlternativeNameExtension(options.dnsNames.map((value) => ({ type: 'dns' as const, value }))));
  let signingKey = keys.privateKey;
  let issuerName = `CN=${cn}`;
  let signingAlg: webcrypto.Algorithm = alg;
  if (options.issuer !== undefined) {
    const issuerCert = new x509.X509Certificate(options.issuer.cert);
    issuerName = issuerCert.subject;
    const der = Buffer.from(options.issuer.key.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const issuerAlg = issuerCert.publicKey.algorithm as webcrypto.EcKeyAlgorithm | webcrypto.RsaHashedKeyAlgorithm;
    signingAlg = issuerAlg.name === 'ECDSA' ? EC : RSA;
    signingKey = await webcrypto.subtle.importKey('pkcs8', der, signingAlg, false, ['sign']);
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    subject: `CN=${cn}`,
    issuer: issuerName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: signingAlg,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}
