// Route regexes (Kong writes them for PCRE / Rust regex) compiled with JavaScript's RegExp.
//
// The common syntax is the same. A few PCRE spellings are rewritten because their meaning is
// unambiguous: `(?P<name>…)` → `(?<name>…)`, `(?P=name)` → `\k<name>`, and leading inline flags
// `(?i)`, `(?s)`, `(?m)` → RegExp flags. Everything else JavaScript lacks (atomic groups, possessive
// quantifiers, `\A`, `\Z`, `\h`, POSIX classes, recursion, inline flags mid-pattern …) is refused with a
// message saying so, rather than compiled into something that silently means another thing.

export interface CompiledRegex {
  readonly regex: RegExp;
  /**
   * Literal text every match must start with (the regex is anchored). Used to index regex routes in
   * the path trie; '' when unknown (top-level `|`, case-insensitive, or no literal start).
   */
  readonly literalPrefix: string;
}

export interface RegexError {
  readonly error: string;
  /** PCRE syntax JavaScript lacks, as opposed to a pattern that is invalid everywhere. */
  readonly unsupported: boolean;
}

// Letters JavaScript accepts after a backslash (with the `u` flag).
const JS_ESCAPES = new Set('dDwWsSbBnrtfv0123456789cxukpP');
const PCRE_ESCAPE_HINTS: Record<string, string> = {
  A: 'use ^',
  Z: 'use $',
  z: 'use $',
  h: 'use [ \\t]',
  H: 'use [^ \\t]',
  Q: 'escape each character instead',
  E: 'escape each character instead',
};
const META = new Set('\\^$.|?*+()[]{}');

type Scan = { source: string; flags: string; topLevelAlternation: boolean } | RegexError;

function unsupported(error: string): RegexError {
  return { error, unsupported: true };
}

/** One pass over the pattern: rewrites what has a JS spelling, refuses what has none. */
function scan(pattern: string): Scan {
  let out = '';
  let flags = '';
  let inClass = false;
  let depth = 0;
  let topLevelAlternation = false;
  let i = 0;
  const lead = /^\^?\(\?([ims]+)\)/.exec(pattern);
  if (lead !== null) {
    flags = [...new Set(lead[1])].join('');
    out = pattern.startsWith('^') ? '^' : '';
    i = lead[0].length;
  }
  while (i < pattern.length) {
    const c = pattern[i] as string;
    const next = pattern[i + 1] ?? '';
    if (c === '\\') {
      if (/[A-Za-z]/.test(next) && !JS_ESCAPES.has(next)) {
        const hint = PCRE_ESCAPE_HINTS[next];
        return unsupported(`PCRE escape '\\${next}' has no JavaScript equivalent${hint === undefined ? '' : ` (${hint})`}`);
      }
      if (next === 'x' && pattern[i + 2] === '{') return unsupported(`'\\x{…}' is PCRE syntax: use '\\u{…}'`);
      out += c + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[' && next === ':') return unsupported(`POSIX classes like '[:alpha:]' are PCRE syntax: use a range such as [A-Za-z]`);
      out += c;
      i++;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) topLevelAlternation = true;
    else if ((c === '*' || c === '+' || c === '?' || c === '}') && next === '+') {
      return unsupported(`possessive quantifier '${c}+' is PCRE syntax: JavaScript has none`);
    } else if (c === '(') {
      depth++;
      if (next === '?') {
        const rest = pattern.slice(i + 2);
        const named = /^P<([A-Za-z_]\w*)>/.exec(rest);
        const backref = /^P=([A-Za-z_]\w*)\)/.exec(rest);
        if (named !== null) {
          out += `(?<${named[1]}>`;
          i += 2 + named[0].length;
          continue;
        }
        if (backref !== null) {
          out += `\\k<${backref[1]}>`;
          i += 2 + backref[0].length;
          depth--;
          continue;
        }
        const refusal = refuseGroup(rest);
        if (refusal !== null) return unsupported(refusal);
      }
    }
    out += c;
    i++;
  }
  return { source: out, flags, topLevelAlternation };
}

/** Why a `(?…` group has no JavaScript spelling, or null when it does. */
function refuseGroup(rest: string): string | null {
  const c = rest[0] ?? '';
  if (c === ':' || c === '=' || c === '!' || /^<[=!A-Za-z_]/.test(rest)) return null;
  if (c === '>') return `atomic group '(?>…)' is PCRE syntax: JavaScript has none`;
  if (c === '|') return `branch-reset group '(?|…)' is PCRE syntax: JavaScript has none`;
  if (c === '#') return `comment group '(?#…)' is PCRE syntax: remove it`;
  if (c === '(') return `conditional group '(?(…)…)' is PCRE syntax: JavaScript has none`;
  if (/^(R|[+-]?\d|&|P>)/.test(rest)) return `recursion / subroutine call '(?${rest.slice(0, 2)}…' is PCRE syntax: JavaScript has none`;
  const mods = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
  if (mods !== null) {
    const letters = (mods[1] ?? '') + (mods[2] ?? '');
    if (/[^ims]/.test(letters)) return `inline flag '${letters.replace(/[ims]/g, '')}' is not supported: JavaScript knows i, m and s`;
    if (mods[3] === ')') return `inline flags '(?${mods[1]}${mods[2] === undefined ? '' : `-${mods[2]}`})' are only supported at the start: use a group '(?i:…)'`;
    return null;
  }
  return null;
}

/** The literal text at the start of a pattern (after `^`), stopping at the first operator. */
function literalPrefix(source: string): string {
  let i = 0;
  while (source[i] === '^') i++;
  let out = '';
  while (i < source.length) {
    const c = source[i] as string;
    let lit: string;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) break;
      lit = n;
      i += 2;
    } else if (META.has(c)) {
      break;
    } else {
      lit = c;
      i++;
    }
    const q = source[i];
    if (q === '?' || q === '*' || q === '{') break; // this character is optional: not part of the prefix
    out += lit;
  }
  return out;
}

/**
 * Compiles a Kong regex. `anchored` prefixes `^` as Kong does for `~` paths (the whole pattern, so a
 * top-level `a|b` is `^a|b`, exactly like Kong).
 *
 * @example
 *   compileRegex('/users/(?<id>\\d+)', { anchored: true })  // { regex: /^\/users\/(?<id>\d+)/u, literalPrefix: '/users/' }
 */
export function compileRegex(pattern: string, opts: { anchored: boolean; caseInsensitive?: boolean }): CompiledRegex | RegexError {
  const scanned = scan(pattern);
  if ('error' in scanned) return scanned;
  const flags = opts.caseInsensitive === true && !scanned.flags.includes('i') ? `${scanned.flags}i` : scanned.flags;
  const source = (opts.anchored ? '^' : '') + scanned.source;
  let regex: RegExp;
  try {
    regex = new RegExp(source, `${flags}u`);
  } catch (unicodeErr) {
    // Without `u`, identity escapes such as `\-` or `\/` and a literal `{` are legal, as in PCRE; but
    // `\p{…}` would silently become a literal, so keep the stricter error then.
    if (/\\[pP]/.test(scanned.source)) return { error: (unicodeErr as Error).message, unsupported: false };
    try {
      regex = new RegExp(source, flags);
    } catch (err) {
      return { error: (err as Error).message, unsupported: false };
    }
  }
  const prefix = scanned.topLevelAlternation || flags.includes('i') || !opts.anchored ? '' : literalPrefix(scanned.source);
  return { regex, literalPrefix: prefix };
}
