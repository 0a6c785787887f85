// The data plane's on-disk config cache: the last applied config, so a restarted DP can serve traffic
// before (or without) reaching its control plane (Kong reference 1.10/1.11). Two generations are kept,
// `config.cache` and `config.cache.prev`, and each write is atomic, so a crash or a damaged file at
// any point still leaves one readable generation once a write has completed.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCacheFile, encodeCacheFile, type CacheEntry, type DecodeResult } from './cache-format.ts';

export { deriveCacheKey, type CacheEntry } from './cache-format.ts';

const CURRENT = 'config.cache';
const PREVIOUS = 'config.cache.prev';
const TEMP_PREFIX = 'config.cache.tmp-';
const NOT_FOUND = 'not found';

export interface ConfigCacheOptions {
  /** Folder of the cache files (PREFIX of the node); created with mode 0700 if missing. */
  dir: string;
  /** 32-byte AES key, from `deriveCacheKey(clusterKeyPem)`. */
  key: Buffer;
}

export type ReadResult =
  | {
      ok: true;
      entry: CacheEntry;
      generation: 'current' | 'previous';
      /** When the returned generation was written (ISO 8601). */
      writtenAt: string;
      /** Why `config.cache` was passed over when `generation` is 'previous'; empty otherwise. */
      reasons: string[];
    }
  | {
      ok: false;
      /** Why each generation was unusable; empty when neither file exists (nothing cached yet, no alarm). */
      reasons: string[];
    };

export interface ConfigCache {
  /** Stores `entry` as the current generation; the readable current one becomes the previous one. */
  write(entry: CacheEntry): Promise<void>;
  /** The newest generation that opens cleanly, or why none does. */
  read(): Promise<ReadResult>;
}

/**
 * Opens the cache in `dir`. One process writes it (the DP's config applier); writes from this object
 * are serialised, and reads never see a half-written file because files only appear by rename.
 * @example
 * const cache = createConfigCache({ dir: prefix, key: deriveCacheKey(clusterKeyPem) });
 * await cache.write({ version: 42, hash: 'ab12…', entities: snapshot });
 * const cached = await cache.read(); // { ok: true, entry, generation: 'current', … }
 */
export function createConfigCache(options: ConfigCacheOptions): ConfigCache {
  const { dir, key } = options;
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new TypeError('config cache key must be a 32-byte Buffer (see deriveCacheKey)');
  let writing: Promise<void> = Promise.resolve();

  async function readGeneration(name: string): Promise<DecodeResult> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { ok: false, reason: code === 'ENOENT' ? NOT_FOUND : `cannot be read (${(err as Error).message})` };
    }
    return decodeCacheFile(bytes, key);
  }

  async function writeNow(entry: CacheEntry): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await removeStrayTemps(dir);
    const bytes = encodeCacheFile(entry, key);
    const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      // 0600 at creation, not chmod later: the secrets are never readable by others, even briefly.
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync(); // the data must be on disk before the rename makes it the current generation
      } finally {
        await handle.close();
      }
      // Only a current generation that opens cleanly is worth keeping: a damaged one must not push
      // a good previous generation out.
      if ((await readGeneration(CURRENT)).ok) await rename(join(dir, CURRENT), join(dir, PREVIOUS));
      // A crash here leaves only config.cache.prev, which read() falls back to.
      await rename(temp, join(dir, CURRENT));
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await syncDir(dir);
  }

  return {
    write(entry) {
      const done = writing.then(() => writeNow(entry));
      writing = done.catch(() => {}); // one failed write must not wedge the ones after it
      return done;
    },
    async read() {
      const reasons: string[] = [];
      let missing = 0;
      for (const [name, generation] of [
        [CURRENT, 'current'],
        [PREVIOUS, 'previous'],
      ] as const) {
        const result = await readGeneration(name);
        if (result.ok) return { ok: true, entry: result.entry, generation, writtenAt: result.writtenAt, reasons };
        if (result.reason === NOT_FOUND) missing++;
        reasons.push(`${name}: ${result.reason}`);
      }
      return { ok: false, reasons: missing === 2 ? [] : reasons };
    },
  };
}

// Temp files are left only by a crash mid-write; they were never renamed in, so nothing refers to them.
async function removeStrayTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { force: true });
}

// Renames are durable only once the directory entry is flushed (rename(2) alone may be lost on power loss).
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory; the files themselves were already synced.
    if (!['EINVAL', 'EISDIR', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle.close();
  }
}
