// The codec: every message type survives encode → decode, small frames stay raw and large ones are
// deflated, and anything malformed is refused with a ProtocolError rather than a crash or a half-message.
import { deflateRawSync } from 'node:zlib';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { COMPRESS_THRESHOLD, FRAME_DEFLATE, FRAME_RAW, decode, encode, encodeSnapshot } from './codec.ts';
import { ProtocolError } from './errors.ts';
import type { Message, MessageType } from './messages.ts';
import { SAMPLES } from './samples.ts';
import { int, makeConfig, rng } from './test-config.ts';

const packr = new Packr({ useRecords: false });
/** A raw frame around any value, to feed the decoder things our encoder would never produce. */
const rawFrame = (value: unknown): Buffer => Buffer.concat([Buffer.from([FRAME_RAW]), packr.pack(value)]);

function decodeError(buf: Uint8Array): ProtocolError {
  try {
    decode(buf);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('decode accepted a bad frame');
}

const big = makeConfig({ services: 200, routes: 200, consumers: 200 });
const LARGE: Message[] = [
  { type: 'snapshot', version: 7, hash: 'h', entities: big },
  { type: 'delta', from: 6, version: 7, hash: 'h', changes: big.routes!.map((record) => ({ entity: 'routes', id: record.id, op: 'upsert', record })) },
  { type: 'rejected', version: 7, reason: 'bad', errors: Array.from({ length: 500 }, (_, i) => `route ${i}: invalid regex path`) },
  { ...SAMPLES.hello, plugins: Array.from({ length: 100 }, (_, i) => ({ name: `plugin-${i}`, version: '1.0.0' })) },
];

describe('encode/decode round trips', () => {
  for (const type of Object.keys(SAMPLES) as MessageType[]) {
    it(`${type}: small, uncompressed`, () => {
      const frame = encode(SAMPLES[type]);
      expect(frame[0]).toBe(FRAME_RAW);
      expect(decode(frame)).toEqual(SAMPLES[type]);
    });
  }

  for (const msg of LARGE) {
    it(`${msg.type}: large, deflated`, () => {
      const frame = encode(msg);
      expect(frame[0]).toBe(FRAME_DEFLATE);
      expect(frame.length).toBeLessThan(packr.pack(msg).length);
      expect(decode(frame)).toEqual(msg);
    });
  }

  it('compresses exactly when the msgpack payload is over the threshold', () => {
    const sized = (n: number): Message => ({ type: 'resync', reason: 'x'.repeat(n) });
    let n = 0;
    while (encode(sized(n + 1))[0] === FRAME_RAW) n++;
    expect(encode(sized(n)).length).toBe(1 + COMPRESS_THRESHOLD); // the largest raw frame: flag + exactly the threshold
    expect(encode(sized(n + 1))[0]).toBe(FRAME_DEFLATE);
  });

  it('keeps numbers exact: millisecond timestamps, fractions, negatives, large integers', () => {
    const record = { id: 'x', created_at: 1_712_345_678_901, w: 0.1, n: -12345, big: 2 ** 53 - 1, zero: 0 };
    const msg: Message = { type: 'snapshot', version: 2 ** 40, hash: 'h', entities: { targets: [record] } };
    expect(decode(encode(msg))).toEqual(msg);
  });

  it('leaves out undefined optional fields rather than sending them', () => {
    const frame = encode({ type: 'snapshot', version: 1, hash: 'h', entities: {}, withheld: undefined });
    const msg = decode(frame);
    expect('withheld' in msg).toBe(false);
  });

  it('encodeSnapshot produces the bytes of the snapshot message, withheld list included', () => {
    const { version, hash, entities, withheld } = SAMPLES.snapshot;
    expect(encodeSnapshot(version, hash, entities, withheld)).toEqual(encode(SAMPLES.snapshot));
    expect(decode(encodeSnapshot(version, hash, entities))).toEqual({ type: 'snapshot', version, hash, entities });
  });

  it('accepts nil for an optional field, as a non-JS peer may send it', () => {
    expect(decode(rawFrame({ type: 'snapshot', version: 1, hash: 'h', entities: {}, withheld: null }))).toEqual({ type: 'snapshot', version: 1, hash: 'h', entities: {} });
  });

  it('tolerates unknown extra fields (a newer minor may add optional ones)', () => {
    expect(decode(rawFrame({ ...SAMPLES.ping, extra: 'x' }))).toMatchObject(SAMPLES.ping);
  });
});

describe('decode refuses malformed frames', () => {
  it('refuses an empty frame and a flag byte alone', () => {
    expect(decodeError(Buffer.alloc(0)).message).toMatch(/empty/);
    expect(decodeError(Buffer.from([FRAME_RAW])).message).toMatch(/no payload/);
  });

  it('refuses an unknown flag byte', () => {
    const frame = encode(SAMPLES.ping);
    frame[0] = 7;
    const err = decodeError(frame);
    expect(err.code).toBe('TG_PROTOCOL_BAD_MESSAGE');
    expect(err.message).toMatch(/unknown flag byte 0x07/);
  });

  it('refuses every truncation of a raw and of a deflated frame', () => {
    for (const frame of [encode(SAMPLES.hello), encode(LARGE[0]!)]) {
      const step = Math.max(1, Math.floor(frame.length / 300));
      for (let n = 0; n < frame.length; n += step) expect(decodeError(frame.subarray(0, n)).code).toBe('TG_PROTOCOL_BAD_MESSAGE');
    }
  });

  it('refuses trailing bytes after the message', () => {
    expect(decodeError(Buffer.concat([encode(SAMPLES.ping), Buffer.from([0x01])])).message).toMatch(/2 msgpack values/);
  });

  it('refuses corrupt deflate data', () => {
    expect(decodeError(Buffer.from([FRAME_DEFLATE, 0xff, 0xff, 0xff, 0x00])).message).toMatch(/deflate/);
  });

  it('only ever throws ProtocolError on random garbage', () => {
    const rand = rng(7);
    for (let i = 0; i < 2000; i++) {
      const frame = Buffer.from(Array.from({ length: 1 + int(rand, 40) }, () => int(rand, 256)));
      frame[0] = int(rand, 2); // a valid flag, so the garbage reaches msgpack and inflate
      try { decode(frame); } catch (err) { expect(err).toBeInstanceOf(ProtocolError); }
    }
  });

  it('refuses a frame that inflates past the limit', () => {
    const bomb = Buffer.concat([Buffer.from([FRAME_DEFLATE]), deflateRawSync(packr.pack({ type: 'resync', reason: 'x'.repeat(1 << 20) }))]);
    expect(bomb.length).toBeLessThan(4096);
    expect(() => decode(bomb, { maxDecodedBytes: 64 * 1024 })).toThrow(expect.objectContaining({ code: 'TG_PROTOCOL_TOO_LARGE', status: 413 }));
    expect(decode(bomb).type).toBe('resync');
  });

  it('refuses values that are not messages, and unknown types', () => {
    expect(decodeError(rawFrame([1, 2])).message).toMatch(/message: expected an object, got an array/);
    expect(decodeError(rawFrame('hello')).message).toMatch(/message: expected an object/);
    expect(decodeError(rawFrame({ t: 1 })).message).toMatch(/message.type: expected a string, got nothing/);
    expect(decodeError(rawFrame({ type: 'reconfigure' })).message).toMatch(/message.type: expected one of hello, .*pong, got string "reconfigure"/);
    expect(decodeError(rawFrame({ type: 'toString' })).message).toMatch(/message.type: expected one of/);
  });

  const WRONG: Array<[string, Record<string, unknown>, RegExp]> = [
    ['hello without nodeId', { ...SAMPLES.hello, nodeId: undefined }, /hello.nodeId: expected a string, got nothing/],
    ['hello with a numeric label', { ...SAMPLES.hello, labels: { region: 1 } }, /hello.labels.region: expected a string/],
    ['hello with a bad plugin entry', { ...SAMPLES.hello, plugins: [{ name: 'x' }] }, /hello.plugins\[0\].version: expected a string/],
    ['hello with a fractional configVersion', { ...SAMPLES.hello, configVersion: 1.5 }, /hello.configVersion: expected a non-negative integer/],
    ['applied with a string version', { ...SAMPLES.applied, version: '42' }, /applied.version: expected a non-negative integer, got string "42"/],
    ['applied with a negative applyMs', { ...SAMPLES.applied, applyMs: -1 }, /applied.applyMs: expected a non-negative number/],
    ['rejected with a non-string error', { ...SAMPLES.rejected, errors: ['ok', 3] }, /rejected.errors\[1\]: expected a string/],
    ['ping with a string t', { type: 'ping', t: 'now' }, /ping.t: expected a finite number/],
    ['refused with an unknown status', { ...SAMPLES.refused, status: 'nope' }, /refused.status: expected 'version_incompatible' or 'protocol_incompatible'/],
    ['snapshot with an unknown entity type', { ...SAMPLES.snapshot, entities: { widgets: [] } }, /snapshot.entities: expected only entity names as keys/],
    ['snapshot with a record without id', { ...SAMPLES.snapshot, entities: { services: [{ host: 'x' }] } }, /snapshot.entities.services\[0\].id: expected a non-empty string/],
    ['snapshot with entities as an array', { ...SAMPLES.snapshot, entities: [] }, /snapshot.entities: expected an object, got an array/],
    ['snapshot with a bad withheld entry', { ...SAMPLES.snapshot, withheld: [{ plugin: 'x', id: 'y' }] }, /snapshot.withheld\[0\].reason: expected a string/],
    ['delta that does not move forward', { ...SAMPLES.delta, from: 42 }, /delta.version: expected a version after from \(42\)/],
    ['delta with an unknown op', { ...SAMPLES.delta, changes: [{ entity: 'routes', id: 'a', op: 'patch' }] }, /delta.changes\[0\].op: expected 'upsert' or 'delete'/],
    ['delta with an unknown entity', { ...SAMPLES.delta, changes: [{ entity: 'widgets', id: 'a', op: 'delete' }] }, /delta.changes\[0\].entity: expected an entity name/],
    ['delta upsert without a record', { ...SAMPLES.delta, changes: [{ entity: 'routes', id: 'a', op: 'upsert' }] }, /delta.changes\[0\].record: expected an entity record/],
    ['delta upsert whose record has another id', { ...SAMPLES.delta, changes: [{ entity: 'routes', id: 'a', op: 'upsert', record: { id: 'b' } }] }, /delta.changes\[0\].record.id: expected the change's id 'a'/],
    ['welcome with a numeric version', { ...SAMPLES.welcome, version: 1 }, /welcome.version: expected a string/],
  ];
  for (const [name, value, message] of WRONG) {
    it(`refuses ${name}`, () => {
      const err = decodeError(rawFrame(value));
      expect(err.code).toBe('TG_PROTOCOL_BAD_MESSAGE');
      expect(err.message).toMatch(message);
    });
  }

  it('with `from`, refuses the other side\'s messages', () => {
    expect(decode(encode(SAMPLES.hello), { from: 'data_plane' }).type).toBe('hello');
    expect(decode(encode(SAMPLES.delta), { from: 'control_plane' }).type).toBe('delta');
    expect(() => decode(encode(SAMPLES.snapshot), { from: 'data_plane' })).toThrow(/'snapshot' is never sent by a data plane/);
    expect(() => decode(encode(SAMPLES.ping), { from: 'control_plane' })).toThrow(/'ping' is never sent by a control plane/);
  });

  it('does not let a __proto__ key reach an object prototype', () => {
    // A map of three pairs written by hand: type → ping, t → 1, "__proto__" → { polluted: true }.
    const parts = ['type', 'ping', 't', 1, '__proto__', { polluted: true }].map((v) => packr.pack(v));
    const body = Buffer.concat([Buffer.from([FRAME_RAW, 0x83]), ...parts]);
    const msg = decode(body) as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(msg)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
