// jwt: authenticates consumers by a signed JSON Web Token (kong/plugins/jwt/schema.lua).
import { Type } from '@sinclair/typebox';
import { addFieldError, definePluginSchema, StringEnum, type FieldErrors } from '@tollgate/schema';
import { Anonymous, Bool, HeaderName, HTTP_PROTOCOLS, record, result, StringList } from '../shared-fields.ts';

export const jwtSchema = definePluginSchema({
  name: 'jwt',
  version: '1.0.0',
  priority: 1450,
  protocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: record({
    uri_param_names: StringList('Query parameters the token is read from.', { default: ['jwt'] }),
    cookie_names: StringList('Cookies the token is read from.', { default: [] }),
    header_names: Type.Array(HeaderName(), { default: ['authorization'], description: 'Headers the token is read from (as `Bearer <token>`).' }),
    key_claim_name: Type.String({ default: 'iss', description: 'Claim holding the key that identifies the credential.' }),
    secret_is_base64: Bool(false, 'The credential secret is base64-encoded.'),
    claims_to_verify: Type.Optional(
      Type.Array(StringEnum(['exp', 'nbf']), { description: 'Registered claims to verify: `exp` and/or `nbf`.' }),
    ),
    anonymous: Type.Optional(Anonymous()),
    run_on_preflight: Bool(true, 'Authenticate OPTIONS preflight requests too; when false they always pass.'),
    maximum_expiration: Type.Number({
      minimum: 0,
      maximum: 31536000,
      default: 0,
      description: 'Longest allowed token lifetime in seconds (`exp` minus now); 0 means no limit. Needs `exp` in `claims_to_verify`.',
    }),
    realm: Type.Optional(Type.String({ description: 'Realm sent in the `WWW-Authenticate` header on failure.' })),
  }),
  check(config) {
    const errors: FieldErrors = {};
    const max = config['maximum_expiration'];
    const claims = config['claims_to_verify'];
    if (typeof max === 'number' && max > 0 && !(Array.isArray(claims) && claims.includes('exp'))) {
      addFieldError(errors, ['claims_to_verify'], 'expected to contain: exp (required when maximum_expiration is set)');
    }
    return result(errors);
  },
});
