// The bytes of the data plane's config cache file, and the key that seals them. Kong leaves the DP's
// LMDB (credentials, certificate keys) in clear text on disk; Tollgate encrypts it with a key derived
// from the node's cluster key, so a copied cache file is useless without that key.
//
//   "TGC1" | uint32 BE header length | header (JSON) | AES-256-GCM(msgpack(entities)) | 16-byte GCM tag
//
// Everything before the ciphertext is the GCM additional data, so the tag authenticates the header too.
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';

const MAGIC = Buffer.from('TGC1', 'latin1');
const FORMAT = 1;
const PREFIX_BYTES = 8; // magic + header length
const TAG_BYTES = 16;
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const MAX_HEADER_BYTES = 64 * 1024; // a real header is ~300 bytes; more means the length field is garbage
const HKDF_SALT = 'tollgate/data-plane/config-cache/v1';
const HKDF_INFO = 'tollgate config.cache aes-256-gcm key';
const KEY_ID_LABEL = 'tollgate config.cache key id';

/** What the cache holds: the applied config and the version and hash it was applied as. */
export interface CacheEntry {
  version: number;
  hash: string;
  /** Any msgpack-able value (the config snapshot's entities). */
  entities: unknown;
}

interface Header {
  format: number;
  version: number;
  hash: string;
  written_at: string;
  /** Names the key without revealing it, so a key change is told apart from a damaged file. */
  key_id: string;
  iv: string;
  /** Bytes of ciphertext (GCM does not pad, so also of plaintext). */
  length: number;
  /** sha256 of the plaintext msgpack, checked after decryption. */
  sha256: string;
}

export type DecodeResult = { ok: true; entry: CacheEntry; writtenAt: string } | { ok: false; reason: string };

/**
 * The 32-byte cache key for a node: HKDF-SHA256 over the DER of its cluster private key. The DER is
 * re-encoded as PKCS#8 first, so the same key in PKCS#1, SEC1 or PKCS#8 PEM gives the same cache key.
 * @example
 * const key = deriveCacheKey(readFileSync('cluster.key', 'utf8'));
 */
export function deriveCacheKey(clusterKeyPem: string): Buffer {
  const der = createPrivateKey(clusterKeyPem).export({ type: 'pkcs8', format: 'der' });
  return Buffer.from(hkdfSync('sha256', der, HKDF_SALT, HKDF_INFO, 32));
}

/** Seals `entry` into the bytes of a cache file. */
export function encodeCacheFile(entry: CacheEntry, key: Buffer, now: Date = new Date()): Buffer {
  const plaintext = new Packr({ useRecords: false }).pack(entry.entities);
  const iv = randomBytes(IV_BYTES);
  const header: Header = {
    format: FORMAT,
    version: entry.version,
    hash: entry.hash,
    written_at: now.toISOString(),
    key_id: keyId(key),
    iv: iv.toString('base64'),
    length: plaintext.length,
    sha256: createHash('sha256').update(plaintext).digest('hex'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix);
  prefix.writeUInt32BE(headerBytes.length, MAGIC.length);
  const aad = Buffer.concat([prefix, headerBytes]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([aad, body, cipher.getAuthTag()]);
}

/** Opens a cache file; any doubt about the bytes is a failure with the reason, never a partial entry. */
export function decodeCacheFile(file: Buffer, key: Buffer): DecodeResult {
  const fail = (reason: string): DecodeResult => ({ ok: false, reason });
  if (file.length < PREFIX_BYTES) return fail(`truncated: ${file.length} bytes, shorter than the file prefix`);
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) return fail('not a tollgate config cache (bad magic)');
  const headerLength = file.readUInt32BE(MAGIC.length);
  if (headerLength > MAX_HEADER_BYTES) return fail(`corrupted: header length ${headerLength} is implausible`);
  const bodyStart = PREFIX_BYTES + headerLength;
  if (file.length < bodyStart) return fail(`truncated: ${file.length} bytes, the header alone needs ${bodyStart}`);

  const header = parseHeader(file.subarray(PREFIX_BYTES, bodyStart));
  if (typeof header === 'string') return fail(header);
  const expected = bodyStart + header.length + TAG_BYTES;
  if (file.length < expected) return fail(`truncated: ${file.length} of ${expected} bytes`);
  if (file.length > expected) return fail(`corrupted: ${file.length - expected} unexpected bytes after the end`);
  if (!safeEqual(header.key_id, keyId(key))) return fail('encrypted with a different key (did the cluster certificate key change?)');

  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
    decipher.setAAD(file.subarray(0, bodyStart));
    decipher.setAuthTag(file.subarray(expected - TAG_BYTES, expected));
    plaintext = Buffer.concat([decipher.update(file.subarray(bodyStart, expected - TAG_BYTES)), decipher.final()]);
  } catch {
    return fail('corrupted: authentication failed (the bytes were altered or the key does not match)');
  }
  // GCM already vouches for these bytes; the checksum also catches a writer bug that sealed the wrong buffer.
  if (createHash('sha256').update(plaintext).digest('hex') !== header.sha256) return fail('corrupted: checksum mismatch');
  let entities: unknown;
  try {
    entities = new Packr({ useRecords: false }).unpack(plaintext);
  } catch (err) {
    return fail(`corrupted: the body is not valid msgpack (${(err as Error).message})`);
  }
  return { ok: true, entry: { version: header.version, hash: header.hash, entities }, writtenAt: header.written_at };
}

function parseHeader(bytes: Buffer): Header | string {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'corrupted: the header is not valid JSON';
  }
  const h = raw as Partial<Header> | null;
  if (h === null || typeof h !== 'object') return 'corrupted: the header is not an object';
  if (typeof h.format === 'number' && h.format !== FORMAT) return `unsupported cache format ${h.format} (this build reads format ${FORMAT})`;
  const valid =
    h.format === FORMAT &&
    typeof h.version === 'number' &&
    typeof h.hash === 'string' &&
    typeof h.written_at === 'string' &&
    typeof h.key_id === 'string' &&
    typeof h.iv === 'string' &&
    Buffer.from(h.iv, 'base64').length === IV_BYTES &&
    Number.isSafeInteger(h.length) &&
    h.length! >= 0 &&
    typeof h.sha256 === 'string';
  return valid ? (h as Header) : 'corrupted: the header is missing fields';
}

// An HMAC of a fixed label: equal for equal keys, and says nothing about the key itself.
function keyId(key: Buffer): string {
  return createHmac('sha256', key).update(KEY_ID_LABEL).digest('hex').slice(0, 16);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
