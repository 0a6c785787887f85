// request-transformer: rewrites the upstream request (method, URI, headers, query string, body)
// before proxying (kong/plugins/request-transformer/schema.lua). Values may use `$(...)` templates.
import { Type, type TArray, type TString } from '@sinclair/typebox';
import { definePluginSchema } from '@tollgate/schema';
import { HTTP_PROTOCOLS, record } from '../shared-fields.ts';

type Strings = TArray<TString>;

const list = (description: string, element: TString): Strings => Type.Array(element, { default: [], description });

/** Plain names, e.g. fields to remove. */
const names = (what: string): Strings => list(`${what} to remove.`, Type.String());

/** Header names; Kong tolerates a `:value` suffix and ignores it. */
const headerNames = (): Strings =>
  list('Headers to remove.', Type.String({ pattern: '^[A-Za-z0-9_-]+(?::.*)?$', tgMessage: "invalid header name: allowed characters are A-Z, a-z, 0-9, '_', and '-'" }));

/** `name:value` pairs whose value must not be empty. */
const pairs = (description: string): Strings =>
  list(description, Type.String({ pattern: '^[^:]+:+[^:].*$', tgMessage: "expected 'name:value' with a non-empty value" }));

/** `Header-Name:value` pairs; the value may be empty but may not contain a line break. */
const headerPairs = (description: string): Strings =>
  list(description, Type.String({ pattern: '^[A-Za-z0-9_-]+:[^\\r\\n]*$', tgMessage: "expected 'Header-Name:value' with a valid header name" }));

const pairActions = (verb: string) => ({
  body: pairs(`Body parameters to ${verb}, as \`name:value\` (form or JSON bodies).`),
  headers: headerPairs(`Headers to ${verb}, as \`name:value\`.`),
  querystring: pairs(`Query parameters to ${verb}, as \`name:value\`.`),
});

export const requestTransformerSchema = definePluginSchema({
  name: 'request-transformer',
  version: '1.0.0',
  priority: 801,
  protocols: HTTP_PROTOCOLS,
  config: record({
    http_method: Type.Optional(
      Type.String({ pattern: '^[A-Z]+$', tgMessage: 'invalid value: expected an uppercase HTTP method', description: 'Method used for the upstream request.' }),
    ),
    remove: record(
      { body: names('Body parameters'), headers: headerNames(), querystring: names('Query parameters') },
      { default: {}, description: 'Removed first.' },
    ),
    rename: record(
      {
        body: pairs('Body parameters to rename, as `old:new`.'),
        headers: list('Headers to rename, as `old:new`.', Type.String({ pattern: '^[A-Za-z0-9_-]+:.*$', tgMessage: "expected 'Old-Name:New-Name'" })),
        querystring: pairs('Query parameters to rename, as `old:new`.'),
      },
      { default: {}, description: 'Renamed after removals.' },
    ),
    replace: record(
      { ...pairActions('replace (only when present)'), uri: Type.Optional(Type.String({ description: 'New upstream path; may use `$(uri_captures...)`.' })) },
      { default: {}, description: 'Replaced after renames; only values already present are replaced.' },
    ),
    add: record(pairActions('add (only when absent)'), { default: {}, description: 'Added after replacements; existing values are kept.' }),
    append: record(pairActions('append (keeping existing values)'), { default: {}, description: 'Appended last, alongside existing values.' }),
  }),
});
