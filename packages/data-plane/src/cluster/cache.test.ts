// The config cache against real files: generations, crash leftovers, damage, key changes, secrecy.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConfigCache, deriveCacheKey, type CacheEntry } from './cache.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tollgate-cache-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ecKeyPem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const KEY = deriveCacheKey(ecKeyPem());
const SECRET = 'hunter2-super-secret-credential';
const entry = (version: number): CacheEntry => ({
  version,
  hash: `hash-${version}`,
  entities: { services: [{ id: 's1', name: `svc-${version}`, port: 80 }], basicauth_credentials: [{ username: 'alice', password: SECRET }], none: null },
});

async function twoGenerations(dir: string) {
  const cache = createConfigCache({ dir, key: KEY });
  await cache.write(entry(1));
  await cache.write(entry(2));
  return cache;
}

const flipByte = (path: string, at: number) => {
  const bytes = readFileSync(path);
  bytes[at] = bytes[at]! ^ 0x01;
  writeFileSync(path, bytes);
};

describe('config cache', () => {
  it('reads back what it wrote', async () => {
    const cache = createConfigCache({ dir: join(tempDir(), 'nested', 'prefix'), key: KEY });
    await cache.write(entry(7));
    const read = await cache.read();
    expect(read).toMatchObject({ ok: true, generation: 'current', entry: entry(7), reasons: [] });
    if (read.ok) expect(Date.parse(read.writtenAt)).toBeLessThanOrEqual(Date.now());
  });

  it('reports an empty folder as nothing cached, with no reasons to alarm anyone', async () => {
    const read = await createConfigCache({ dir: tempDir(), key: KEY }).read();
    expect(read).toEqual({ ok: false, reasons: [] });
  });

  it('keeps exactly one previous generation', async () => {
    const dir = tempDir();
    const cache = await twoGenerations(dir);
    await cache.write(entry(3));
    expect(readdirSync(dir).sort()).toEqual(['config.cache', 'config.cache.prev']);
    expect(await cache.read()).toMatchObject({ ok: true, generation: 'current', entry: { version: 3 } });
    rmSync(join(dir, 'config.cache'));
    expect(await cache.read()).toMatchObject({ ok: true, generation: 'previous', entry: { version: 2 }, reasons: ['config.cache: not found'] });
  });

  it('falls back to the previous generation when the current one is truncated', async () => {
    const dir = tempDir();
    const cache = await twoGenerations(dir);
    const path = join(dir, 'config.cache');
    for (const size of [statSync(path).size - 1, 40, 5, 0]) {
      truncateSync(path, size);
      const read = await cache.read();
      expect(read).toMatchObject({ ok: true, generation: 'previous', entry: entry(1) });
      expect(read.reasons).toHaveLength(1);
      expect(read.reasons[0]).toMatch(/^config\.cache: truncated/);
    }
  });

  it('detects one flipped byte anywhere in the file', async () => {
    const dir = tempDir();
    const cache = await twoGenerations(dir);
    const path = join(dir, 'config.cache');
    const pristine = readFileSync(path);
    // Every byte: magic, header length, header JSON (AAD), ciphertext and GCM tag.
    for (let at = 0; at < pristine.length; at++) {
      writeFileSync(path, pristine);
      flipByte(path, at);
      const read = await cache.read();
      expect(read, `byte ${at}`).toMatchObject({ ok: true, generation: 'previous', entry: entry(1) });
      expect(read.reasons[0], `byte ${at}`).toMatch(/^config\.cache: (corrupted|truncated|not a tollgate|unsupported cache format|encrypted with a different key)/);
    }
  });

  it('returns nothing when both generations are damaged', async () => {
    const dir = tempDir();
    const cache = await twoGenerations(dir);
    flipByte(join(dir, 'config.cache'), statSync(join(dir, 'config.cache')).size - 20);
    truncateSync(join(dir, 'config.cache.prev'), 100);
    const read = await cache.read();
    expect(read.ok).toBe(false);
    expect(read.reasons).toEqual([expect.stringMatching(/^config\.cache: corrupted: authentication failed/), expect.stringMatching(/^config\.cache\.prev: truncated/)]);
    rmSync(join(dir, 'config.cache'));
    expect((await cache.read()).reasons).toEqual(['config.cache: not found', expect.stringMatching(/^config\.cache\.prev: truncated/)]);
  });

  it('cannot be read with another key, and says the key does not match', async () => {
    const dir = tempDir();
    await twoGenerations(dir);
    const read = await createConfigCache({ dir, key: deriveCacheKey(ecKeyPem()) }).read();
    expect(read.ok).toBe(false);
    expect(read.reasons).toHaveLength(2);
    for (const reason of read.reasons) expect(reason).toMatch(/different key/);
  });

  it('derives the same key from the same private key in any PEM encoding', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(deriveCacheKey(sec1).equals(deriveCacheKey(pkcs8))).toBe(true);
    expect(deriveCacheKey(pkcs8)).toHaveLength(32);
    expect(deriveCacheKey(ecKeyPem()).equals(deriveCacheKey(pkcs8))).toBe(false);
    expect(() => createConfigCache({ dir: tempDir(), key: Buffer.alloc(16) })).toThrow(/32-byte/);
  });

  it('ignores a temp file left by a crash mid-write, and clears it on the next write', async () => {
    const dir = tempDir();
    const cache = await twoGenerations(dir);
    const stray = join(dir, 'config.cache.tmp-99999-deadbeef');
    writeFileSync(stray, readFileSync(join(dir, 'config.cache')).subarray(0, 50));
    expect(await cache.read()).toMatchObject({ ok: true, generation: 'current', entry: entry(2) });
    await cache.write(entry(3));
    expect(readdirSync(dir).sort()).toEqual(['config.cache', 'config.cache.prev']);
  });

  it('survives a crash between the two renames (only config.cache.prev on disk)', async () => {
    const dir = tempDir();
    const cache = await twoGenerations(dir);
    rmSync(join(dir, 'config.cache.prev'));
    renameSync(join(dir, 'config.cache'), join(dir, 'config.cache.prev'));
    expect(await cache.read()).toMatchObject({ ok: true, generation: 'previous', entry: entry(2) });
  });

  it('does not let a damaged current generation push out a good previous one', async () => {
    const dir = tempDir();
    const cache = await twoGenerations(dir);
    truncateSync(join(dir, 'config.cache'), 10);
    await cache.write(entry(3));
    expect(await cache.read()).toMatchObject({ ok: true, generation: 'current', entry: { version: 3 } });
    rmSync(join(dir, 'config.cache'));
    expect(await cache.read()).toMatchObject({ ok: true, generation: 'previous', entry: entry(1) });
  });

  it('serialises concurrent writes, newest last', async () => {
    const dir = tempDir();
    const cache = createConfigCache({ dir, key: KEY });
    await Promise.all([1, 2, 3, 4].map((v) => cache.write(entry(v))));
    expect(await cache.read()).toMatchObject({ ok: true, entry: { version: 4 } });
    rmSync(join(dir, 'config.cache'));
    expect(await cache.read()).toMatchObject({ ok: true, entry: { version: 3 } });
  });

  it('keeps secrets out of the file and the file private to its owner', async () => {
    const dir = tempDir();
    await twoGenerations(dir);
    for (const name of ['config.cache', 'config.cache.prev']) {
      const bytes = readFileSync(join(dir, name));
      expect(bytes.subarray(0, 4).toString()).toBe('TGC1');
      expect(bytes.includes(SECRET)).toBe(false);
      expect(bytes.includes('alice')).toBe(false);
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(dir).mode & 0o077).toBe(0);
  });
});
