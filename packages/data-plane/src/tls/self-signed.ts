// The proxy's default TLS certificate (used when no SNI matches), made without openssl.
import { issueCertificate, type PemPair } from './certificate.ts';

export type { PemPair } from './certificate.ts';

/** A self-signed ECDSA P-256 certificate for `names` (the first is the subject CN). */
export function selfSignedCertificate(names: string[], days = 3650): Promise<PemPair> {
  return issueCertificate({ commonName: names[0] ?? 'localhost', sans: names, days });
}
