// Fields every entity carries: id, timestamps, tags.
import { Type } from '@sinclair/typebox';
import { Tags, Timestamp, Uuid } from '../fields.ts';

export const baseFields = () => ({
  id: Type.Optional(Uuid({ description: 'Generated when absent.' })),
  created_at: Type.Optional(Timestamp()),
  updated_at: Type.Optional(Timestamp()),
  tags: Type.Optional(Tags()),
});

export const PROTOCOLS = ['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp', 'tls_passthrough', 'ws', 'wss'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
