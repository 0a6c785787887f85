// A proxy worker process (node:cluster): listens on the shared sockets, applies the snapshots the
// primary sends, drains and exits when told to.
import { DataPlane, type ListenAddress, type PemPair } from '@tollgate/data-plane';
import { consoleLogger } from '../logger.ts';
import { loadPluginRuntimes } from './runtime.ts';
import type { PrimaryMessage, WorkerMessage } from './supervisor.ts';

const settings = JSON.parse(process.env['TOLLGATE_PROXY_SETTINGS'] ?? '{}') as { listen: ListenAddress[]; certificate: PemPair; plugins?: string };
const log = consoleLogger(`proxy ${process.pid}`);
const dp = new DataPlane({ plugins: await loadPluginRuntimes(settings.plugins), listen: settings.listen, defaultCertificate: settings.certificate, log });
const send = (msg: PrimaryMessage) => process.send?.(msg);

process.on('message', (msg: WorkerMessage) => {
  if (msg.type === 'config') {
    const result = dp.apply(msg.snapshot);
    send(result.ok ? { type: 'applied', version: result.version, ok: true, warnings: result.warnings.length } : { type: 'applied', version: msg.snapshot.version, ok: false, error: result.error });
  } else if (msg.type === 'shutdown') {
    void dp.close().then(() => process.exit(0));
  }
});
// The primary decides when to stop; a Ctrl-C in the terminal reaches every process of the group.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

await dp.listen();
send({ type: 'ready' });
