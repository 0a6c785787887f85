// What a proxy process needs to start: plugin runtimes for --plugins, and the default TLS certificate.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginRegistry, selfSignedCertificate, type PemPair, type PluginRegistry } from '@tollgate/data-plane';
import { bundledPlugins } from '@tollgate/plugins/handlers';
import { bundledPluginSchemas } from '@tollgate/plugins/schemas';
import { selectPlugins } from '../plugins/load.ts';
import { UsageError } from '../options.ts';

/**
 * Runtimes of the plugins named by --plugins: bundled ones that have a runtime (`bundled` = all of them),
 * and custom plugins loaded from their paths.
 */
export async function loadPluginRuntimes(spec: string | undefined): Promise<PluginRegistry> {
  const selection = await selectPlugins(spec, new Set(bundledPluginSchemas.map((p) => p.name)));
  return pluginRegistry([...bundledPlugins.filter((p) => selection.bundled(p.schema.name)), ...selection.custom]);
}

/** --ssl-cert/--ssl-cert-key, or a self-signed certificate made once and kept in PREFIX/ssl. */
export async function defaultCertificate(prefix: string, certFile: string | undefined, keyFile: string | undefined): Promise<PemPair> {
  if (certFile !== undefined || keyFile !== undefined) {
    if (certFile === undefined || keyFile === undefined) throw new UsageError('--ssl-cert and --ssl-cert-key go together');
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  }
  const dir = join(prefix, 'ssl');
  const cert = join(dir, 'default.crt');
  const key = join(dir, 'default.key');
  if (existsSync(cert) && existsSync(key)) return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = await selfSignedCertificate(['localhost', 'tollgate.default']);
  writeFileSync(key, pair.key, { mode: 0o600 });
  chmodSync(key, 0o600);
  writeFileSync(cert, pair.cert);
  return pair;
}
