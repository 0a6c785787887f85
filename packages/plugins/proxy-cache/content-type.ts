// Which response Content-Types `content_type` admits. An entry without parameters matches the media type
// whatever parameters the response adds (`application/json` admits `application/json; charset=utf-8`);
// an entry with parameters needs exactly those (Kong 3.x compares parameters always, so there
// `application/json` does not admit the charset variant). `*` works as a type or subtype, as in Kong.

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  /** Canonical parameters (`a=1;b=2`, sorted, lower-case), or undefined when any are accepted. */
  readonly params: string | undefined;
}

interface Parsed {
  type: string;
  subtype: string;
  params: string;
}

/**
 * A compiled `content_type` list.
 * @example new ContentTypes(['application/json', 'text/*']).admits('application/json; charset=utf-8') // true
 */
export class ContentTypes {
  readonly #ranges: readonly MediaRange[];
  readonly #needsParams: boolean;

  constructor(list: readonly string[]) {
    const ranges: MediaRange[] = [];
    for (const entry of list) {
      const parsed = parseMediaType(entry, true);
      if (parsed === undefined) continue;
      ranges.push({ type: parsed.type, subtype: parsed.subtype, params: parsed.params === '' ? undefined : parsed.params });
    }
    this.#ranges = ranges;
    this.#needsParams = ranges.some((r) => r.params !== undefined);
  }

  /** Kong does not cache a response without a Content-Type, or with several. */
  admits(header: string | string[] | undefined): boolean {
    if (header === undefined || Array.isArray(header) || header === '') return false;
    const parsed = parseMediaType(header, this.#needsParams);
    if (parsed === undefined) return false;
    for (const r of this.#ranges) {
      if ((r.type === '*' || r.type === parsed.type) && (r.subtype === '*' || r.subtype === parsed.subtype) && (r.params === undefined || r.params === parsed.params)) return true;
    }
    return false;
  }
}

/** `type/subtype; k=v` lower-cased, with canonical parameters when `withParams`; undefined if malformed. */
function parseMediaType(text: string, withParams: boolean): Parsed | undefined {
  const semi = text.indexOf(';');
  const essence = (semi === -1 ? text : text.slice(0, semi)).trim().toLowerCase();
  const slash = essence.indexOf('/');
  if (slash <= 0 || slash === essence.length - 1) return undefined;
  let params = '';
  if (withParams && semi !== -1) {
    const pairs: string[] = [];
    for (const part of text.slice(semi + 1).split(';')) {
      const eq = part.indexOf('=');
      if (eq === -1) continue;
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      pairs.push(`${part.slice(0, eq).trim().toLowerCase()}=${value.toLowerCase()}`);
    }
    params = pairs.sort().join(';');
  }
  return { type: essence.slice(0, slash).trim(), subtype: essence.slice(slash + 1).trim(), params };
}
