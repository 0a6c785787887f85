// Data-plane footprint: memory and apply time of a config with N services, each with one route
// (hosts, prefixes, some regexes), loaded through the same validation a control plane runs.
//   node --expose-gc bench/dp-memory.ts [N=10000]
import { DataPlane, pluginRegistry } from '@tollgate/data-plane';
import { bundledPlugins } from '@tollgate/plugins/handlers';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import { EntityPreparer } from '@tollgate/schema';
import { loadDeclarative } from '@tollgate/schema/declarative';

const n = Number(process.argv[2] ?? 10000);
const gc = (globalThis as { gc?: () => void }).gc;
const settle = () => {
  gc?.();
  gc?.();
  return process.memoryUsage();
};

const services = [];
for (let i = 0; i < n; i++) {
  const route: Record<string, unknown> = { name: `r${i}`, paths: [i % 20 === 0 ? `~/v${i}/items/\\d+$` : `/svc${i}`] };
  if (i % 3 === 0) route['hosts'] = [`api${i % 100}.example.com`];
  if (i % 7 === 0) route['methods'] = ['GET', 'POST'];
  services.push({ name: `s${i}`, url: `http://10.0.${(i >> 8) & 255}.${i & 255}:8080/base`, routes: [route] });
}
const entities = loadDeclarative({ _format_version: '3.0', services }, new EntityPreparer(bundledPluginCatalog)).entities;
const log = { debug() {}, info() {}, warn() {}, error() {} };
const before = settle();
const dp = new DataPlane({ plugins: pluginRegistry(bundledPlugins), listen: [], log });
const t0 = performance.now();
const first = dp.apply({ version: 1, entities });
const t1 = performance.now();
const after = settle();
const second = dp.apply({ version: 2, entities });
const t2 = performance.now();
const steady = settle();
if (!first.ok || !second.ok) throw new Error('apply failed');
const mib = (b: number) => (b / 1048576).toFixed(1);
console.log(`data plane with ${n} services + ${n} routes (node ${process.version}, gc ${gc ? 'forced' : 'not exposed: run with --expose-gc'})`);
console.log(`apply (build router, balancers, chains): first ${(t1 - t0).toFixed(0)} ms, again ${(t2 - t1).toFixed(0)} ms`);
console.log(`heap used by the config: ${mib(after.heapUsed - before.heapUsed)} MiB; after a second apply and gc: ${mib(steady.heapUsed - before.heapUsed)} MiB; process RSS ${mib(steady.rss)} MiB`);
