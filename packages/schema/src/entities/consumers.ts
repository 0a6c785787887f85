// consumers: the users or apps that call the APIs; credentials hang off them.
import { Type } from '@sinclair/typebox';
import { defineEntity } from '../entity.ts';
import { baseFields } from './common.ts';

export const consumers = defineEntity({
  name: 'consumers',
  adminPath: 'consumers',
  topLevel: true,
  endpointKey: 'username',
  uniques: ['username', 'custom_id'],
  foreignKeys: {},
  nested: {
    plugins: 'plugins',
    keyauth_credentials: 'keyauth_credentials',
    basicauth_credentials: 'basicauth_credentials',
    jwt_secrets: 'jwt_secrets',
    acls: 'acls',
  },
  schema: Type.Object(
    {
      ...baseFields(),
      username: Type.Optional(Type.String({ minLength: 1 })),
      custom_id: Type.Optional(Type.String({ minLength: 1 })),
    },
    { additionalProperties: false },
  ),
  check(value) {
    if (value['username'] == null && value['custom_id'] == null) {
      return { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] };
    }
    return undefined;
  },
});
