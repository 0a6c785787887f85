import { makeConfig } from './src/test-config.ts';
import { canonicalize, configHash } from './src/index.ts';
import { createHash } from 'node:crypto';
const cfg = makeConfig({ services: 10000, routes: 20000, consumers: 10000 });
const time = (label: string, fn: () => unknown, n = 5) => { let best = Infinity; for (let i = 0; i < n; i++) { const t = performance.now(); fn(); best = Math.min(best, performance.now() - t); } console.log(label, best.toFixed(1), 'ms'); };
time('hash40k', () => configHash(cfg));
time('per-record update', () => { const h = createHash('sha256'); for (const k of ['services','routes','consumers'] as const) for (const r of cfg[k]!) h.update(canonicalize(r)); h.digest('hex'); });
time('canon only', () => { for (const k of ['services','routes','consumers'] as const) for (const r of cfg[k]!) canonicalize(r); });
time('json.stringify only', () => { JSON.stringify(cfg); });
