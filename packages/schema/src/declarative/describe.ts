// Human names for declarative items in error messages: `route 'users'`, `service at services[3]`,
// `plugin 'jwt' (on route 'users')`.
import { displayName, singular } from './errors.ts';
import type { FlatItem } from './flatten.ts';

/** Where the item sits in the file, e.g. `services[0].routes[2]`. */
export function pathText(item: FlatItem): string {
  return item.path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** `route 'users'` for a named entity, `route at services[0].routes[2]` otherwise. */
export function nameOf(item: FlatItem): string {
  const name = item.def.name === 'plugins' ? undefined : displayName(item);
  return name === undefined ? `${singular(item.def.name)} at ${pathText(item)}` : `${singular(item.def.name)} '${name}'`;
}

/** Where a plugin instance applies: `on service 'a'`, `on route 'r' and consumer 'c'`, or `global`. */
export function pluginScope(item: FlatItem): string {
  const parts: string[] = [];
  for (const field of ['route', 'service', 'consumer']) {
    const ref = item.refs[field];
    if (ref === undefined) continue;
    parts.push(typeof ref === 'string' ? `${field} '${ref}'` : nameOf(ref));
  }
  return parts.length === 0 ? 'global' : `on ${parts.join(' and ')}`;
}

/** The label used in summary messages; plugins are named by plugin name and scope. */
export function labelOf(item: FlatItem): string {
  if (item.def.name !== 'plugins' || !item.wellFormed) return nameOf(item);
  const name = item.input['name'];
  return `plugin '${typeof name === 'string' ? name : '?'}' (${pluginScope(item)})`;
}
