// certificates: a PEM certificate and key pair for TLS termination; SNIs point at it.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import type { FieldErrors } from '../errors.ts';
import { Pem } from '../fields.ts';
import { baseFields } from './common.ts';

function keyType(pem: string): string | undefined {
  try {
    return createPrivateKey(pem).asymmetricKeyType;
  } catch {
    return undefined;
  }
}

/** Checks one cert/key pair: both parse, and the key belongs to the certificate. */
function checkPair(cert: string, key: string, certField: string, keyField: string, errors: FieldErrors): string | undefined {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    errors[certField] = 'invalid certificate: could not parse the PEM certificate';
    return undefined;
  }
  let type: string | undefined;
  try {
    const privateKey = createPrivateKey(key);
    type = privateKey.asymmetricKeyType;
    if (!x509.checkPrivateKey(privateKey)) errors['@entity'] = [`certificate does not match key (${certField}/${keyField})`];
  } catch {
    errors[keyField] = 'invalid key: could not parse the PEM private key';
  }
  return type;
}

export const certificates = defineEntity({
  name: 'certificates',
  adminPath: 'certificates',
  topLevel: true,
  uniques: [],
  foreignKeys: {},
  nested: { snis: 'snis' },
  schema: Type.Object(
    {
      ...baseFields(),
      cert: Pem({ description: 'PEM certificate (chain allowed).' }),
      key: Pem({ description: 'PEM private key of `cert`.' }),
      cert_alt: Type.Optional(Pem({ description: 'A second certificate of the other key type (RSA vs ECDSA).' })),
      key_alt: Type.Optional(Pem()),
      snis: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Transient: creates SNI entities pointing at this certificate.' })),
    },
    { additionalProperties: false },
  ),
  check(value) {
    const errors: FieldErrors = {};
    const type = checkPair(value['cert'] as string, value['key'] as string, 'cert', 'key', errors);
    const certAlt = value['cert_alt'] as string | undefined;
    const keyAlt = value['key_alt'] as string | undefined;
    if ((certAlt === undefined) !== (keyAlt === undefined)) {
      errors['@entity'] = ["all or none of these fields must be set: 'cert_alt', 'key_alt'"];
    } else if (certAlt !== undefined && keyAlt !== undefined) {
      const altType = checkPair(certAlt, keyAlt, 'cert_alt', 'key_alt', errors);
      if (type !== undefined && altType !== undefined && keyType(value['key'] as string) === altType) {
        errors['cert_alt'] = 'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA)';
      }
    }
    return Object.keys(errors).length > 0 ? errors : undefined;
  },
});
