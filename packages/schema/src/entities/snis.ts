// snis: a server name (exact or wildcard) that selects a certificate during the TLS handshake.
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import { ForeignRef } from '../fields.ts';
import { baseFields } from './common.ts';

const SNI_RE = /^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?$/;

export const snis = defineEntity({
  name: 'snis',
  adminPath: 'snis',
  nestedPath: 'snis',
  topLevel: true,
  endpointKey: 'name',
  uniques: ['name'],
  foreignKeys: { certificate: { entity: 'certificates', required: true, onDelete: 'cascade' } },
  schema: Type.Object(
    {
      ...baseFields(),
      name: Type.String({ minLength: 1, maxLength: 253 }),
      certificate: ForeignRef(),
    },
    { additionalProperties: false },
  ),
  check(value) {
    const name = value['name'] as string;
    if (!SNI_RE.test(name) || name.split('*').length > 2) return { name: 'invalid value: must be a hostname, optionally with one wildcard (*.example.com or example.*)' };
    if (/^[0-9.]+$/.test(name)) return { name: 'must not be an IP address' };
    return undefined;
  },
});
