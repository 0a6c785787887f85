// Child process of bench/hybrid.ts, so the control plane's process is measured alone. Two roles:
//   fleet     simulated data planes over real TLS WebSockets with the shared client certificate, driven
//             over IPC: `raw` ones (hello with the version they hold, then decode every config frame
//             and ack it as applied, no apply) and `client` ones (the real ClusterClient, which decodes
//             and verifies the hash of every snapshot and delta; its apply just resolves ok).
//   dp-apply  a real DataPlane (no listeners) applying the snapshot frame and then a one-entity delta
//             frame, both read from files the parent wrote; prints one JSON line.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { applyDelta, configHash, decode, encode, PROTOCOL_VERSION, type ControlPlaneMessage, type Entities } from '@tollgate/protocol';
import { ClusterClient, DataPlane, pluginRegistry } from '@tollgate/data-plane';
import { bundledPlugins } from '@tollgate/plugins/handlers';

const VERSION = '0.1.0';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

export type FleetCommand =
  | { type: 'init'; port: number; cert: string; key: string; prefix: string }
  | { type: 'open'; n: number; kind: 'raw' | 'client'; version: number; hash: string; concurrency: number; timeoutMs: number }
  | { type: 'stats' }
  | { type: 'close' };

export type FleetReply =
  | { type: 'opened'; ok: number; failed: number; errors: string[]; ms: number }
  | { type: 'stats'; open: number; closed: number; acked: number; refused: number; rssMiB: number }
  | { type: 'closed' };

const role = process.argv[2];
if (role === 'dp-apply') await dpApply(process.argv[3]!, process.argv[4]!);
else if (role === 'fleet') fleet();
else throw new Error(`unknown role ${role}`);

function fleet(): void {
  let init: Extract<FleetCommand, { type: 'init' }> | undefined;
  const raws: WebSocket[] = [];
  const clients: ClusterClient[] = [];
  let seq = 0;
  let closed = 0;
  let acked = 0;
  let refused = 0;
  const reply = (m: FleetReply) => process.send!(m);
  // Never outlive the parent.
  process.on('disconnect', () => process.exit(0));

  const openRaw = (version: number, hash: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const { port, cert, key, prefix } = init!;
      const nodeId = `${prefix}-${seq++}`;
      const ws = new WebSocket(`wss://127.0.0.1:${port}/v1/outlet`, {
        cert,
        key,
        ca: cert,
        rejectUnauthorized: true,
        // Shared mode pins the certificate; the name is not checked (as ClusterClient does).
        checkServerIdentity: (() => undefined) as unknown as () => boolean,
        handshakeTimeout: timeoutMs,
      });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no welcome in time'));
      }, timeoutMs);
      ws.on('open', () => {
        ws.send(encode({ type: 'hello', protocol: PROTOCOL_VERSION, nodeId, hostname: 'bench', version: VERSION, labels: {}, plugins: [], configVersion: version, configHash: hash }));
      });
      ws.on('message', (data: Buffer) => {
        let msg: ControlPlaneMessage;
        try {
          msg = decode(data, { from: 'control_plane' });
        } catch (err) {
          process.stderr.write(`bad frame from the control plane: ${(err as Error).message}\n`);
          return;
        }
        if (msg.type === 'welcome') {
          clearTimeout(timer);
          raws.push(ws);
          resolve();
        } else if (msg.type === 'refused') {
          refused++;
          clearTimeout(timer);
          reject(new Error(msg.reason));
        } else if (msg.type === 'delta' || msg.type === 'snapshot') {
          acked++;
          ws.send(encode({ type: 'applied', version: msg.version, hash: msg.hash, applyMs: 0 }));
        }
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', () => {
        closed++;
        clearTimeout(timer);
        reject(new Error('closed before welcome'));
      });
    });

  const openClient = (timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const { port, cert, key, prefix } = init!;
      const client = new ClusterClient({
        controlPlane: `127.0.0.1:${port}`,
        tls: { mode: 'shared', cert, key },
        nodeId: `${prefix}-${seq++}`,
        version: VERSION,
        plugins: [],
        apply: async () => {
          acked++;
          return { ok: true, applyMs: 0 };
        },
        log: quiet,
      });
      clients.push(client);
      client.start();
      const started = Date.now();
      const poll = setInterval(() => {
        if (client.state === 'connected') {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new Error(`link ${client.state} after ${timeoutMs} ms`));
        }
      }, 5);
    });

  process.on('message', async (cmd: FleetCommand) => {
    switch (cmd.type) {
      case 'init':
        init = cmd;
        return;
      case 'open': {
        const started = performance.now();
        let ok = 0;
        let failed = 0;
        const errors: string[] = [];
        let next = 0;
        // A bounded number of handshakes in flight, like a fleet that does not all start in the same ms.
        const lane = async () => {
          while (next < cmd.n) {
            next++;
            try {
              await (cmd.kind === 'raw' ? openRaw(cmd.version, cmd.hash, cmd.timeoutMs) : openClient(cmd.timeoutMs));
              ok++;
            } catch (err) {
              failed++;
              if (errors.length < 5) errors.push((err as Error).message);
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(cmd.concurrency, cmd.n) }, lane));
        reply({ type: 'opened', ok, failed, errors, ms: performance.now() - started });
        return;
      }
      case 'stats':
        reply({ type: 'stats', open: raws.filter((w) => w.readyState === WebSocket.OPEN).length + clients.filter((c) => c.state === 'connected').length, closed, acked, refused, rssMiB: Math.round(process.memoryUsage().rss / 1048576) });
        return;
      case 'close':
        for (const ws of raws) ws.terminate();
        await Promise.all(clients.map((c) => c.stop()));
        reply({ type: 'closed' });
        process.exit(0);
    }
  });
}

async function dpApply(snapshotFile: string, deltaFile: string): Promise<void> {
  const snapshotFrame = readFileSync(snapshotFile);
  const deltaFrame = readFileSync(deltaFile);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const time = <T>(fn: () => T): [T, number] => {
    const t = performance.now();
    const v = fn();
    return [v, performance.now() - t];
  };

  // Client side of a full snapshot: decode (inflate + msgpack + message validation), then the hash check.
  const decodeMs: number[] = [];
  const hashMs: number[] = [];
  let base: { version: number; hash: string; entities: Entities } | undefined;
  for (let i = 0; i < 3; i++) {
    const [msg, d] = time(() => decode(snapshotFrame, { from: 'control_plane' }));
    if (msg.type !== 'snapshot') throw new Error(`expected a snapshot, got ${msg.type}`);
    const [hash, h] = time(() => configHash(msg.entities));
    if (hash !== msg.hash) throw new Error('snapshot hash mismatch');
    decodeMs.push(d);
    hashMs.push(h);
    base = { version: msg.version, hash: msg.hash, entities: msg.entities };
  }
  const dp = new DataPlane({ plugins: pluginRegistry(bundledPlugins), listen: [], log: quiet });
  const check = (r: ReturnType<DataPlane['apply']>) => {
    if (!r.ok) throw new Error(`apply failed: ${r.error}`);
  };
  const [first, fullFirstMs] = time(() => dp.apply({ version: base!.version, entities: base!.entities }));
  check(first);
  const fullAgainMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [r, ms] = time(() => dp.apply({ version: base!.version, entities: base!.entities }));
    check(r);
    fullAgainMs.push(ms);
  }

  // A one-entity delta on top of that snapshot: decode, applyDelta, hash check, then apply the result
  // (each time on top of the base config in force, as a data plane at the base version would).
  const deltaDecodeMs: number[] = [];
  const deltaMergeMs: number[] = [];
  const deltaHashMs: number[] = [];
  const deltaApplyMs: number[] = [];
  let changes = 0;
  for (let i = 0; i < 5; i++) {
    check(dp.apply({ version: base!.version, entities: base!.entities }));
    const [msg, d] = time(() => decode(deltaFrame, { from: 'control_plane' }));
    if (msg.type !== 'delta' || msg.from !== base!.version) throw new Error('expected a delta from the snapshot version');
    changes = msg.changes.length;
    const [next, m] = time(() => applyDelta(base!.entities, msg.changes));
    const [hash, h] = time(() => configHash(next));
    if (hash !== msg.hash) throw new Error('delta hash mismatch');
    const [r, a] = time(() => dp.apply({ version: msg.version, entities: next }));
    check(r);
    deltaDecodeMs.push(d);
    deltaMergeMs.push(m);
    deltaHashMs.push(h);
    deltaApplyMs.push(a);
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      snapshotBytes: snapshotFrame.length,
      deltaBytes: deltaFrame.length,
      deltaChanges: changes,
      decodeFirstMs: round(decodeMs[0]!),
      decodeMs: round(median(decodeMs)),
      hashFirstMs: round(hashMs[0]!),
      hashMs: round(median(hashMs)),
      fullApplyFirstMs: round(fullFirstMs),
      fullApplyMs: round(median(fullAgainMs)),
      deltaDecodeMs: round(median(deltaDecodeMs)),
      deltaMergeMs: round(median(deltaMergeMs)),
      deltaHashMs: round(median(deltaHashMs)),
      deltaApplyMs: round(median(deltaApplyMs)),
      rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    }),
  );
  await dp.close(0);
}
