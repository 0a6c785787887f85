// Router benchmark: build time and time per match (median over 200 passes, after warm-up) for 10,
// 1,000 and 100,000 routes, against the unindexed linear reference to show what the index buys.
// Per match should stay roughly flat as routes grow.
//   node --expose-gc bench/router.ts [sizes=10,1000,100000]
// Routes are mixed: ~40% exact hosts (about 20 routes per host), ~10% wildcard hosts (`*.x` and `x.*`),
// ~50% host-less; plain prefixes with ~5% regex paths; methods on ~30%, a header on ~10%; plus two
// regexes with no literal start (tried on every host-less request).
import { buildRouter, type MatchInput, type RouteEntity, type Router } from '@tollgate/data-plane/router';
import { buildLinearRouter } from '../packages/data-plane/src/router/linear-router.ts';
import { prng } from '../packages/data-plane/src/router/test-helpers.ts';

const sizes = (process.argv[2] ?? '10,1000,100000').split(',').map(Number);
const gc = (globalThis as { gc?: () => void }).gc;


function base(i: number, fields: Partial<RouteEntity>): RouteEntity {
  return { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, protocols: ['http', 'https'], regex_priority: 0, strip_path: true, preserve_host: false, path_handling: 'v0', https_redirect_status_code: 426, ...fields };
}

interface Workload {
  routes: RouteEntity[];
  hits: MatchInput[];
  misses: MatchInput[];
}

function generate(n: number): Workload {
  const rnd = prng(n);
  const pool = Math.max(1, Math.floor(n / 20));
  const routes: RouteEntity[] = [];
  const hits: MatchInput[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const k = i % pool;
    const hostKind = r < 0.4 ? 'exact' : r < 0.45 ? 'suffix' : r < 0.5 ? 'prefix' : 'none';
    const hosts = { exact: [`svc${k}.example.com`], suffix: [`*.t${k}.example.net`], prefix: [`api${k}.*`], none: null }[hostKind];
    const regex = rnd() < 0.05;
    // Routes with hosts share a small set of paths (the same API on many hosts); host-less ones are unique.
    const stem = hostKind === 'none' ? `/svc${i}` : `/api/v${1 + (i % 3)}/res${i % 200}`;
    const paths = regex ? [`~${stem}/items/(?<id>\\d+)$`] : rnd() < 0.1 ? [stem, `${stem}/extra`] : [stem];
    const methods = rnd() < 0.3 ? (rnd() < 0.7 ? ['GET', 'POST'] : ['PUT']) : null;
    const headers = rnd() < 0.1 ? { 'x-tenant': [`t${i % 7}`] } : null;
    routes.push(base(i, { name: `route-${i}`, hosts, paths, methods, headers, service: { id: 'svc' } }));
    const host = { exact: `svc${k}.example.com`, suffix: `edge.t${k}.example.net`, prefix: `api${k}.example.org`, none: 'www.other.org' }[hostKind];
    hits.push({
      method: methods?.[0] ?? 'GET',
      host: `${host}:8000`,
      path: regex ? `${stem}/items/42` : `${stem}/123`,
      headers: headers === null ? {} : { 'x-tenant': headers['x-tenant'][0] as string, accept: '*/*' },
      port: 8000,
    });
  }
  routes.push(base(n, { name: 'versioned-health', paths: ['~/(?<v>v\\d+)/health'] }));
  routes.push(base(n + 1, { name: 'php', paths: ['~.*\\.php$'] }));
  const misses = Array.from({ length: 1000 }, (_, j): MatchInput => {
    const knownHost = j % 2 === 0 ? `svc${j % pool}.example.com` : `nomatch${j}.example.org`;
    return { method: 'GET', host: knownHost, path: `/nope/${j}/items`, headers: { accept: '*/*' }, port: 8000 };
  });
  const sample: MatchInput[] = [];
  for (let j = 0; j < 1000; j++) sample.push(hits[Math.floor(rnd() * hits.length)] as MatchInput);
  return { routes, hits: sample, misses };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

let sink = 0;

/** Median µs per match over `rounds` passes through `inputs`, after a warm-up. */
function perMatch(router: Router, inputs: MatchInput[], rounds: number, warmupMs: number): number {
  const until = performance.now() + warmupMs;
  while (performance.now() < until) for (const input of inputs) sink += router.match(input) === null ? 0 : 1;
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const input of inputs) sink += router.match(input) === null ? 0 : 1;
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / inputs.length);
  }
  return median(samples);
}

function timeBuild(build: () => Router, times: number): { ms: number; router: Router } {
  const samples: number[] = [];
  let router = build();
  for (let t = 0; t < times; t++) {
    const t0 = performance.now();
    router = build();
    samples.push(performance.now() - t0);
  }
  return { ms: median(samples), router };
}

function heapMiB(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);
const rows: string[] = [];
for (const n of sizes) {
  const w = generate(n);
  const before = heapMiB();
  const { ms, router } = timeBuild(() => buildRouter(w.routes), n >= 100_000 ? 3 : 7);
  const heap = heapMiB() - before;
  const hit = perMatch(router, w.hits, 200, 300);
  const miss = perMatch(router, w.misses, 200, 300);
  // The same 10 requests over and over: the router's data stays in CPU caches, which separates the
  // algorithm's cost from the cache misses of 1,000 different requests spread over a large heap.
  const hot = perMatch(router, Array.from({ length: 1000 }, (_, i) => w.hits[i % 10] as MatchInput), 200, 300);
  const matched = w.hits.filter((h) => router.match(h) !== null).length;
  // The linear reference is O(routes): fewer requests at 100k so the run stays short.
  const linear = buildLinearRouter(w.routes);
  const few = n >= 100_000 ? 50 : w.hits.length;
  const linHit = perMatch(linear, w.hits.slice(0, few), n >= 100_000 ? 3 : 20, 100);
  const linMiss = perMatch(linear, w.misses.slice(0, few), n >= 100_000 ? 3 : 20, 100);
  rows.push(
    `| ${n.toLocaleString('en')} | ${fmt(ms, 1)} ms | ${gc === undefined ? 'n/a' : `${fmt(heap, 1)} MiB`} | ${fmt(hit)} µs | ${fmt(hot)} µs | ${fmt(miss)} µs | ${fmt(linHit)} µs | ${fmt(linMiss)} µs | ${matched}/1000 |`,
  );
  console.error(`done: ${n} routes`);
}
console.log(`Node ${process.version}, ${(await import('node:os')).cpus()[0]?.model ?? '?'} (${(await import('node:os')).cpus().length} cores)`);
console.log('| routes | build | heap | hit (1,000 distinct) | hit (10 hot) | miss | linear hit | linear miss | hits matched |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
if (sink < 0) console.log(sink);
