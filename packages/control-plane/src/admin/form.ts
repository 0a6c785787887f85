// Kong's form notation for x-www-form-urlencoded bodies: `hosts[]=a`, `hosts[1]=b`, `config.minute=5`,
// `service.id=…` become nested JSON. Values stay strings; the validator coerces them.

/** Decodes a form body into nested objects and arrays. */
export function decodeForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = parseKey(rawKey);
    assign(out, path, value);
  }
  return out;
}

type Segment = string | number | null; // null = append ([])

function parseKey(key: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d*\])*)$/.exec(part);
    if (m === null) {
      segments.push(part);
      continue;
    }
    if (m[1] !== '') segments.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d*)\]/g)) segments.push(idx[1] === '' ? null : Number(idx[1]) - (Number(idx[1]) > 0 ? 1 : 0));
  }
  return segments;
}

function assign(target: Record<string, unknown> | unknown[], path: Segment[], value: string): void {
  let node: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    const nextIsIndex = !last && typeof path[i + 1] !== 'string';
    if (Array.isArray(node)) {
      const index = seg === null ? node.length : Number(seg);
      if (last) node[index] = value;
      else {
        node[index] ??= nextIsIndex ? [] : {};
        node = node[index] as Record<string, unknown> | unknown[];
      }
    } else {
      const key = String(seg);
      if (last) {
        // A repeated plain key (`hosts=a&hosts=b`) becomes an array, as Kong reads it.
        const existing = node[key];
        node[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
      } else {
        if (typeof node[key] !== 'object' || node[key] === null) node[key] = nextIsIndex ? [] : {};
        node = node[key] as Record<string, unknown> | unknown[];
      }
    }
  }
}
