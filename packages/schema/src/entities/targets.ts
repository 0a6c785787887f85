// targets: one address behind an upstream, with a weight. Only reachable under /upstreams/{u}/targets.
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import { ForeignRef } from '../fields.ts';
import { baseFields } from './common.ts';

const TARGET_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::\d{1,5})?$/;

export const targets = defineEntity({
  name: 'targets',
  adminPath: 'targets',
  nestedPath: 'targets',
  topLevel: false,
  endpointKey: 'target',
  uniques: [['upstream', 'target']],
  cacheKey: ['upstream', 'target'],
  millisecondTimestamps: true,
  foreignKeys: { upstream: { entity: 'upstreams', required: true, onDelete: 'cascade' } },
  schema: Type.Object(
    {
      ...baseFields(),
      created_at: Type.Optional(Type.Number({ minimum: 0 })),
      updated_at: Type.Optional(Type.Number({ minimum: 0 })),
      upstream: ForeignRef(),
      target: Type.String({ minLength: 1, maxLength: 1024, description: 'host[:port]; the port defaults to 8000.' }),
      weight: Type.Integer({ minimum: 0, maximum: 65535, default: 100 }),
    },
    { additionalProperties: false },
  ),
  check(value) {
    const target = value['target'] as string;
    if (!TARGET_RE.test(target)) return { target: 'invalid target: expected host[:port] or [ipv6][:port]' };
    const port = /:(\d+)$/.exec(target.replace(/^\[.*\]/, (m) => m.replace(/:/g, '')));
    if (port !== null && Number(port[1]) > 65535) return { target: 'invalid port number' };
    return undefined;
  },
  transform(value) {
    // Kong normalises the target to host:port, defaulting the port to 8000.
    const target = value['target'] as string;
    const hasPort = target.startsWith('[') ? /\]:\d+$/.test(target) : /:\d+$/.test(target) && target.split(':').length === 2;
    if (!hasPort) value['target'] = `${target}:8000`;
  },
});
