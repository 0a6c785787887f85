// response-transformer: how a `name:value` entry splits, and whether a header entry can be sent.
// Shared by the schema's `check` (the Admin API answers 400) and by `prepare`; pure, no I/O.
import { SENDABLE_HEADER_VALUE } from '../shared-fields.ts';

/** The five steps, in the order they run. */
export const STEPS = ['remove', 'rename', 'replace', 'add', 'append'] as const;
export type Step = (typeof STEPS)[number];

/**
 * Kong's `^([^:]+):*(.-)$`: the name runs to the first colon, any further leading colons are dropped,
 * and an empty value counts as none (the entry is then skipped, as in Kong).
 * @example split('x-a::b:c') // ['x-a', 'b:c']
 */
export function split(entry: string): [string, string | undefined] {
  const colon = entry.indexOf(':');
  if (colon < 0) return [entry, undefined];
  let start = colon + 1;
  while (entry.charCodeAt(start) === 58 /* : */) start++;
  return [entry.slice(0, colon), start === entry.length ? undefined : entry.slice(start)];
}

/** RFC 9110 `token`, what node's `validateHeaderName` accepts. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Why a `headers` entry of `step` cannot be sent, or undefined when it can: names (and rename targets)
 * must be tokens, values must be bytes node will write. Node would otherwise throw on every response.
 * @example headerEntryError('add', 'x served by:gw') // "'x served by' is not a valid header name"
 */
export function headerEntryError(step: Step, entry: string): string | undefined {
  const [name, value] = split(entry);
  if (!TOKEN.test(name)) return `'${name}' is not a valid header name`;
  if (value === undefined || step === 'remove') return undefined;
  if (step === 'rename') return TOKEN.test(value) ? undefined : `'${value}' is not a valid header name`;
  return SENDABLE_HEADER_VALUE.test(value) ? undefined : `the value of '${name}' has characters a header cannot carry (control characters or above U+00FF)`;
}
