// Admin API benchmark (issue: foundation): import of a generated declarative file with N services,
// N routes, N consumers with key-auth credentials, on PGlite and on Postgres; paging through it all
// with pages of 1,000; exporting it with GET /config. Each back end runs in its own process.
//   node bench/admin-import.ts [N=10000]
// Postgres: TOLLGATE_BENCH_PG_URL, or a throwaway cluster from the local initdb/pg_ctl.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPgCluster, type PgCluster } from '../test/support/pg-cluster.ts';
import { generateConfig } from './generate-config.ts';

const n = Number(process.argv[2] ?? 10000);


const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-config-'));
const file = join(dir, 'config.json');
writeFileSync(file, generateConfig(n));

let cluster: PgCluster | undefined;
let pgUrl = process.env['TOLLGATE_BENCH_PG_URL'];
if (pgUrl === undefined) {
  cluster = await startPgCluster();
  pgUrl = cluster.url;
}
try {
  const worker = (...args: string[]) => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, 'admin-import-worker.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
    return JSON.parse(out.trim().split('\n').pop()!);
  };
  const pgliteDir = join(dir, 'pglite');
  const init = worker('init-pglite', file, pgliteDir);
  const results = [worker('pglite', file, pgliteDir), worker('postgres', file, pgUrl)];
  console.log(`# Admin API import/page/export, N=${n} (services, routes, consumers, key-auth credentials each)`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
  console.log(`creating a new PGlite database (one-off, own process): peak RSS ${init.initPeakRssMiB} MiB`);
  console.log('| backend | validate ms | import ms | total import ms | peak RSS MiB | page of 1000 p50 ms | max ms | paging all ms | GET /config ms | export MiB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.backend} | ${r.validateMs} | ${r.importMs} | ${r.totalImportMs} | ${r.peakRssMiB} | ${r.pageMsP50} | ${r.pageMsMax} | ${r.pagingTotalMs} | ${r.exportMs} | ${r.exportMiB} |`);
  }
} finally {
  await cluster?.destroy();
  rmSync(dir, { recursive: true, force: true });
}
