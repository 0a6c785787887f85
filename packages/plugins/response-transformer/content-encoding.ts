// response-transformer: undoing and redoing a response's Content-Encoding around the JSON steps, as
// Kong's response-transformer does for gzip with kong.tools.gzip. Synchronous: the handler must not
// await (see handler.ts), and the body is already held whole.
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/**
 * Inflated bodies larger than this are left alone: the same bound the proxy puts on a body it holds
 * (MAX_HELD_BYTES in the data plane), so a small compressed body cannot make it hold gigabytes.
 */
export const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

export interface Codec {
  decode(body: Buffer): Buffer;
  encode(body: Buffer): Buffer;
}

const limit = { maxOutputLength: MAX_INFLATED_BYTES };

const gzip: Codec = { decode: (body) => gunzipSync(body, limit), encode: (body) => gzipSync(body) };

const zlibDeflate: Codec = { decode: (body) => inflateSync(body, limit), encode: (body) => deflateSync(body) };

/** RFC 9110 §8.4.1.2 means zlib-wrapped deflate, but some servers send raw deflate (RFC 1951): answer in kind. */
const rawDeflate: Codec = { decode: (body) => inflateRawSync(body, limit), encode: (body) => deflateRawSync(body) };

/** RFC 1950 §2.2: CM is 8 (deflate) and CMF·256 + FLG is a multiple of 31. */
const isZlibHeader = (body: Buffer): boolean => body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;

/**
 * The codec for a body with this Content-Encoding header: null for an identity body, undefined for an
 * encoding the plugin cannot undo (br, zstd, or several encodings stacked).
 * @example codecFor('gzip', body)?.decode(body)
 */
export function codecFor(header: string | string[] | undefined, body: Buffer): Codec | null | undefined {
  if (header === undefined) return null;
  const value = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
  if (value === '' || value === 'identity') return null;
  if (value === 'gzip' || value === 'x-gzip') return gzip;
  if (value === 'deflate') return isZlibHeader(body) ? zlibDeflate : rawDeflate;
  return undefined;
}
