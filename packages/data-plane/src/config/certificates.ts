// Certificates by server name for TLS termination: exact names first, then the longest wildcard.
// Secure contexts are built on first use (creating one costs about a millisecond), then cached.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { EntityRecord } from '@tollgate/schema';

export class CertificateIndex {
  readonly #exact = new Map<string, EntityRecord>();
  /** `*.example.com` stored as suffix `.example.com`; `example.*` as prefix `example.`. */
  readonly #suffix: Array<[string, EntityRecord]> = [];
  readonly #prefix: Array<[string, EntityRecord]> = [];
  readonly #contexts = new Map<string, SecureContext>();

  constructor(certificates: readonly EntityRecord[], snis: readonly EntityRecord[]) {
    const byId = new Map(certificates.map((c) => [c.id, c]));
    for (const sni of snis) {
      const cert = byId.get((sni['certificate'] as { id: string }).id);
      if (cert === undefined) continue;
      const name = (sni['name'] as string).toLowerCase();
      if (name.startsWith('*.')) this.#suffix.push([name.slice(1), cert]);
      else if (name.endsWith('.*')) this.#prefix.push([name.slice(0, -1), cert]);
      else this.#exact.set(name, cert);
    }
    // Longest wildcard first, so the most specific one wins.
    this.#suffix.sort((a, b) => b[0].length - a[0].length);
    this.#prefix.sort((a, b) => b[0].length - a[0].length);
  }

  get size(): number {
    return this.#exact.size + this.#suffix.length + this.#prefix.length;
  }

  /** The secure context for `servername`, or undefined (the listener's default certificate is used). */
  contextFor(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    let cert = this.#exact.get(name);
    if (cert === undefined) for (const [suffix, c] of this.#suffix) if (name.endsWith(suffix) && name.length > suffix.length) { cert = c; break; }
    if (cert === undefined) for (const [prefix, c] of this.#prefix) if (name.startsWith(prefix) && name.length > prefix.length) { cert = c; break; }
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
