// `tollgate certs generate --out DIR`: the cluster certificates a control plane and its data planes
// need, for both cluster_mtls modes, made in-process (no openssl), with keys readable by the owner only.
import { chmod, lstat, mkdir, open, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_CLUSTER_SERVER_NAME, generateClusterCertificates, type ClusterCertificates } from '@tollgate/data-plane';
import { splitList, UsageError, type Options } from '../options.ts';

const USAGE = 'usage: tollgate certs generate --out DIR [--days N] [--cluster-server-name NAME] [--san a,b] [--force]';
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/** What goes in each file; certificates are public, keys are for the owner only. */
const OUTPUTS: ReadonlyArray<{ name: string; mode: number; pem: (c: ClusterCertificates) => string }> = [
  { name: 'cluster.crt', mode: CERT_MODE, pem: (c) => c.shared.cert },
  { name: 'cluster.key', mode: KEY_MODE, pem: (c) => c.shared.key },
  { name: 'ca.crt', mode: CERT_MODE, pem: (c) => c.ca.cert },
  { name: 'ca.key', mode: KEY_MODE, pem: (c) => c.ca.key },
  { name: 'control-plane.crt', mode: CERT_MODE, pem: (c) => c.controlPlane.cert },
  { name: 'control-plane.key', mode: KEY_MODE, pem: (c) => c.controlPlane.key },
  { name: 'data-plane.crt', mode: CERT_MODE, pem: (c) => c.dataPlane.cert },
  { name: 'data-plane.key', mode: KEY_MODE, pem: (c) => c.dataPlane.key },
];

export async function certs(options: Options): Promise<number> {
  if (options.positionals[1] !== 'generate' || options.positionals.length > 2) throw new UsageError(USAGE);
  if (options.out === undefined || options.out === '') throw new UsageError(`--out is required; ${USAGE}`);
  const days = Number(options.days);
  if (!Number.isInteger(days) || days < 1) throw new UsageError(`--days must be a whole number of days, at least 1 (got '${options.days}')`);
  const serverName = options.cluster_server_name ?? DEFAULT_CLUSTER_SERVER_NAME;
  const sans = splitList(options.san);
  const dir = resolve(options.out);
  const force = options.force === 'true';

  // Check every file before writing any, so a refusal leaves the folder as it was.
  const existing = (await Promise.all(OUTPUTS.map(async ({ name }) => ((await exists(join(dir, name))) ? name : undefined)))).filter((n) => n !== undefined);
  if (existing.length > 0 && !force) {
    console.error(`tollgate: refusing to overwrite ${existing.join(', ')} in ${dir}; pass --force to replace them`);
    return 1;
  }

  const generated = await generateClusterCertificates({ days, serverName, sans });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const out of OUTPUTS) await writeFile(join(dir, out.name), out.pem(generated), out.mode, force);

  console.log(usageText(dir, days, [...new Set([serverName, 'localhost', '127.0.0.1', ...sans])]));
  return 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path); // a dangling symlink still blocks the exclusive create below
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Creates `path` exclusively with `mode`, then proves the mode on disk: a key must never be group/world readable. */
async function writeFile(path: string, pem: string, mode: number, replace: boolean): Promise<void> {
  // Removing first (rather than truncating) means an old file's wider mode or owner is not inherited.
  if (replace) await rm(path, { force: true });
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The umask can only narrow the mode given to open(); chmod makes certificates readable as intended too.
  await chmod(path, mode);
  const actual = (await stat(path)).mode & 0o777;
  if (actual !== mode) throw new Error(`${path} has mode ${actual.toString(8)}, expected ${mode.toString(8)}`);
}

function usageText(dir: string, days: number, serverNames: string[]): string {
  const f = (name: string) => join(dir, name);
  return [
    `wrote cluster certificates to ${dir} (valid ${days} days, ECDSA P-256):`,
    `  shared mode, one pair on the control plane and every data plane:`,
    `    ${f('cluster.crt')}, ${f('cluster.key')}`,
    `  pki mode, a cluster CA and the certificates it signed:`,
    `    ${f('ca.crt')}, ${f('ca.key')}  (keep ca.key off the nodes; it only signs)`,
    `    ${f('control-plane.crt')}, ${f('control-plane.key')}  (server: ${serverNames.join(', ')})`,
    `    ${f('data-plane.crt')}, ${f('data-plane.key')}  (client)`,
    '',
    'shared mode (the default --cluster-mtls):',
    `  tollgate start --role control_plane --cluster-cert ${f('cluster.crt')} --cluster-cert-key ${f('cluster.key')}`,
    `  tollgate start --role data_plane --cluster-cert ${f('cluster.crt')} --cluster-cert-key ${f('cluster.key')}`,
    'pki mode:',
    `  tollgate start --role control_plane --cluster-mtls pki --cluster-ca-cert ${f('ca.crt')} --cluster-cert ${f('control-plane.crt')} --cluster-cert-key ${f('control-plane.key')}`,
    `  tollgate start --role data_plane --cluster-mtls pki --cluster-ca-cert ${f('ca.crt')} --cluster-cert ${f('data-plane.crt')} --cluster-cert-key ${f('data-plane.key')} --cluster-server-name ${serverNames[0]}`,
  ].join('\n');
}
