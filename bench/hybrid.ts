// Hybrid mode at scale (issue: hybrid): a control plane built in this process (PGlite store,
// SnapshotSource, DataPlaneRegistry, ClusterServer on 127.0.0.1 with the shared cluster certificate)
// and data planes simulated as real TLS WebSocket clients in two child processes (bench/hybrid-worker.ts),
// so this process's memory is the control plane's alone. Measures, for N services + N routes + N
// consumers + N key-auth credentials:
//   - snapshot build + hash + encode (SnapshotSource.refresh) and the encoded size
//   - the delta frame for one route update (deltaFrom)
//   - propagation: store write committed → every data plane's `applied` ack at the control plane,
//     with 100 and then 1,000 connected data planes
//   - control-plane RSS / heap per connected data plane
//   - a real DataPlane applying the full snapshot and a one-entity delta, with decode + hash check
//   - a cold join: data planes with no config (the real ClusterClient) getting the full snapshot
//   node --expose-gc bench/hybrid.ts [N=10000] [DATA_PLANES=1000] [CHANGES=20]
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inflateRawSync } from 'node:zlib';
import { ClusterServer, DataPlaneRegistry, importConfig, SnapshotSource, validateConfig, type DataPlaneInfo } from '@tollgate/control-plane';
import { migrateUp, openStore } from '@tollgate/control-plane/store';
import { generateClusterCertificates } from '@tollgate/data-plane';
import { configHash, encodeSnapshot } from '@tollgate/protocol';
import { EntityPreparer, entityByName, type EntityRecord } from '@tollgate/schema';
import { bundledPluginCatalog } from '@tollgate/plugins/schemas';
import type { FleetCommand, FleetReply } from './hybrid-worker.ts';
import { generateConfig } from './generate-config.ts';

const n = Number(process.argv[2] ?? 10000);
const fleetMax = Number(process.argv[3] ?? 1000);
const changes = Number(process.argv[4] ?? 20);
const FIRST_FLEET = Math.min(100, fleetMax);
const COLD_JOIN = 10;
const WORKER = join(import.meta.dirname, 'hybrid-worker.ts');
const LIMIT_MS = 25 * 60_000; // the whole run, whatever happens
const ACK_TIMEOUT_MS = 30_000; // per change
const VERSION = '0.1.0';

let gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (m: string) => process.stderr.write(`[hybrid ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const mib = (b: number) => b / 1048576;
const f1 = (x: number) => x.toFixed(1);
const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};


/** The registry as the server uses it, plus the moment each `applied` ack arrived, per config version. */
class TimedRegistry extends DataPlaneRegistry {
  readonly acks = new Map<number, number[]>();
  override upsert(id: string, fields: Partial<DataPlaneInfo>): DataPlaneInfo {
    const now = performance.now();
    // The ack's upsert carries the hash but not `connected` (the hello's does).
    if (fields.config_version !== undefined && fields.config_hash !== undefined && !('connected' in fields)) {
      const list = this.acks.get(fields.config_version);
      if (list === undefined) this.acks.set(fields.config_version, [now]);
      else list.push(now);
    }
    return super.upsert(id, fields);
  }
}

/** The snapshot source as the server uses it, plus when each refresh that built a version started and ended. */
class TimedSnapshotSource extends SnapshotSource {
  readonly builds = new Map<number, { start: number; end: number }>();
  override async refresh() {
    const start = performance.now();
    const before = this.latest?.version;
    const built = await super.refresh();
    if (built !== undefined && built.version !== before && !this.builds.has(built.version)) this.builds.set(built.version, { start, end: performance.now() });
    return built;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-hybrid-'));
const children = new Set<ChildProcess>();
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
const watchdog = setTimeout(() => {
  progress(`gave up after ${LIMIT_MS / 60000} minutes`);
  cleanup();
  process.exit(2);
}, LIMIT_MS);
watchdog.unref();
process.once('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const rows: Array<[string, string]> = [];
const row = (label: string, value: string) => {
  rows.push([label, value]);
  progress(`${label}: ${value}`);
};
const notes: string[] = [];
let errors = 0;
const log = {
  info: () => {},
  error: (m: string, err?: unknown) => {
    errors++;
    progress(`control plane error: ${m} ${(err as Error | undefined)?.message ?? ''}`);
  },
};

function settle(): NodeJS.MemoryUsage {
  gc!();
  gc!();
  return process.memoryUsage();
}

/** One child of simulated data planes, driven over IPC. */
class Fleet {
  readonly child: ChildProcess;
  constructor(port: number, cert: string, key: string, prefix: string) {
    this.child = fork(WORKER, ['fleet'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this.child);
    this.child.send({ type: 'init', port, cert, key, prefix } satisfies FleetCommand);
  }
  ask<T extends FleetReply['type']>(cmd: FleetCommand, type: T, timeoutMs: number): Promise<Extract<FleetReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fleet worker: no '${type}' reply in ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (m: FleetReply) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m as Extract<FleetReply, { type: T }>);
      };
      this.child.on('message', onMessage);
      this.child.send(cmd);
    });
  }
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.ask({ type: 'close' }, 'closed', 10_000).catch(() => this.child.kill('SIGKILL'));
  }
}

async function waitUntil(ok: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

try {
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
  progress(`machine: ${machine}`);

  // ---- control plane: store, import, snapshot ----
  const certs = await generateClusterCertificates();
  const { cert, key } = certs.shared;
  let t = performance.now();
  const { db, store } = await openStore({ dataDir: join(dir, 'pglite') });
  await migrateUp(db);
  progress(`PGlite created and migrated in ${f0(performance.now() - t)} ms`);
  const preparer = new EntityPreparer(bundledPluginCatalog);
  t = performance.now();
  const config = validateConfig(generateConfig(n), preparer);
  const tValidated = performance.now();
  await importConfig(store, config);
  const entityCount = Object.values(config.entities).reduce((a, rs) => a + (rs?.length ?? 0), 0);
  row(`importConfig (PGlite): ${n.toLocaleString('en-US')} services + routes + consumers + key-auth credentials`, `${f0(entityCount)} entities; validate ${f0(tValidated - t)} ms + import ${f0(performance.now() - tValidated)} ms`);

  const snapshots = new TimedSnapshotSource(store, log);
  t = performance.now();
  const base = await snapshots.refresh();
  const firstBuildMs = performance.now() - t;
  if (base === undefined) throw new Error('no snapshot');
  // Re-time the two CPU parts on the same data (warm) to split the build.
  const hashRuns: number[] = [];
  const encodeRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    configHash(base.entities);
    hashRuns.push(performance.now() - t);
    t = performance.now();
    encodeSnapshot(base.version, base.hash, base.entities);
    encodeRuns.push(performance.now() - t);
  }
  const hashMs = pct(hashRuns, 50);
  const encodeMs = pct(encodeRuns, 50);
  row(
    'snapshot build + hash + encode (`SnapshotSource.refresh`, first)',
    `**${f0(firstBuildMs)} ms** (configHash ${f0(hashMs)} ms, encodeSnapshot ${f0(encodeMs)} ms re-timed warm; the rest is reading ${f0(base.count)} rows in one transaction)`,
  );
  const msgpackBytes = inflateRawSync(base.encoded.subarray(1)).length;
  row('snapshot frame (deflated msgpack)', `**${base.encoded.length.toLocaleString('en-US')} bytes = ${(mib(base.encoded.length)).toFixed(2)} MiB** (msgpack before deflate ${f1(mib(msgpackBytes))} MiB)`);

  // ---- one change: the delta frame ----
  const routesDef = entityByName('routes');
  let changeSeq = 0;
  const changeOneRoute = async (): Promise<void> => {
    const routes = snapshots.latest!.entities.routes!;
    const rec = routes[(changeSeq * 7919) % routes.length]! as EntityRecord & { paths?: string[] };
    const i = changeSeq++;
    const updated = await store.update(routesDef, { ...rec, paths: [`/svc/changed-${i}`], updated_at: Math.floor(Date.now() / 1000) });
    if (updated === null) throw new Error('route vanished');
  };
  await changeOneRoute();
  t = performance.now();
  const second = await snapshots.refresh();
  const rebuildMs = performance.now() - t;
  const delta = await snapshots.deltaFrom(base.version);
  if (second === undefined || second.version === base.version || delta === undefined) throw new Error('no delta after one change');
  row('delta frame for one route update (`deltaFrom`)', `**${delta.length} bytes** (${delta[0] === 0 ? 'raw msgpack, under the deflate threshold' : 'deflated'}); snapshot rebuild for it ${f0(rebuildMs)} ms`);

  // What a push to many data planes at one version asks of deltaFrom: one caller, then 100 callers at
  // once for a version nobody asked about yet (the server's push calls it once per connection).
  const deltaCost = async (callers: number) => {
    const from = snapshots.latest!.version;
    await changeOneRoute();
    await snapshots.refresh();
    const started = performance.now();
    await Promise.all(Array.from({ length: callers }, () => snapshots.deltaFrom(from)));
    return performance.now() - started;
  };
  const oneCaller = await deltaCost(1);
  const manyCallers = await deltaCost(100);
  row('`deltaFrom` for a version not yet cached: 1 caller / 100 callers at once', `${f1(oneCaller)} ms / **${f0(manyCallers)} ms**`);

  // ---- data plane: apply the snapshot and the delta (own process) ----
  writeFileSync(join(dir, 'snapshot.bin'), base.encoded);
  writeFileSync(join(dir, 'delta.bin'), delta);
  progress('data plane apply (child process)…');
  const dpOut = execFileSync(process.execPath, ['--expose-gc', WORKER, 'dp-apply', join(dir, 'snapshot.bin'), join(dir, 'delta.bin')], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 20 });
  const dpr = JSON.parse(dpOut.trim().split('\n').pop()!);
  row('DP: decode the snapshot frame (inflate + msgpack + validation) / hash check', `${dpr.decodeMs} ms / ${dpr.hashMs} ms (first: ${dpr.decodeFirstMs} / ${dpr.hashFirstMs} ms)`);
  row(`DP: \`DataPlane.apply\` of the full snapshot (${f0(base.count)} entities)`, `**${dpr.fullApplyFirstMs} ms** first, ${dpr.fullApplyMs} ms again`);
  row(
    `DP: one-entity delta: decode / applyDelta / hash check / \`DataPlane.apply\``,
    `${dpr.deltaDecodeMs} / ${dpr.deltaMergeMs} / ${dpr.deltaHashMs} / **${dpr.deltaApplyMs} ms** (total ${f1(dpr.deltaDecodeMs + dpr.deltaMergeMs + dpr.deltaHashMs + dpr.deltaApplyMs)} ms; DP RSS ${dpr.rssMiB} MiB)`,
  );

  // ---- the cluster listener ----
  const registry = new TimedRegistry();
  const server = new ClusterServer({ db, snapshots, registry, tls: { mode: 'shared', cert, key }, version: VERSION, nodeId: 'bench-cp', log });
  const { port } = await server.listen(0, '127.0.0.1');
  // A second listener on the server's channel: when the commit's NOTIFY reaches this process.
  const notified = new Map<number, number>();
  const unlisten = await db.listen('tollgate_config', (payload) => notified.set(Number(payload), performance.now()));
  const fleets = [new Fleet(port, cert, key, 'dp-a'), new Fleet(port, cert, key, 'dp-b')];
  await sleep(1500); // the children load their modules before the idle figure is taken
  const idle = settle();
  row('CP memory, listening, no data plane (RSS / heap used)', `${f0(mib(idle.rss))} MiB / ${f0(mib(idle.heapUsed))} MiB`);

  const inSync = () => {
    const latest = snapshots.latest!;
    let k = 0;
    for (const p of registry.list()) if (p.connected && p.sync_status === 'in_sync' && p.config_version === latest.version) k++;
    return k;
  };
  /** Opens `total` more data planes, split over the two children; they hello with the version they hold. */
  const connect = async (total: number, kind: 'raw' | 'client', version: number, hash: string) => {
    const started = performance.now();
    const parts = kind === 'client' ? [total, 0] : [Math.ceil(total / 2), Math.floor(total / 2)];
    const replies = await Promise.all(
      fleets.map((fl, i) => (parts[i]! === 0 ? { ok: 0, failed: 0, errors: [] as string[] } : fl.ask({ type: 'open', n: parts[i]!, kind, version, hash, concurrency: 25, timeoutMs: 60_000 }, 'opened', 300_000))),
    );
    const ok = replies.reduce((a, r) => a + r.ok, 0);
    const failed = replies.reduce((a, r) => a + r.failed, 0);
    for (const r of replies) for (const e of r.errors) notes.push(`connect error: ${e}`);
    return { ok, failed, ms: performance.now() - started };
  };

  /** `count` one-route writes; for each, commit → every data plane's ack at the control plane. */
  const propagate = async (expected: number, count: number) => {
    const latencies: number[] = [];
    const builds: number[] = [];
    const firstAcks: number[] = [];
    const phases = { toRefresh: [] as number[], refresh: [] as number[], refreshToFirst: [] as number[], spread: [] as number[] };
    let missing = 0;
    const kinds = new Set<string>();
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      await changeOneRoute();
      const resolved = performance.now();
      const version = await store.configVersion();
      // The NOTIFY is delivered at COMMIT, usually before update() resolves: the earlier of the two.
      const committed = Math.min(resolved, notified.get(version) ?? resolved);
      const done = await waitUntil(() => (registry.acks.get(version)?.length ?? 0) >= expected, ACK_TIMEOUT_MS, 2);
      const acks = registry.acks.get(version) ?? [];
      if (!done) missing += expected - acks.length;
      for (const a of acks) latencies.push(a - committed);
      const first = Math.min(...acks);
      firstAcks.push(first - committed);
      if (snapshots.latest?.version === version) builds.push(snapshots.latest.buildMs);
      const n0 = notified.get(version);
      const b = snapshots.builds.get(version);
      if (n0 !== undefined && b !== undefined) {
        phases.toRefresh.push(b.start - n0);
        phases.refresh.push(b.end - b.start);
        phases.refreshToFirst.push(first - b.end);
        phases.spread.push(Math.max(...acks) - first);
      }
      for (const p of registry.list()) {
        const last = (p as unknown as { last_sync?: { kind: string; bytes: number; version: number } | null }).last_sync;
        if (last?.version === version) {
          kinds.add(last.kind);
          bytes = last.bytes;
        }
      }
      registry.acks.delete(version);
      await sleep(300 + Math.random() * 200);
    }
    return { latencies, builds, firstAcks, phases, missing, kinds: [...kinds].join('+') || '?', bytes };
  };

  const propagationRow = (dps: number, r: Awaited<ReturnType<typeof propagate>>) => {
    row(
      `propagation, ${dps.toLocaleString('en-US')} DPs, ${changes} one-route writes: commit → \`applied\` ack at the CP, p50 / p99 / max`,
      `**${f0(pct(r.latencies, 50))} / ${f0(pct(r.latencies, 99))} / ${f0(Math.max(...r.latencies))} ms** (${r.latencies.length.toLocaleString('en-US')} acks${r.missing > 0 ? `, ${r.missing} missing after ${ACK_TIMEOUT_MS / 1000} s` : ''}; first ack p50 ${f0(pct(r.firstAcks, 50))} ms; snapshot rebuild per write p50 ${f0(pct(r.builds, 50))} ms, max ${f0(Math.max(...r.builds))} ms; sent as ${r.kinds} of ${r.bytes} bytes)`,
    );
    const m = (xs: number[]) => f0(pct(xs, 50));
    const p = r.phases;
    row(
      `… where the time goes, ${dps.toLocaleString('en-US')} DPs (medians)`,
      `NOTIFY → refresh starts ${m(p.toRefresh)} ms (debounce 50); refresh (full snapshot rebuild) ${m(p.refresh)} ms; refresh done → first ack ${m(p.refreshToFirst)} ms; first → last ack ${m(p.spread)} ms`,
    );
  };
  /** Memory after connecting `added` data planes (to `dps`), against the settled figure just before. */
  const memoryRow = (dps: number, added: number, before: NodeJS.MemoryUsage) => {
    const m = settle();
    const per = (a: number, b: number) => f1((a - b) / 1024 / added);
    row(
      `CP memory with ${dps.toLocaleString('en-US')} DPs connected (RSS / heap used); per DP for the ${added.toLocaleString('en-US')} just connected`,
      `${f0(mib(m.rss))} MiB / ${f0(mib(m.heapUsed))} MiB; **+${per(m.rss, before.rss)} KiB RSS**, +${per(m.heapUsed, before.heapUsed)} KiB heap, +${per(m.external + m.arrayBuffers, before.external + before.arrayBuffers)} KiB external per DP`,
    );
  };

  // ---- 100 data planes ----
  const at = snapshots.latest!;
  let c = await connect(FIRST_FLEET, 'raw', at.version, at.hash);
  await waitUntil(() => inSync() >= FIRST_FLEET, 30_000, 20);
  row(`connect ${FIRST_FLEET} DPs (TLS + hello, 2 × 25 handshakes in flight)`, `${f0(c.ms)} ms, ${c.ok} ok, ${c.failed} failed; in sync: ${inSync()}`);
  await sleep(500);
  memoryRow(FIRST_FLEET, FIRST_FLEET, idle);
  progress(`propagation with ${FIRST_FLEET} data planes…`);
  propagationRow(FIRST_FLEET, await propagate(FIRST_FLEET, changes));

  // ---- 1,000 data planes ----
  if (fleetMax > FIRST_FLEET) {
    const more = fleetMax - FIRST_FLEET;
    const now = snapshots.latest!;
    await sleep(500);
    const beforeMore = settle();
    c = await connect(more, 'raw', now.version, now.hash);
    const total = FIRST_FLEET + c.ok;
    await waitUntil(() => inSync() >= total, 60_000, 50);
    row(`connect ${more} more DPs (to ${fleetMax.toLocaleString('en-US')})`, `${f0(c.ms)} ms, ${c.ok} ok, ${c.failed} failed; connected ${server.connected}, in sync ${inSync()}`);
    await sleep(1000);
    memoryRow(server.connected, c.ok, beforeMore);
    progress(`propagation with ${total} data planes…`);
    propagationRow(total, await propagate(total, changes));
    const stats = await Promise.all(fleets.map((fl) => fl.ask({ type: 'stats' }, 'stats', 10_000)));
    notes.push(`fleet children at the end: ${stats.map((s) => `${s.open} open, ${s.closed} closed, RSS ${s.rssMiB} MiB`).join('; ')}`);
  }

  // ---- cold join: real ClusterClients with no config get the full snapshot ----
  {
    const before = server.connected;
    const started = performance.now();
    const r = await connect(COLD_JOIN, 'client', 0, '');
    const ok = await waitUntil(() => inSync() >= before + COLD_JOIN, 120_000, 20);
    row(
      `cold join: ${COLD_JOIN} DPs with no config (ClusterClient: full snapshot, decode, hash check) while ${before.toLocaleString('en-US')} stay connected`,
      `all in sync after ${f0(performance.now() - started)} ms${ok ? '' : ' (timed out)'} (${r.failed} failed to connect; one child process decodes and hashes all ${COLD_JOIN})`,
    );
  }

  const planes = registry.list();
  const stale = planes.filter((p) => p.connected && p.config_version !== snapshots.latest!.version).length;
  notes.push(`registry at the end: ${planes.length} data planes, ${planes.filter((p) => p.connected).length} connected, ${stale} connected but not at version ${snapshots.latest!.version}; control-plane errors logged: ${errors}`);
  notes.push(`CP peak RSS (includes creating the PGlite database in this process): ${f0(process.resourceUsage().maxRSS / 1024)} MiB`);

  await Promise.all(fleets.map((fl) => fl.close()));
  await unlisten();
  await server.close();
  await db.close();

  const date = new Date().toISOString().slice(0, 10);
  const out = [
    '## Hybrid mode',
    '',
    `Machine: ${machine}. Command: \`node --expose-gc bench/hybrid.ts ${n} ${fleetMax} ${changes}\` (= \`npm run bench -- hybrid\`). Measured ${date}.`,
    '',
    '| | figure |',
    '|---|---|',
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
    '',
    ...notes.map((s) => `- ${s}`),
  ];
  console.log(out.join('\n'));
} finally {
  cleanup();
}
// Children are gone and the database closed; do not wait on a stray handle.
process.exit(0);
