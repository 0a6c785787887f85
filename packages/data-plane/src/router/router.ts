// The indexed router. Variants are filed in buckets by host (exact map, `*.suffix` map, `prefix.*`
// map, a scan bucket for odd wildcards, one bucket for host-less routes); inside a bucket, in a radix
// tree keyed by plain prefix (regex routes by the literal text their pattern starts with) plus a list
// for path-less routes. Every list is sorted by global rank, so a search stops at the first valid
// candidate and skips anything that cannot beat the best found so far.

import { conditionsHold, type CompiledRoutes, type Variant } from './compile.ts';
import type { RouterBuildError } from './errors.ts';
import { normalizeSni, requestHost, type HostPattern } from './hosts.ts';
import { normalizePath } from './normalise.ts';
import { capturesOf, commonLiteralPrefix, execRegexGroup } from './paths.ts';
import { collectPrefixes, createRoot, insert, type RadixNode } from './radix.ts';
import type { MatchInput, RouteEntity, RouteMatch, Router } from './types.ts';

interface Bucket<R extends RouteEntity> {
  readonly trie: RadixNode<Variant<R>>;
  readonly noPath: Variant<R>[];
  /** Reaching the bucket proves the host matched (every bucket but the scan bucket). */
  readonly hostKnown: boolean;
  minRank: number;
}

function newBucket<R extends RouteEntity>(hostKnown: boolean): Bucket<R> {
  return { trie: createRoot(), noPath: [], hostKnown, minRank: Number.POSITIVE_INFINITY };
}

export class IndexedRouter<R extends RouteEntity> implements Router<R> {
  readonly size: number;
  readonly errors: readonly RouterBuildError[];
  readonly #exact = new Map<string, Bucket<R>>();
  /** Keyed by `.example.com` (from `*.example.com`); looked up at every dot of the request host. */
  readonly #suffix = new Map<string, Bucket<R>>();
  /** Keyed by `example.` (from `example.*`). */
  readonly #prefix = new Map<string, Bucket<R>>();
  // Which key lengths the two wildcard maps hold (DNS names are at most 253 characters): a request
  // host is sliced and hashed only at dots where a key of that length exists.
  readonly #suffixLengths = new Uint8Array(256);
  readonly #prefixLengths = new Uint8Array(256);
  /** Wildcards not at a label boundary (`*example.com`): checked host by host. */
  readonly #scan = newBucket<R>(false);
  readonly #hostless = newBucket<R>(true);
  // Per-match scratch state. match() is synchronous, so one router can reuse it safely.
  readonly #nodes: RadixNode<Variant<R>>[] = [];
  #bestRank = Number.POSITIVE_INFINITY;
  #best: Variant<R> | null = null;
  #bestPath = '';
  #bestExec: RegExpExecArray | null = null;

  constructor(compiled: CompiledRoutes<R>) {
    this.size = compiled.size;
    this.errors = compiled.errors;
    // Variants arrive in rank order, so every list below is built already sorted by rank.
    for (const v of compiled.variants) {
      for (const bucket of this.#bucketsFor(v)) {
        bucket.minRank = Math.min(bucket.minRank, v.rank);
        if (v.prefixes !== null) for (const p of v.prefixes) insert(bucket.trie, p, v);
        else if (v.regexes !== null) insert(bucket.trie, commonLiteralPrefix(v.regexes), v);
        else bucket.noPath.push(v);
      }
    }
  }

  #bucketsFor(v: Variant<R>): Set<Bucket<R>> {
    const buckets = new Set<Bucket<R>>();
    if (v.hosts === null) return buckets.add(this.#hostless);
    const take = (map: Map<string, Bucket<R>>, key: string) => {
      let b = map.get(key);
      if (b === undefined) map.set(key, (b = newBucket(true)));
      buckets.add(b);
    };
    for (const p of v.hosts.patterns) {
      if (p.kind === 'exact') take(this.#exact, p.value);
      else if (indexable(p)) {
        (p.kind === 'suffix' ? this.#suffixLengths : this.#prefixLengths)[p.value.length] = 1;
        take(p.kind === 'suffix' ? this.#suffix : this.#prefix, p.value);
      }
      else buckets.add(this.#scan);
    }
    return buckets;
  }

  match(input: MatchInput): RouteMatch<R> | null {
    const path = normalizePath(input.path);
    const host = requestHost(input.host);
    const sni = input.sni === undefined ? undefined : normalizeSni(input.sni);
    this.#bestRank = Number.POSITIVE_INFINITY;
    this.#best = null;
    this.#bestExec = null;

    const exact = this.#exact.get(host);
    if (exact !== undefined) this.#search(exact, input, path, host, sni);
    if (this.#suffix.size > 0 || this.#prefix.size > 0) {
      for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
        const s = this.#suffixLengths[host.length - dot] === 1 ? this.#suffix.get(host.slice(dot)) : undefined;
        if (s !== undefined) this.#search(s, input, path, host, sni);
        const p = this.#prefixLengths[dot + 1] === 1 ? this.#prefix.get(host.slice(0, dot + 1)) : undefined;
        if (p !== undefined) this.#search(p, input, path, host, sni);
      }
    }
    this.#search(this.#scan, input, path, host, sni);
    this.#search(this.#hostless, input, path, host, sni);

    // Read back through a cast: TS keeps the `= null` narrowing above across the #search calls.
    const best = this.#best as Variant<R> | null;
    if (best === null) return null;
    const exec = this.#bestExec;
    this.#best = null;
    this.#bestExec = null;
    return {
      route: best.route,
      matchedPath: this.#bestPath,
      normalizedPath: path,
      captures: exec === null ? null : capturesOf(exec),
    };
  }

  #search(bucket: Bucket<R>, input: MatchInput, path: string, host: string, sni: string | undefined): void {
    if (bucket.minRank >= this.#bestRank) return;
    const nodes = this.#nodes;
    const n = collectPrefixes(bucket.trie, path, nodes);
    // Deepest first: with everything else equal a longer prefix ranks higher, so the bound tightens
    // early and the short, crowded prefixes near the root ('/') are cut off at their first entry.
    for (let i = n - 1; i >= 0; i--) {
      const node = nodes[i] as RadixNode<Variant<R>>;
      for (const v of node.items as Variant<R>[]) {
        if (v.rank >= this.#bestRank) break;
        if (!conditionsHold(v, input, host, sni, bucket.hostKnown)) continue;
        if (v.regexes === null) {
          this.#record(v, node.key, null);
          break;
        }
        const m = execRegexGroup(v.regexes, path);
        if (m !== null) {
          this.#record(v, m[0], m);
          break;
        }
      }
    }
    for (const v of bucket.noPath) {
      if (v.rank >= this.#bestRank) break;
      if (conditionsHold(v, input, host, sni, bucket.hostKnown)) {
        this.#record(v, '', null);
        break;
      }
    }
  }

  #record(v: Variant<R>, matchedPath: string, exec: RegExpExecArray | null): void {
    this.#bestRank = v.rank;
    this.#best = v;
    this.#bestPath = matchedPath;
    this.#bestExec = exec;
  }
}

/**
 * Suffixes starting with '.' and prefixes ending with '.' sit on label boundaries, so map lookups at
 * the request host's dots find them. (Over-long keys go to the scan bucket to keep the length tables small.)
 */
function indexable(p: HostPattern): boolean {
  if (p.value.length >= 256) return false;
  return p.kind === 'suffix' ? p.value.charCodeAt(0) === 46 : p.value.charCodeAt(p.value.length - 1) === 46;
}
