// `npm run bench`: the benchmarks of this repository, one after the other. Figures go to bench/RESULTS.md by hand,
// with the machine and the command. Pass a name to run one: `npm run bench -- admin-import`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const here = import.meta.dirname;
const node = (...args: string[]) => [process.execPath, ...args];
const peersSh = process.env['PEERS_SH'] ?? join(here, '..', '..', 'shared', 'bench', 'peers.sh');

interface Bench {
  command: string[];
  env?: Record<string, string>;
  /** Runs only when named: it needs wrk/nginx/haproxy or takes a long time. */
  onlyWhenNamed?: boolean;
}

const BENCHES: Record<string, Bench> = {
  'admin-import': { command: node(join(here, 'admin-import.ts')) },
  router: { command: node(join(here, 'router.ts')) },
  'dp-memory': { command: node('--expose-gc', join(here, 'dp-memory.ts')) },
  hybrid: { command: node('--expose-gc', join(here, 'hybrid.ts')) },
  // The proxy against nginx, haproxy and the Node peers in one run (~8 minutes; ../shared/bench/README.md).
  proxy: {
    command: ['bash', peersSh],
    env: { GATEWAY_CMD: `bash ${join(here, 'gateway.sh')}`, GATEWAY_NAME: 'tollgate', NODE24: process.execPath },
    onlyWhenNamed: true,
  },
  // Each bundled plugin's cost on the proxy path (~30 minutes with RUNS=3).
  plugins: { command: ['bash', join(here, 'plugins.sh')], env: { NODE24: process.execPath }, onlyWhenNamed: true },
  // Two builds side by side on one core: A_CMD and B_CMD (see bench/ab.sh).
  ab: { command: ['bash', join(here, 'ab.sh')], env: { NODE24: process.execPath }, onlyWhenNamed: true },
};

const only = process.argv[2];
if (only !== undefined && !(only in BENCHES)) {
  console.error(`no benchmark named '${only}'; one of: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
for (const [name, bench] of Object.entries(BENCHES)) {
  if (only !== undefined ? only !== name : bench.onlyWhenNamed === true) continue;
  console.log(`\n== ${name}`);
  const [command, ...args] = bench.command as [string, ...string[]];
  const res = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...bench.env } });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
