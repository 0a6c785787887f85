// One message ↔ one binary WebSocket frame. The frame is a flag byte then a msgpack payload:
//   0x00  msgpack
//   0x01  deflate-raw(msgpack), used when the msgpack is larger than COMPRESS_THRESHOLD bytes
// Small messages (ping, applied, a one-route delta) skip compression: deflate costs more than it saves there.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Packr, Unpackr } from 'msgpackr';
import { ProtocolError, badMessage } from './errors.ts';
import type { ControlPlaneMessage, DataPlaneMessage, Entities, Message, MessageType, SnapshotMessage, Withheld } from './messages.ts';
import { parseMessage } from './validate.ts';

export const FRAME_RAW = 0;
export const FRAME_DEFLATE = 1;

/** Payloads above this many msgpack bytes are compressed. */
export const COMPRESS_THRESHOLD = 1024;

/** Default cap on a decoded (inflated) payload: far above any real config, low enough to stop a deflate bomb. */
export const DEFAULT_MAX_DECODED_BYTES = 512 * 1024 * 1024;

// Plain msgpack maps and arrays only, so any msgpack implementation can speak the protocol: no record
// extension (msgpackr's default shares key layouts across messages), and undefined fields are left out
// rather than written as msgpackr's private "undefined" extension.
const PACK_OPTIONS = { useRecords: false, skipValues: [undefined] } as const;
// The Packr/Unpackr hold only scratch buffers, no per-connection state: sharing them is safe and fast.
const packr = new Packr(PACK_OPTIONS as ConstructorParameters<typeof Packr>[0]);
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

const DATA_PLANE_TYPES: ReadonlySet<MessageType> = new Set(['hello', 'applied', 'rejected', 'resync', 'ping']);

export interface DecodeOptions {
  /**
   * Who sent the frame: the decoder then refuses the other side's messages (a DP never sends a
   * snapshot). Omit to accept any message.
   */
  from?: 'data_plane' | 'control_plane';
  /** Refuse payloads that inflate beyond this many bytes (TG_PROTOCOL_TOO_LARGE). */
  maxDecodedBytes?: number;
}

function frame(payload: Buffer): Buffer {
  const compressed = payload.length > COMPRESS_THRESHOLD;
  const body = compressed ? deflateRawSync(payload) : payload;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = compressed ? FRAME_DEFLATE : FRAME_RAW;
  body.copy(out, 1);
  return out;
}

/**
 * Encodes a message as one binary frame. The message is trusted (it is built by our own code and typed);
 * the receiver validates.
 *
 * @example
 *   ws.send(encode({ type: 'ping', t: Date.now() }));
 */
export function encode(msg: Message): Buffer {
  return frame(packr.pack(msg));
}

/**
 * Encodes a full config once; the control plane sends the same bytes to every data plane at this version.
 *
 * @example
 *   const bytes = encodeSnapshot(version, configHash(entities), entities);
 *   for (const dp of connected) dp.socket.send(bytes);
 */
export function encodeSnapshot(version: number, hash: string, entities: Entities, withheld?: Withheld[]): Buffer {
  const msg: SnapshotMessage = { type: 'snapshot', version, hash, entities };
  if (withheld !== undefined && withheld.length > 0) msg.withheld = withheld;
  return encode(msg);
}

function unpackPayload(buf: Uint8Array, maxDecodedBytes: number): unknown {
  if (buf.length === 0) throw badMessage('bad protocol frame: empty (expected a flag byte and a msgpack payload)');
  const flag = buf[0];
  let payload: Uint8Array = buf.subarray(1);
  if (payload.length === 0) throw badMessage('bad protocol frame: no payload after the flag byte');
  if (flag === FRAME_DEFLATE) {
    try {
      payload = inflateRawSync(payload, { maxOutputLength: maxDecodedBytes });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ProtocolError('TG_PROTOCOL_TOO_LARGE', `protocol frame inflates past ${maxDecodedBytes} bytes`, { cause: err });
      }
      throw badMessage(`bad protocol frame: deflate payload is corrupt or truncated (${(err as Error).message})`, err);
    }
  } else if (flag !== FRAME_RAW) {
    throw badMessage(`bad protocol frame: unknown flag byte 0x${flag?.toString(16).padStart(2, '0')} (expected 0x00 raw or 0x01 deflate)`);
  } else if (payload.length > maxDecodedBytes) {
    throw new ProtocolError('TG_PROTOCOL_TOO_LARGE', `protocol frame is larger than ${maxDecodedBytes} bytes`);
  }
  let value: unknown;
  try {
    // unpackMultiple so trailing bytes after the first value are caught rather than silently ignored.
    const values = unpackr.unpackMultiple(payload);
    if (values.length !== 1) throw new Error(`${values.length} msgpack values in one frame`);
    value = values[0];
  } catch (err) {
    throw badMessage(`bad protocol frame: msgpack payload is not one complete value (${(err as Error).message ?? String(err)})`, err);
  }
  return value;
}

/**
 * Decodes and validates one binary frame. Throws a ProtocolError for anything that is not a well-formed
 * message: truncated or empty frames, unknown flag bytes, corrupt msgpack or deflate, unknown message
 * types, fields of the wrong type, or (with `from`) a message the other side never sends.
 *
 * @example
 *   const msg = decode(frame, { from: 'control_plane' });
 *   if (msg.type === 'delta') ...
 */
export function decode(buf: Uint8Array, options: DecodeOptions & { from: 'data_plane' }): DataPlaneMessage;
export function decode(buf: Uint8Array, options: DecodeOptions & { from: 'control_plane' }): ControlPlaneMessage;
export function decode(buf: Uint8Array, options?: DecodeOptions): Message;
export function decode(buf: Uint8Array, options: DecodeOptions = {}): Message {
  const msg = parseMessage(unpackPayload(buf, options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES));
  if (options.from !== undefined && DATA_PLANE_TYPES.has(msg.type) !== (options.from === 'data_plane')) {
    const side = options.from === 'data_plane' ? 'a data plane' : 'a control plane';
    throw badMessage(`bad protocol message: '${msg.type}' is never sent by ${side}`);
  }
  return msg;
}
