// `tollgate certs generate` as a user runs it: the files, their modes, refusing to overwrite, --force.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';

const FILES = ['ca.crt', 'ca.key', 'cluster.crt', 'cluster.key', 'control-plane.crt', 'control-plane.key', 'data-plane.crt', 'data-plane.key'];
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-certs-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cert = (dir: string, name: string) => new X509Certificate(readFileSync(join(dir, name)));
const mode = (path: string) => statSync(path).mode & 0o777;

describe('tollgate certs generate', () => {
  it('writes both modes, keys 0600, and says how to use them', async () => {
    const out = join(tempDir(), 'certs'); // not created yet: the command makes it
    const res = await runCli(['certs', 'generate', '--out', out, '--days', '30', '--cluster-server-name', 'cp.example.test', '--san', 'cp2.example.test, 10.0.0.7']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(FILES);
    for (const name of FILES) {
      expect(mode(join(out, name)), name).toBe(name.endsWith('.key') ? 0o600 : 0o644);
      if (name.endsWith('.crt')) expect(cert(out, name).checkPrivateKey(createPrivateKey(readFileSync(join(out, name.replace('.crt', '.key')))))).toBe(true);
    }
    expect(mode(out) & 0o077).toBe(0);

    const ca = cert(out, 'ca.crt');
    const cp = cert(out, 'control-plane.crt');
    expect(cp.verify(ca.publicKey)).toBe(true);
    expect(cert(out, 'data-plane.crt').verify(ca.publicKey)).toBe(true);
    expect(cp.subjectAltName?.split(', ').sort()).toEqual(['DNS:cp.example.test', 'DNS:cp2.example.test', 'DNS:localhost', 'IP Address:10.0.0.7', 'IP Address:127.0.0.1']);
    expect(Date.parse(cp.validTo) - Date.now()).toBeLessThanOrEqual(30 * 86_400_000);

    expect(res.stdout).toContain(`--cluster-cert ${join(out, 'cluster.crt')} --cluster-cert-key ${join(out, 'cluster.key')}`);
    expect(res.stdout).toContain(`--cluster-mtls pki --cluster-ca-cert ${join(out, 'ca.crt')}`);
    expect(res.stdout).toContain('--cluster-server-name cp.example.test');
  });

  it('keeps keys 0600 under a permissive umask', async () => {
    const out = tempDir();
    // The child inherits the umask; 000 would leave a plain create at 0666.
    const previous = process.umask(0o000);
    try {
      expect((await runCli(['certs', 'generate', '--out', out])).code).toBe(0);
    } finally {
      process.umask(previous);
    }
    expect(mode(join(out, 'cluster.key'))).toBe(0o600);
    expect(mode(join(out, 'ca.key'))).toBe(0o600);
    expect(cert(out, 'control-plane.crt').checkHost('tollgate-control-plane')).toBe('tollgate-control-plane');
  });

  it('refuses to overwrite existing files unless --force', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'cluster.key'), 'precious\n');
    chmodSync(join(out, 'cluster.key'), 0o644);
    const refused = await runCli(['certs', 'generate', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to overwrite cluster\.key .*--force/);
    expect(readdirSync(out)).toEqual(['cluster.key']); // nothing half-written
    expect(readFileSync(join(out, 'cluster.key'), 'utf8')).toBe('precious\n');

    const forced = await runCli(['certs', 'generate', '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(FILES);
    expect(readFileSync(join(out, 'cluster.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(mode(join(out, 'cluster.key'))).toBe(0o600); // the old file's 0644 is not inherited

    const before = readFileSync(join(out, 'ca.crt'), 'utf8');
    expect((await runCli(['certs', 'generate', '--out', out])).code).toBe(1);
    expect(readFileSync(join(out, 'ca.crt'), 'utf8')).toBe(before);
  });

  it('explains bad usage', async () => {
    expect((await runCli(['certs', 'generate'])).stderr).toMatch(/--out is required/);
    expect((await runCli(['certs', 'make', '--out', tempDir()])).stderr).toMatch(/usage: tollgate certs generate/);
    const bad = await runCli(['certs', 'generate', '--out', tempDir(), '--days', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--days must be/);
  });
});
