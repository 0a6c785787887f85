// One measured run of the Admin API benchmark in a fresh process (so peak RSS is this run's alone):
// import a generated declarative file, page through everything, export it. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { createAdminApi, importConfig, validateConfig } from '@tollgate/control-plane';
import { migrateUp, openStore } from '@tollgate/control-plane/store';
import { EntityPreparer } from '@tollgate/schema';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';

const [backend, file, target] = process.argv.slice(2) as ['pglite' | 'postgres' | 'init-pglite', string, string];

// Creating a PGlite database runs initdb inside WASM, a one-off memory spike (~1.1 GiB) that has nothing
// to do with the import; like `npm start` on a new machine, it happens in its own process first.
if (backend === 'init-pglite') {
  const { db } = await openStore({ dataDir: target });
  await migrateUp(db);
  await db.close();
  console.log(JSON.stringify({ initPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  process.exit(0);
}
const { db, store } = await openStore(backend === 'pglite' ? { dataDir: target } : { pgUrl: target });
await migrateUp(db);
const preparer = new EntityPreparer(bundledPluginCatalog);

const text = readFileSync(file, 'utf8');
const t0 = performance.now();
const config = validateConfig(text, preparer);
const t1 = performance.now();
await importConfig(store, config);
const t2 = performance.now();
const importRss = process.resourceUsage().maxRSS * 1024;

const api = createAdminApi({ store, preparer, node: { version: 'bench', nodeId: 'bench', role: 'traditional', configuration: {} }, logger: { error: () => {}, info: () => {} } });
const { port } = await api.listen(0);
const pageTimes: number[] = [];
let rows = 0;
const tPage0 = performance.now();
for (const collection of ['services', 'routes', 'consumers', 'key-auths']) {
  let path: string | null = `/${collection}?size=1000`;
  while (path !== null) {
    const s = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const body = (await res.json()) as { data: unknown[]; next: string | null };
    pageTimes.push(performance.now() - s);
    rows += body.data.length;
    path = body.next;
  }
}
const tPage1 = performance.now();
const tExport0 = performance.now();
const exported = await fetch(`http://127.0.0.1:${port}/config`);
const exportBytes = (await exported.arrayBuffer()).byteLength;
const tExport1 = performance.now();
await api.close();
await db.close();

pageTimes.sort((a, b) => a - b);
const pct = (p: number) => pageTimes[Math.min(pageTimes.length - 1, Math.floor((p / 100) * pageTimes.length))]!;
console.log(
  JSON.stringify({
    backend,
    validateMs: Math.round(t1 - t0),
    importMs: Math.round(t2 - t1),
    totalImportMs: Math.round(t2 - t0),
    peakRssMiB: Math.round(importRss / 1048576),
    pages: pageTimes.length,
    rowsPaged: rows,
    pageMsP50: +pct(50).toFixed(1),
    pageMsMax: +pageTimes[pageTimes.length - 1]!.toFixed(1),
    pagingTotalMs: Math.round(tPage1 - tPage0),
    exportMs: Math.round(tExport1 - tExport0),
    exportMiB: +(exportBytes / 1048576).toFixed(1),
    finalPeakRssMiB: Math.round((process.resourceUsage().maxRSS * 1024) / 1048576),
  }),
);
