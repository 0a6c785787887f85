// The version handshake: may this data plane take config from this control plane? Kong's rule
// (kong/clustering/compat/version.lua): same major; a DP minor newer than the CP's is refused because
// the CP cannot know what the DP's newer schemas expect; an older DP minor is fine (the CP withholds what
// it cannot use). Patch levels never matter.
import type { HelloMessage, RefusedMessage } from './messages.ts';

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses `major.minor.patch` with optional `-prerelease` and `+build` (ignored for compatibility); undefined if malformed. */
export function parseSemver(version: string): Semver | undefined {
  const m = SEMVER.exec(version);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export type Negotiation =
  | { ok: true; /** Set when the DP is an older minor: worth an info log, as Kong does. */ notice?: string }
  | { ok: false; refused: RefusedMessage };

function refuse(status: RefusedMessage['status'], reason: string): Negotiation {
  return { ok: false, refused: { type: 'refused', status, reason } };
}

/**
 * Decides whether a data plane may connect. On refusal, send `result.refused` and close.
 *
 * @example
 *   const result = negotiate(hello, { version: TOLLGATE_VERSION, protocol: PROTOCOL_VERSION });
 *   if (!result.ok) { socket.send(encode(result.refused)); socket.close(); return }
 *   if (result.notice !== undefined) log.info(result.notice);
 */
export function negotiate(hello: HelloMessage, cp: { version: string; protocol: number }): Negotiation {
  const cpProtocol = cp.protocol;
  if (hello.protocol !== cpProtocol) {
    return refuse(
      'protocol_incompatible',
      `data plane ${hello.nodeId} speaks protocol ${hello.protocol}, control plane speaks protocol ${cpProtocol}`,
    );
  }
  const mine = parseSemver(cp.version);
  if (mine === undefined) throw new TypeError(`control plane version '${cp.version}' is not a semver (major.minor.patch)`);
  const theirs = parseSemver(hello.version);
  if (theirs === undefined) {
    return refuse('version_incompatible', `data plane ${hello.nodeId} reports version '${hello.version}', which is not a semver (major.minor.patch)`);
  }
  const who = `data plane ${hello.nodeId} (version ${hello.version})`;
  if (theirs.major !== mine.major) {
    return refuse('version_incompatible', `${who} has a different major version than control plane ${cp.version}; majors must match`);
  }
  if (theirs.minor > mine.minor) {
    return refuse(
      'version_incompatible',
      `${who} is newer than control plane ${cp.version}; upgrade the control plane first (a data plane's minor must not exceed the control plane's)`,
    );
  }
  if (theirs.minor < mine.minor) {
    return { ok: true, notice: `${who} is an older minor than control plane ${cp.version}; it refuses a config that uses a plugin it lacks, and the refusal shows in /clustering/data-planes` };
  }
  return { ok: true };
}
