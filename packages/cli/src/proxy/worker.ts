// A proxy worker process (node:cluster): listens on the shared sockets, applies the snapshots the
// primary sends, drains and exits when told to.
import { DataPlane, RemoteCounterStore } from '@tollgate/data-plane';
import { consoleLogger } from '../logger.ts';
import { loadPluginRuntimes } from './runtime.ts';
import type { PrimaryMessage, ProxySettings, WorkerMessage, WorkerQuestion } from './supervisor.ts';
import { serveWorkerMetrics } from '../metrics.ts';

const settings = JSON.parse(process.env['TOLLGATE_PROXY_SETTINGS'] ?? '{}') as ProxySettings;
const log = consoleLogger(`proxy ${process.pid}`);
// Rate-limit counters live in the primary, so every worker of the node counts against the same numbers.
// A send that fails later is dropped (the callback keeps it from throwing); the call then times out.
const ignore = () => {};
const counters = new RemoteCounterStore((msg) => {
  if (!process.connected) throw new Error('the IPC channel is closed');
  process.send!(msg, undefined, undefined, ignore);
});
process.on('message', (msg: unknown) => counters.receive(msg));
const dp = new DataPlane({ plugins: await loadPluginRuntimes(settings.plugins), listen: settings.listen, defaultCertificate: settings.certificate, realIp: settings.realIp, headers: settings.headers, headersUpstream: settings.headersUpstream, errorDefaultType: settings.errorDefaultType, log, counters });
const send = (msg: PrimaryMessage) => process.send?.(msg);
serveWorkerMetrics(dp);

/**
 * Answers one of the primary's questions. A plugin's control command may throw, be async or return
 * something the IPC cannot copy: the worker then answers with the error rather than going down.
 */
async function answer(msg: WorkerQuestion & { id: number }): Promise<void> {
  let value: unknown;
  try {
    if (msg.type === 'health') value = dp.upstreamHealth();
    else if (msg.type === 'set-health') value = dp.setTargetHealth(msg.upstream, msg.target, msg.healthy, msg.address);
    else value = await dp.pluginControl(msg.plugin, msg.command, msg.args);
    send({ type: 'reply', id: msg.id, value });
  } catch (err) {
    log.error(`could not answer the primary's ${msg.type} request`, { error: String(err) });
    send({ type: 'reply', id: msg.id, value: { error: String(err) } });
  }
}

// prom-client's metric requests share this channel (type 'prom-client:…'); serveWorkerMetrics answers them.
process.on('message', (msg: WorkerMessage) => {
  if (msg.type === 'config') {
    const result = dp.apply(msg.snapshot);
    send(result.ok ? { type: 'applied', version: result.version, ok: true, warnings: result.warnings.length } : { type: 'applied', version: msg.snapshot.version, ok: false, error: result.error });
  } else if (msg.type === 'health' || msg.type === 'plugin-control' || msg.type === 'set-health') {
    void answer(msg);
  } else if (msg.type === 'shutdown') {
    void dp.close().then(() => process.exit(0));
  }
});
// The primary decides when to stop; a Ctrl-C in the terminal reaches every process of the group.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

await dp.listen();
send({ type: 'ready' });
