// ca_certificates: trusted CA certificates for verifying upstreams and clients.
import { createHash, X509Certificate } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import { Pem } from '../fields.ts';
import { baseFields } from './common.ts';

function parse(pem: unknown): X509Certificate | undefined {
  try {
    return new X509Certificate(String(pem));
  } catch {
    return undefined;
  }
}

export const caCertificates = defineEntity({
  name: 'ca_certificates',
  adminPath: 'ca_certificates',
  topLevel: true,
  uniques: ['cert_digest'],
  foreignKeys: {},
  schema: Type.Object(
    {
      ...baseFields(),
      cert: Pem({ description: 'Exactly one PEM CA certificate.' }),
      cert_digest: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the DER certificate; computed.' })),
    },
    { additionalProperties: false },
  ),
  check(value) {
    const cert = value['cert'] as string;
    if ((cert.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length !== 1) return { cert: 'please submit only one certificate at a time' };
    const x509 = parse(cert);
    if (x509 === undefined) return { cert: 'invalid certificate: could not parse the PEM certificate' };
    if (!x509.ca) return { cert: 'certificate does not appear to be a CA because it is missing the "CA" basic constraint' };
    if (Date.parse(x509.validTo) < Date.now()) return { cert: 'expired certificate' };
    return undefined;
  },
  transform(value) {
    const x509 = parse(value['cert']);
    if (x509 !== undefined) value['cert_digest'] = createHash('sha256').update(x509.raw).digest('hex');
  },
});
