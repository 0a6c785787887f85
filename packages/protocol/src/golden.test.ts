// Pins the bytes on the wire: each sample message must encode to exactly its golden frame, and each
// golden frame must decode to the sample. A change here is a wire-format change that older peers will
// see; review it, then regenerate with TOLLGATE_UPDATE_GOLDEN=1.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, encode } from './codec.ts';
import type { MessageType } from './messages.ts';
import { SAMPLES } from './samples.ts';

const FILE = new URL('./golden/messages.json', import.meta.url);
const TYPES = Object.keys(SAMPLES) as MessageType[];

if (process.env['TOLLGATE_UPDATE_GOLDEN'] === '1') {
  const frames = Object.fromEntries(TYPES.map((type) => [type, encode(SAMPLES[type]).toString('hex')]));
  writeFileSync(FILE, JSON.stringify(frames, null, 2) + '\n');
}

const golden = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, string>;

describe('golden wire frames', () => {
  it('covers every message type', () => {
    expect(Object.keys(golden).sort()).toEqual([...TYPES].sort());
  });

  for (const type of TYPES) {
    it(`${type} encodes to its golden bytes and decodes back`, () => {
      expect(encode(SAMPLES[type]).toString('hex')).toBe(golden[type]);
      expect(decode(Buffer.from(golden[type]!, 'hex'))).toEqual(SAMPLES[type]);
    });
  }
});
