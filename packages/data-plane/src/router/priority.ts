// Who wins when several routes match: Kong's traditional_compatible priority (kong/router/transform.lua
// `get_priority`, a 64-bit number), compared field by field here, then a deterministic tie-break.
//
// Most significant first:
//   1. match weight: how many of methods, hosts, headers, snis, paths are set
//   2. plain hosts only: hosts set and none is a wildcard
//   3. number of header names (capped at 255)
//   4. a regex path beats a prefix path
//   5. regex_priority (regex paths only; compared as a signed integer)
//   6. prefix length (longer plain prefix wins)
// Kong leaves true ties undefined. Tollgate breaks them by created_at ascending (a missing created_at
// counts as 0, i.e. oldest), then id ascending (string order), then the order routes were given in.

export interface Priority {
  readonly weight: number;
  readonly plainHostsOnly: boolean;
  readonly headerCount: number;
  readonly regex: boolean;
  readonly regexPriority: number;
  readonly prefixLength: number;
  readonly createdAt: number;
  readonly id: string;
  /** Input position of the route, then of the path group within it: the last, total tie-break. */
  readonly seq: number;
}

const MAX_HEADER_COUNT = 255;

export interface PriorityInput {
  readonly hasMethods: boolean;
  readonly hasHosts: boolean;
  readonly plainHostsOnly: boolean;
  readonly headerCount: number;
  readonly hasSnis: boolean;
  /** null when the route has no paths. */
  readonly pathKind: 'prefix' | 'regex' | null;
  readonly prefixLength: number;
  readonly regexPriority: number;
  readonly createdAt: number | null | undefined;
  readonly id: string;
  readonly seq: number;
}

export function priorityOf(p: PriorityInput): Priority {
  const weight =
    Number(p.hasMethods) + Number(p.hasHosts) + Number(p.headerCount > 0) + Number(p.hasSnis) + Number(p.pathKind !== null);
  const regex = p.pathKind === 'regex';
  return {
    weight,
    plainHostsOnly: p.hasHosts && p.plainHostsOnly,
    headerCount: Math.min(p.headerCount, MAX_HEADER_COUNT),
    regex,
    regexPriority: regex ? p.regexPriority : 0,
    prefixLength: p.pathKind === 'prefix' ? p.prefixLength : 0,
    createdAt: p.createdAt ?? 0,
    id: p.id,
    seq: p.seq,
  };
}

/** Negative when `a` wins over `b`: sorting with it puts the best route first. */
export function comparePriority(a: Priority, b: Priority): number {
  return (
    b.weight - a.weight ||
    Number(b.plainHostsOnly) - Number(a.plainHostsOnly) ||
    b.headerCount - a.headerCount ||
    Number(b.regex) - Number(a.regex) ||
    b.regexPriority - a.regexPriority ||
    b.prefixLength - a.prefixLength ||
    a.createdAt - b.createdAt ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
    a.seq - b.seq
  );
}
