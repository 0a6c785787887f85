// The certificates a control plane and its data planes authenticate each other with, for both of
// Kong's cluster_mtls modes: `shared` (one self-signed pair on both sides, compared by digest) and
// `pki` (a cluster CA that signs a server certificate for the CP and a client certificate for DPs).
import { issueCertificate, type PemPair } from './certificate.ts';

export { issueCertificate, type CertificateOptions } from './certificate.ts';

/** The SNI / name a pki-mode data plane verifies when no --cluster-server-name is given. */
export const DEFAULT_CLUSTER_SERVER_NAME = 'tollgate-control-plane';

/** The SNI a shared-mode Kong data plane sends whatever its settings say (kong/clustering/tls.lua). */
export const SHARED_MODE_SERVER_NAME = 'kong_clustering';

export interface ClusterCertificateOptions {
  /** Days every certificate is valid from now; negative makes them already expired (tests). Default 1095 (3 years, like `kong hybrid gen_cert`). */
  days?: number;
  /** Name on the control plane's certificate that data planes verify. Default `tollgate-control-plane`. */
  serverName?: string;
  /** More names (DNS or IP literals) the control plane is reached by. */
  sans?: readonly string[];
}

export interface ClusterCertificates {
  /** shared mode: the one pair both the control plane and every data plane present. */
  shared: PemPair;
  /** pki mode: the cluster CA (cluster_ca_cert); its key only signs and should stay offline. */
  ca: PemPair;
  /** pki mode: the control plane's server certificate, signed by `ca`. */
  controlPlane: PemPair;
  /** pki mode: the data planes' client certificate, signed by `ca`. */
  dataPlane: PemPair;
}

/**
 * Makes a fresh set of cluster certificates, every key ECDSA P-256.
 * @example
 * const certs = await generateClusterCertificates({ serverName: 'cp.internal', sans: ['10.0.0.5'] });
 * tls.createServer({ cert: certs.controlPlane.cert, key: certs.controlPlane.key, ca: certs.ca.cert, requestCert: true });
 */
export async function generateClusterCertificates(options: ClusterCertificateOptions = {}): Promise<ClusterCertificates> {
  const days = options.days ?? 1095;
  const serverName = options.serverName ?? DEFAULT_CLUSTER_SERVER_NAME;
  const serverSans = unique([serverName, 'localhost', '127.0.0.1', ...(options.sans ?? [])]);

  // Kong's shared pair is CN=kong_clustering; keeping that name lets a Kong DP verify a Tollgate CP.
  const shared = await issueCertificate({
    commonName: SHARED_MODE_SERVER_NAME,
    sans: unique([SHARED_MODE_SERVER_NAME, ...serverSans]),
    usages: ['serverAuth', 'clientAuth'],
    days,
  });
  const ca = await issueCertificate({ commonName: 'Tollgate cluster CA', ca: true, days });
  const controlPlane = await issueCertificate({ commonName: serverName, sans: serverSans, usages: ['serverAuth'], issuer: ca, days });
  const dataPlane = await issueCertificate({ commonName: 'tollgate-data-plane', usages: ['clientAuth'], issuer: ca, days });
  return { shared, ca, controlPlane, dataPlane };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.trim()).filter((n) => n !== ''))];
}
