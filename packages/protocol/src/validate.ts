// Shape checks for decoded messages: the type is known and every required field has the right
// primitive type. Deeper checks (is this route valid?) belong to the schema, run by the receiver before
// it applies a config; here we only make sure the receiver can trust the envelope it switches on.
// Unknown extra fields are tolerated so a newer minor can add optional fields without a protocol bump.
import { ENTITY_NAMES, type EntityName } from '@tollgate/schema';
import { badMessage } from './errors.ts';
import type { Message, MessageType } from './messages.ts';

type Obj = Record<string, unknown>;

const ENTITY_NAME_SET: ReadonlySet<string> = new Set(ENTITY_NAMES);

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, expected: string, value: unknown): never {
  throw badMessage(`bad protocol message: ${path}: expected ${expected}, got ${describe(value)}`);
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : fail(`${path}.${key}`, 'a string', v);
}

function num(o: Obj, key: string, path: string): number {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fail(`${path}.${key}`, 'a finite number', v);
}

/** Versions and counters: whole numbers that survive a round trip through a double. */
function count(o: Obj, key: string, path: string): number {
  const v = o[key];
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(`${path}.${key}`, 'a non-negative integer', v);
}

function obj(o: Obj, key: string, path: string): Obj {
  const v = o[key];
  return isObject(v) ? v : fail(`${path}.${key}`, 'an object', v);
}

function arr(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  return Array.isArray(v) ? v : fail(`${path}.${key}`, 'an array', v);
}

function strings(o: Obj, key: string, path: string): void {
  arr(o, key, path).forEach((v, i) => { if (typeof v !== 'string') fail(`${path}.${key}[${i}]`, 'a string', v); });
}

function entityName(o: Obj, key: string, path: string): EntityName {
  const v = str(o, key, path);
  return ENTITY_NAME_SET.has(v) ? (v as EntityName) : fail(`${path}.${key}`, `an entity name (${ENTITY_NAMES.join(', ')})`, v);
}

function entityRecord(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, 'an entity record (object)', v);
  if (typeof v['id'] !== 'string' || v['id'] === '') fail(`${path}.id`, 'a non-empty string', v['id']);
}

function entities(o: Obj, key: string, path: string): void {
  const all = obj(o, key, path);
  for (const [name, records] of Object.entries(all)) {
    const p = `${path}.${key}`;
    if (!ENTITY_NAME_SET.has(name)) fail(p, `only entity names as keys (${ENTITY_NAMES.join(', ')})`, name);
    const list = arr(all, name, p);
    for (let i = 0; i < list.length; i++) entityRecord(list[i], `${p}.${name}[${i}]`);
  }
}

const CHECKS: { readonly [T in MessageType]: (m: Obj, p: string) => void } = {
  hello(m, p) {
    count(m, 'protocol', p);
    str(m, 'nodeId', p);
    str(m, 'hostname', p);
    str(m, 'version', p);
    const labels = obj(m, 'labels', p);
    for (const [k, v] of Object.entries(labels)) if (typeof v !== 'string') fail(`${p}.labels.${k}`, 'a string', v);
    arr(m, 'plugins', p).forEach((plugin, i) => {
      const pp = `${p}.plugins[${i}]`;
      if (!isObject(plugin)) fail(pp, 'an object', plugin);
      str(plugin, 'name', pp);
      str(plugin, 'version', pp);
    });
    count(m, 'configVersion', p);
    str(m, 'configHash', p);
  },
  applied(m, p) {
    count(m, 'version', p);
    str(m, 'hash', p);
    if (num(m, 'applyMs', p) < 0) fail(`${p}.applyMs`, 'a non-negative number', m['applyMs']);
  },
  rejected(m, p) {
    count(m, 'version', p);
    str(m, 'reason', p);
    strings(m, 'errors', p);
  },
  resync(m, p) {
    str(m, 'reason', p);
  },
  ping(m, p) {
    num(m, 't', p);
  },
  welcome(m, p) {
    count(m, 'protocol', p);
    str(m, 'version', p);
    str(m, 'nodeId', p);
  },
  refused(m, p) {
    str(m, 'reason', p);
    const status = str(m, 'status', p);
    if (status !== 'version_incompatible' && status !== 'protocol_incompatible') {
      fail(`${p}.status`, "'version_incompatible' or 'protocol_incompatible'", status);
    }
  },
  snapshot(m, p) {
    count(m, 'version', p);
    str(m, 'hash', p);
    entities(m, 'entities', p);
    // Optional: absent and nil are the same (a non-JS peer may encode a missing field as nil).
    if (m['withheld'] === undefined || m['withheld'] === null) { delete m['withheld']; return; }
    arr(m, 'withheld', p).forEach((w, i) => {
      const wp = `${p}.withheld[${i}]`;
      if (!isObject(w)) fail(wp, 'an object', w);
      str(w, 'plugin', wp);
      str(w, 'id', wp);
      str(w, 'reason', wp);
    });
  },
  delta(m, p) {
    const from = count(m, 'from', p);
    if (count(m, 'version', p) <= from) fail(`${p}.version`, `a version after from (${from})`, m['version']);
    str(m, 'hash', p);
    arr(m, 'changes', p).forEach((c, i) => {
      const cp = `${p}.changes[${i}]`;
      if (!isObject(c)) fail(cp, 'an object', c);
      entityName(c, 'entity', cp);
      const id = str(c, 'id', cp);
      const op = str(c, 'op', cp);
      if (op === 'upsert') {
        entityRecord(c['record'], `${cp}.record`);
        if ((c['record'] as Obj)['id'] !== id) fail(`${cp}.record.id`, `the change's id '${id}'`, (c['record'] as Obj)['id']);
      } else if (op === 'delete') {
        delete c['record'];
      } else fail(`${cp}.op`, "'upsert' or 'delete'", op);
    });
  },
  pong(m, p) {
    num(m, 't', p);
  },
};

/**
 * Checks that a decoded value is a well-formed message and returns it typed (the same object, not a copy:
 * snapshots can be large; optional fields sent as nil and a delete's stray record are removed in place). Throws a ProtocolError (TG_PROTOCOL_BAD_MESSAGE) naming the first bad field.
 *
 * @example
 *   const msg = parseMessage(JSON.parse(text)); // for a peer or a test that does not use the binary codec
 */
export function parseMessage(value: unknown): Message {
  if (!isObject(value)) fail('message', 'an object', value);
  const type = value['type'];
  if (typeof type !== 'string') fail('message.type', 'a string', type);
  if (!Object.hasOwn(CHECKS, type)) fail('message.type', `one of ${Object.keys(CHECKS).join(', ')}`, type);
  CHECKS[type as MessageType](value, type);
  return value as unknown as Message;
}
