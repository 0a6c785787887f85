// response-transformer: rewrites the response headers and JSON body keys before they reach the client
// (kong/plugins/response-transformer/schema.lua).
import { Type, type TArray, type TString } from '@sinclair/typebox';
import { definePluginSchema, StringEnum } from '@tollgate/schema';
import { HTTP_PROTOCOLS, record } from '../shared-fields.ts';

const names = (description: string): TArray<TString> => Type.Array(Type.String(), { default: [], description });

const pairs = (description: string): TArray<TString> =>
  Type.Array(Type.String({ pattern: '^[^:]+:.*$', tgMessage: "expected 'name:value'" }), { default: [], description });

/** add / append / replace: JSON keys with optional types, and headers, as `name:value`. */
const valueActions = (verb: string, description: string) =>
  record(
    {
      json: pairs(`JSON body keys to ${verb}, as \`key:value\`.`),
      json_types: Type.Array(StringEnum(['boolean', 'number', 'string']), {
        default: [],
        description: 'Type of each `json` value, by position; `string` when missing.',
      }),
      headers: pairs(`Headers to ${verb}, as \`name:value\`.`),
    },
    { default: {}, description },
  );

export const responseTransformerSchema = definePluginSchema({
  name: 'response-transformer',
  version: '1.0.0',
  priority: 800,
  protocols: HTTP_PROTOCOLS,
  config: record({
    remove: record(
      { json: names('JSON body keys to remove.'), headers: names('Headers to remove.') },
      { default: {}, description: 'Removed first.' },
    ),
    rename: record(
      { json: pairs('JSON body keys to rename, as `old:new`.'), headers: pairs('Headers to rename, as `old:new`.') },
      { default: {}, description: 'Renamed after removals.' },
    ),
    replace: valueActions('replace (only when present)', 'Replaced after renames; only values already present are replaced.'),
    add: valueActions('add (only when absent)', 'Added after replacements; existing values are kept.'),
    append: valueActions('append (keeping existing values)', 'Appended last, alongside existing values.'),
  }),
});
