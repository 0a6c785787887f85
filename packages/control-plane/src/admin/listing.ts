// Query options for collection endpoints: `size`, `offset`, `tags` — with Kong's error codes.
import { KongError } from '@tollgate/schema';
import type { PageOptions } from '../store/index.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_TAGS = 5;

export function parseListOptions(url: URL): Omit<PageOptions, 'foreign'> {
  const sizeParam = url.searchParams.get('size');
  let size = DEFAULT_PAGE_SIZE;
  if (sizeParam !== null) {
    size = Number(sizeParam);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw new KongError('INVALID_SIZE', `size must be an integer between 1 and ${MAX_PAGE_SIZE}`);
    }
  }
  const offset = url.searchParams.get('offset') ?? undefined;
  return { size, offset, tags: parseTags(url.searchParams.get('tags')) };
}

/** `a,b` = all of them, `a/b` = any of them; at most five; the two separators cannot mix. */
export function parseTags(raw: string | null): PageOptions['tags'] {
  if (raw === null || raw === '') return undefined;
  const and = raw.includes(',');
  const or = raw.includes('/');
  if (and && or) throw new KongError('INVALID_OPTIONS', 'invalid option (tags: invalid filter syntax)', { tags: 'invalid filter syntax' });
  const values = raw.split(and ? ',' : '/').filter((t) => t !== '');
  if (values.length > MAX_TAGS) {
    throw new KongError('INVALID_OPTIONS', `invalid option (tags: cannot query more than ${MAX_TAGS} tags)`, { tags: `cannot query more than ${MAX_TAGS} tags` });
  }
  return { mode: or ? 'or' : 'and', values };
}

/** The `next` link: same path, the new offset, and the size and tags the caller asked for. */
export function nextLink(url: URL, offset: string | undefined): string | null {
  if (offset === undefined) return null;
  const params = new URLSearchParams();
  params.set('offset', offset);
  const size = url.searchParams.get('size');
  if (size !== null) params.set('size', size);
  const tags = url.searchParams.get('tags');
  if (tags !== null) params.set('tags', tags);
  return `${url.pathname}?${params.toString()}`;
}
