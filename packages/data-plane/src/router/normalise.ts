// Request-path normalisation before matching (Kong: kong/tools/uri.lua `normalize(uri, true)`), and the
// same canonical form for route paths so both sides compare byte for byte.
//
// RFC 3986 §6.2.2: percent-decode unreserved characters (ALPHA DIGIT - . _ ~), upper-case the hex of
// every other triplet (`%2f` → `%2F`, which stays encoded), remove dot segments (§5.2.4) and merge
// duplicate slashes. Kong also decodes "other" characters (`%20` → space); we leave those encoded
// and instead encode route paths the same way (see canonicalRoutePath), which matches the same requests
// without ever putting a raw space or non-ASCII byte in the path we send upstream.

const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
}

// Characters a path may carry raw (RFC 3986 pchar + '/', plus '%' for triplets); the rest is encoded.
const PATH_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/**
 * The normalised request path the router matches on. Most paths need no work and are returned as they
 * are: only a path containing `%`, `//` or `/.` takes the slow path.
 *
 * @example
 *   normalizePath('/a/../b//c')  // '/b/c'
 *   normalizePath('/%41%2f')     // '/A%2F'
 */
export function normalizePath(path: string): string {
  if (path.indexOf('%') === -1 && path.indexOf('//') === -1 && path.indexOf('/.') === -1) return path;
  let p = path.indexOf('%') === -1 ? path : decodeUnreserved(path);
  if (p.charCodeAt(0) === 47 /* / */ && (p.indexOf('//') !== -1 || p.indexOf('/.') !== -1)) p = removeDotSegments(p);
  return p;
}

/** Decodes `%XX` triplets of unreserved characters; upper-cases the hex of the others. */
export function decodeUnreserved(path: string): string {
  let out = '';
  let from = 0;
  let i = path.indexOf('%');
  while (i !== -1) {
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi !== -1 && lo !== -1) {
      const code = hi * 16 + lo;
      out += path.slice(from, i);
      out += UNRESERVED[code] === 1 ? String.fromCharCode(code) : path.slice(i, i + 3).toUpperCase();
      from = i + 3;
    }
    i = path.indexOf('%', i + 1);
  }
  return from === 0 ? path : out + path.slice(from);
}

/**
 * RFC 3986 §5.2.4 for an absolute path, with empty segments dropped. A trailing `/`, `/.` or `/..`
 * keeps a trailing slash, as Kong does: `/a/b/.` → `/a/b/`, `/a/..` → `/`.
 */
function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  let trailing = false;
  for (let i = 1; i <= last; i++) {
    const seg = segments[i] as string;
    if (seg === '' || seg === '.') {
      trailing = i === last;
    } else if (seg === '..') {
      out.pop();
      trailing = i === last;
    } else {
      out.push(seg);
      trailing = false;
    }
  }
  if (out.length === 0) return '/';
  return trailing ? `/${out.join('/')}/` : `/${out.join('/')}`;
}

/**
 * The form a plain route path is matched in: characters a URL cannot carry raw are percent-encoded
 * (UTF-8, upper-case hex), then the path is normalised like a request path. `/café` → `/caf%C3%A9`,
 * which a request for `/caf%c3%a9` also normalises to.
 */
export function canonicalRoutePath(path: string): string {
  if (PATH_SAFE.test(path)) return normalizePath(path);
  let encoded = '';
  for (const ch of path) encoded += PATH_SAFE.test(ch) ? ch : encodeURIComponent(ch);
  return normalizePath(encoded);
}
