// Certificates by server name for TLS termination: the exact name first, then one-label wildcards.
// Secure contexts are built on first use (creating one costs about a millisecond), then cached.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { EntityRecord } from '@tollgate/schema';

export class CertificateIndex {
  /** Exact names, `*.example.com` and `example.*` all in one map: a wildcard covers exactly one label. */
  readonly #byName = new Map<string, EntityRecord>();
  readonly #contexts = new Map<string, SecureContext>();

  constructor(certificates: readonly EntityRecord[], snis: readonly EntityRecord[]) {
    const byId = new Map(certificates.map((c) => [c.id, c]));
    for (const sni of snis) {
      const cert = byId.get((sni['certificate'] as { id: string }).id);
      if (cert !== undefined) this.#byName.set((sni['name'] as string).toLowerCase(), cert);
    }
  }

  get size(): number {
    return this.#byName.size;
  }

  /**
   * The secure context for `servername`, or undefined (the listener's default certificate is used).
   * Like Kong (and RFC 6125), `*.b.example` matches `a.b.example` but not `x.a.b.example`: the exact
   * name first, then the first label replaced by `*`, then the last label replaced by `*`.
   */
  contextFor(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    let cert = this.#byName.get(name);
    if (cert === undefined) {
      const firstDot = name.indexOf('.');
      if (firstDot > 0) cert = this.#byName.get(`*${name.slice(firstDot)}`);
    }
    if (cert === undefined) {
      const lastDot = name.lastIndexOf('.');
      if (lastDot > 0) cert = this.#byName.get(`${name.slice(0, lastDot)}.*`);
    }
    if (cert === undefined) return undefined;
    let ctx = this.#contexts.get(cert.id);
    if (ctx === undefined) {
      const options: { cert: string[]; key: string[] } = { cert: [cert['cert'] as string], key: [cert['key'] as string] };
      if (typeof cert['cert_alt'] === 'string' && typeof cert['key_alt'] === 'string') {
        options.cert.push(cert['cert_alt']);
        options.key.push(cert['key_alt']);
      }
      ctx = createSecureContext(options);
      this.#contexts.set(cert.id, ctx);
    }
    return ctx;
  }
}
