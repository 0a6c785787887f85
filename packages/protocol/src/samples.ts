// One small example of every message type, shared by the codec round-trip tests and the golden wire file.
import type { Message, MessageType } from './messages.ts';

const ID = '6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f';
const HASH = 'a'.repeat(64);

export const SAMPLES: { readonly [T in MessageType]: Extract<Message, { type: T }> } = {
  hello: {
    type: 'hello', protocol: 1, nodeId: ID, hostname: 'dp-1.example.com', version: '1.4.2',
    labels: { region: 'eu-west', tier: 'edge' }, plugins: [{ name: 'key-auth', version: '1.4.2' }],
    configVersion: 41, configHash: HASH,
  },
  applied: { type: 'applied', version: 42, hash: HASH, applyMs: 3.25 },
  rejected: { type: 'rejected', version: 42, reason: 'config failed validation', errors: ["route 'r1': invalid regex path"] },
  resync: { type: 'resync', reason: 'hash mismatch after delta 41 → 42' },
  ping: { type: 'ping', t: 1_700_000_000_123 },
  welcome: { type: 'welcome', protocol: 1, version: '1.4.0', nodeId: 'cp-node-1' },
  refused: { type: 'refused', reason: 'data plane is newer than the control plane', status: 'version_incompatible' },
  snapshot: {
    type: 'snapshot', version: 42, hash: HASH,
    entities: { services: [{ id: ID, created_at: 1_700_000_000, host: 'example.com', port: 80, tags: ['a'] }] },
    withheld: [{ plugin: 'custom-auth', id: ID, reason: 'plugin not installed on the data plane' }],
  },
  delta: {
    type: 'delta', from: 41, version: 42, hash: HASH,
    changes: [
      { entity: 'routes', id: ID, op: 'delete' },
      { entity: 'services', id: ID, op: 'upsert', record: { id: ID, created_at: 1_700_000_000, host: 'example.org', port: 443 } },
    ],
  },
  pong: { type: 'pong', t: 1_700_000_000_123 },
};
