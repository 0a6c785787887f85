// A route's `headers` condition (kong/router/transform.lua): every listed header name must be present
// with a value equal to one listed value, case-insensitively; a listed value `~*regex` is a
// case-insensitive regex searched anywhere in the value (unanchored, as ATC's `~` operator).

import { compileRegex } from '@tollgate/schema';

export interface HeaderCondition {
  /** Lower-case header name. */
  readonly name: string;
  /** Lower-cased literal values. */
  readonly equals: ReadonlySet<string>;
  readonly regexes: readonly RegExp[];
}

export type HeaderValues = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Compiles `headers: {name: [values]}`. A header listed with no values is ignored (it cannot match
 * anything in Kong either, whose schema refuses it). Returns the conditions, or the first bad regex.
 */
export function compileHeaders(
  headers: Readonly<Record<string, readonly string[]>>,
): { conditions: HeaderCondition[]; error: { value: string; message: string } | null } {
  const conditions: HeaderCondition[] = [];
  for (const [name, values] of Object.entries(headers)) {
    if (values.length === 0) continue;
    const equals = new Set<string>();
    const regexes: RegExp[] = [];
    for (const value of values) {
      if (!value.startsWith('~*')) {
        equals.add(value.toLowerCase());
        continue;
      }
      // Kong lower-cases the pattern itself and the value; a case-insensitive flag is the faithful
      // intent without turning `\D` into `\d`.
      const compiled = compileRegex(value.slice(2), { anchored: false, caseInsensitive: true });
      if ('error' in compiled) return { conditions, error: { value, message: compiled.error } };
      regexes.push(compiled.regex);
    }
    conditions.push({ name: name.toLowerCase(), equals, regexes });
  }
  return { conditions, error: null };
}

function valueMatches(c: HeaderCondition, value: string): boolean {
  if (c.equals.size > 0 && c.equals.has(value.toLowerCase())) return true;
  for (const re of c.regexes) if (re.test(value)) return true;
  return false;
}

/**
 * Kong tries every value of a repeated header. node:http joins repeated lines into one string with
 * ", ", so a string is tried whole and then as its comma-separated parts; an array (set-cookie, or
 * `req.headersDistinct`) is taken entry by entry.
 */
function headerMatches(c: HeaderCondition, raw: string | string[] | undefined): boolean {
  if (raw === undefined) return false;
  if (typeof raw !== 'string') {
    for (const v of raw) if (valueMatches(c, v)) return true;
    return false;
  }
  if (valueMatches(c, raw)) return true;
  if (raw.indexOf(',') === -1) return false;
  for (const part of raw.split(',')) if (valueMatches(c, part.trim())) return true;
  return false;
}

/** True when every condition holds (names are ANDed, values within a name ORed). */
export function headersMatch(conditions: readonly HeaderCondition[], headers: HeaderValues): boolean {
  for (const c of conditions) if (!headerMatches(c, headers[c.name])) return false;
  return true;
}
