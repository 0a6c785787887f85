// `npm run bench`: every benchmark of this repository, one after the other. Figures go to bench/RESULTS.md by hand,
// with the machine and the command. Pass a name to run one: `npm run bench -- admin-import`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHES: Record<string, string[]> = {
  'admin-import': [join(import.meta.dirname, 'admin-import.ts')],
  router: [join(import.meta.dirname, 'router.ts')],
  'dp-memory': ['--expose-gc', join(import.meta.dirname, 'dp-memory.ts')],
  hybrid: ['--expose-gc', join(import.meta.dirname, 'hybrid.ts')],
};
// The proxy against nginx, haproxy and the Node peers needs wrk/nginx/haproxy and ~8 minutes:
//   GATEWAY_CMD="bash $PWD/bench/gateway.sh" GATEWAY_NAME=tollgate bash ../shared/bench/peers.sh

const only = process.argv[2];
for (const [name, args] of Object.entries(BENCHES)) {
  if (only !== undefined && only !== name) continue;
  console.log(`\n== ${name}`);
  const res = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
