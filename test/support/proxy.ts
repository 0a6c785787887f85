// Starts a real data plane on 127.0.0.1 (random ports) from a declarative config, in this process.
import type { AddressInfo } from 'node:net';
import { DataPlane, pluginRegistry, selfSignedCertificate, type ConfigSnapshot, type DataPlaneOptions, type RealIpSettings } from '@tollgate/data-plane';
import type { Logger, PluginDefinition } from '@tollgate/plugin-sdk';
import { bundledPlugins } from '@tollgate/plugins/handlers';
import { bundledPluginSchemas } from '@tollgate/plugins/schemas';
import { EntityPreparer, pluginCatalog } from '@tollgate/schema';
import { loadDeclarative, parseDeclarativeText } from '@tollgate/schema/declarative';

export interface ProxyHarness {
  dp: DataPlane;
  url: string;
  httpsPort: number;
  /** Validates a declarative config (YAML/JSON text or object) exactly as the control plane does, then applies it. */
  apply(config: string | Record<string, unknown>, version?: number): ReturnType<DataPlane['apply']>;
  snapshot(config: string | Record<string, unknown>, version?: number): ConfigSnapshot;
  logs: string[];
  close(): Promise<void>;
}

export async function startProxy(
  config?: string | Record<string, unknown>,
  options: { plugins?: PluginDefinition[]; realIp?: RealIpSettings; headers?: string[]; headersUpstream?: string[]; errorDefaultType?: string; balancer?: DataPlaneOptions['balancer'] } = {},
): Promise<ProxyHarness> {
  const extra = options.plugins ?? [];
  const runtimes = [...bundledPlugins, ...extra];
  const preparer = new EntityPreparer(pluginCatalog([...bundledPluginSchemas.filter((s) => !extra.some((p) => p.schema.name === s.name)), ...extra.map((p) => p.schema)]));
  const logs: string[] = [];
  const log: Logger = {
    debug: () => {},
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m, f) => logs.push(`error ${m} ${JSON.stringify(f ?? {})}`),
  };
  const dp = new DataPlane({
    plugins: pluginRegistry(runtimes),
    listen: [
      { host: '127.0.0.1', port: 0, tls: false },
      { host: '127.0.0.1', port: 0, tls: true },
    ],
    defaultCertificate: await selfSignedCertificate(['default.tollgate.test']),
    realIp: options.realIp,
    headers: options.headers,
    headersUpstream: options.headersUpstream,
    errorDefaultType: options.errorDefaultType,
    balancer: options.balancer,
    log,
  });
  const [http, https] = (await dp.listen()) as [AddressInfo, AddressInfo];
  let counter = 0;
  const snapshot = (cfg: string | Record<string, unknown>, version?: number): ConfigSnapshot => {
    const doc = typeof cfg === 'string' ? parseDeclarativeText(cfg) : cfg;
    return { version: version ?? ++counter, entities: loadDeclarative(doc, preparer).entities };
  };
  const harness: ProxyHarness = {
    dp,
    url: `http://127.0.0.1:${http.port}`,
    httpsPort: https.port,
    apply: (cfg, version) => dp.apply(snapshot(cfg, version)),
    snapshot,
    logs,
    close: () => dp.close(1000),
  };
  if (config !== undefined) {
    const result = harness.apply(config);
    if (!result.ok) throw new Error(result.error);
  }
  return harness;
}
