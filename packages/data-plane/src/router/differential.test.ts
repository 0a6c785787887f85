// The index must never change an answer: random route sets and requests, indexed vs linear reference.
import { describe, expect, it } from 'vitest';
import { buildRouter } from './index.ts';
import { buildLinearRouter } from './linear-router.ts';
import { prng, req, route } from './test-helpers.ts';
import type { MatchInput, RouteEntity } from './types.ts';


const HOSTS = ['a.com', 'B.a.com', '*.a.com', 'a.*', 'c.org:8000', '*x.com', '[::1]'];
const PATHS = ['/', '/a', '/ab', '/abc', '/a/b', '/b', '~/a/\\d+', '~/(a|b)', '~/a', '~(?i)/AB', '~/a|/b', '~/(?<n>[a-c])b'];
const METHODS = [null, ['GET'], ['POST', 'GET']];
const HEADERS: (Record<string, string[]> | null)[] = [null, { 'x-a': ['1'] }, { 'X-A': ['1', '~*^2'], 'x-b': ['y'] }];
const SNIS = [null, ['a.com'], ['*.a.com']];

const REQ_HOSTS = ['a.com', 'b.a.com:8000', 'x.B.a.com', 'a.org', 'c.org', 'zx.com', 'nothing', '[::1]:80'];
const REQ_PATHS = ['/', '/a', '/a/1', '/ab', '/abc/d', '/b', '/AB', '/a/../b', '/c', '//a/b'];
const REQ_HEADERS = [{}, { 'x-a': '1' }, { 'x-a': '2x', 'x-b': 'Y' }, { 'x-a': ['3', '1'], 'x-b': 'y' }];
const REQ_SNIS = [undefined, 'a.com', 'q.a.com', ''];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

function subset<T>(rnd: () => number, list: readonly T[], max: number): T[] | null {
  const n = Math.floor(rnd() * (max + 1));
  if (n === 0) return rnd() < 0.5 ? null : [];
  return Array.from({ length: n }, () => pick(rnd, list));
}

function randomRoutes(rnd: () => number, count: number): RouteEntity[] {
  return Array.from({ length: count }, (_, i) =>
    route({
      id: `id-${Math.floor(rnd() * 1000)}-${i}`,
      name: `r${i}`,
      hosts: subset(rnd, HOSTS, 2),
      paths: subset(rnd, PATHS, 3) ?? ['/'],
      methods: pick(rnd, METHODS),
      headers: pick(rnd, HEADERS),
      snis: pick(rnd, SNIS),
      regex_priority: Math.floor(rnd() * 3),
      created_at: Math.floor(rnd() * 4),
    }),
  );
}

function randomRequest(rnd: () => number): MatchInput {
  return req({
    method: pick(rnd, ['GET', 'POST', 'PUT']),
    host: pick(rnd, REQ_HOSTS),
    port: pick(rnd, [80, 8000]),
    path: pick(rnd, REQ_PATHS),
    headers: pick(rnd, REQ_HEADERS),
    sni: pick(rnd, REQ_SNIS),
  });
}

describe('indexed router agrees with the linear reference', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: 200 route sets × 100 requests', (seed) => {
    const rnd = prng(seed);
    for (let set = 0; set < 200; set++) {
      const routes = randomRoutes(rnd, 1 + Math.floor(rnd() * 12));
      const indexed = buildRouter(routes);
      const linear = buildLinearRouter(routes);
      for (let n = 0; n < 100; n++) {
        const input = randomRequest(rnd);
        const a = indexed.match(input);
        const b = linear.match(input);
        const view = (m: typeof a) => (m === null ? null : { id: m.route.id, path: m.matchedPath, captures: m.captures });
        expect(view(a), JSON.stringify({ routes, input })).toEqual(view(b));
      }
    }
  });
});
