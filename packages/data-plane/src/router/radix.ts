// A radix (compressed prefix) tree keyed by plain path prefixes. Kong's plain paths are byte prefixes,
// not segment prefixes (`/foo` matches `/foobar`), so edges split anywhere, not only at '/'.
// Walking a request path visits exactly the stored keys that are prefixes of it, in O(path length).

export class RadixNode<T> {
  /** The edge from the parent (empty for the root). */
  label: string;
  /** The full key from the root. */
  key: string;
  children: Map<number, RadixNode<T>> | null = null;
  items: T[] | null = null;

  constructor(label: string, key: string) {
    this.label = label;
    this.key = key;
  }
}

export function createRoot<T>(): RadixNode<T> {
  return new RadixNode<T>('', '');
}

/** Adds `item` under `key`, splitting edges as needed. */
export function insert<T>(root: RadixNode<T>, key: string, item: T): void {
  let node = root;
  let pos = 0;
  while (pos < key.length) {
    const c = key.charCodeAt(pos);
    const child = node.children?.get(c);
    if (child === undefined) {
      const leaf = new RadixNode<T>(key.slice(pos), key);
      (node.children ??= new Map()).set(c, leaf);
      node = leaf;
      pos = key.length;
      break;
    }
    const label = child.label;
    let common = 0;
    while (common < label.length && pos + common < key.length && label.charCodeAt(common) === key.charCodeAt(pos + common)) common++;
    if (common < label.length) {
      // Split the edge: node → mid (shared part) → child (rest of the old label).
      const mid = new RadixNode<T>(label.slice(0, common), key.slice(0, pos + common));
      child.label = label.slice(common);
      mid.children = new Map([[child.label.charCodeAt(0), child]]);
      node.children?.set(c, mid);
      node = mid;
    } else {
      node = child;
    }
    pos += common;
  }
  (node.items ??= []).push(item);
}

/**
 * Fills `out` with the nodes holding items whose key is a prefix of `path`, shortest first, and
 * returns how many. `out` is reused between calls so a match allocates nothing here.
 */
export function collectPrefixes<T>(root: RadixNode<T>, path: string, out: RadixNode<T>[]): number {
  let n = 0;
  let node = root;
  if (node.items !== null) out[n++] = node;
  let pos = 0;
  while (pos < path.length && node.children !== null) {
    const child = node.children.get(path.charCodeAt(pos));
    if (child === undefined || !path.startsWith(child.label, pos)) break;
    pos += child.label.length;
    node = child;
    if (node.items !== null) out[n++] = node;
  }
  return n;
}
