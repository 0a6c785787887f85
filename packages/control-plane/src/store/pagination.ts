// Page tokens: opaque to clients, Kong-shaped (base64 of a JSON array holding the last id of the page).
import { isUuid, KongError } from '@tollgate/schema';

export function encodeOffset(lastId: string): string {
  return Buffer.from(JSON.stringify([lastId]), 'utf8').toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** The id a page continues after; KongError INVALID_OFFSET for anything that is not our token. */
export function decodeOffset(token: string): string {
  const invalid = (why: string) => new KongError('INVALID_OFFSET', `'${token}' is not a valid offset: ${why}`);
  if (token === '' || !BASE64.test(token)) throw invalid('bad base64 encoding');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalid('bad json encoding');
  }
  if (!Array.isArray(value) || value.length !== 1 || !isUuid(value[0])) throw invalid('bad json encoding');
  return value[0];
}
