// request-transformer: rewrites the upstream request (method, URI, headers, query string, body)
// before proxying (kong/plugins/request-transformer/schema.lua). Values may use `$(...)` templates.
import { Type, type TArray, type TString } from '@sinclair/typebox';
import { addFieldError, definePluginSchema, type FieldErrors } from '@tollgate/schema';
import { HTTP_PROTOCOLS, record, result, SENDABLE_HEADER_VALUE } from '../shared-fields.ts';

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

/** Kong's `validate_header_name`, as the element patterns above check the part before the colon. */
const HEADER_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * What the element patterns cannot say: a rename target must be a header name (Kong validates both
 * sides), and a value must be one node will send, or every proxied request would fail.
 */
function checkHeaderEntries(config: Record<string, unknown>): FieldErrors | undefined {
  const errors: FieldErrors = {};
  for (const step of ['rename', 'replace', 'add', 'append'] as const) {
    const entries = (config[step] as Record<string, unknown> | undefined)?.['headers'];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string') return;
      const colon = entry.indexOf(':');
      const [name, value] = [entry.slice(0, colon), entry.slice(colon + 1)];
      if (step === 'rename' && !HEADER_NAME.test(value)) addFieldError(errors, [step, 'headers', String(i)], `'${value}' is not a valid header name`);
      if (step !== 'rename' && !SENDABLE_HEADER_VALUE.test(value)) {
        addFieldError(errors, [step, 'headers', String(i)], `the value of '${name}' has characters a header cannot carry (control characters or above U+00FF)`);
      }
    });
  }
  return result(errors);
}

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
  check: checkHeaderEntries,
});
