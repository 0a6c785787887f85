// response-transformer: rewrites the response headers and JSON body keys before they reach the client
// (kong/plugins/response-transformer/schema.lua).
import { Type, type TArray, type TString } from '@sinclair/typebox';
import { addFieldError, definePluginSchema, StringEnum, type FieldErrors } from '@tollgate/schema';
import { HTTP_PROTOCOLS, record, result } from '../shared-fields.ts';
import { headerEntryError, STEPS } from './entries.ts';

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
  // Kong validates header names in every `headers` list; an entry node cannot send would otherwise
  // fail in `prepare`, after the Admin API had accepted it.
  check(config) {
    const errors: FieldErrors = {};
    for (const step of STEPS) {
      const entries = (config[step] as Record<string, unknown> | undefined)?.['headers'];
      if (!Array.isArray(entries)) continue;
      entries.forEach((entry: unknown, i) => {
        const error = typeof entry === 'string' ? headerEntryError(step, entry) : undefined;
        if (error !== undefined) addFieldError(errors, [step, 'headers', String(i)], error);
      });
    }
    return result(errors);
  },
});
