import { definePlugin, type PluginDefinition } from '@tollgate/plugin-sdk';
import { register, type Registry } from 'prom-client';
import { preparePrometheus, prometheusHandlers, type PrometheusConfig } from './handler.ts';
import { RequestMetrics } from './metrics.ts';
import { prometheusSchema } from './schema.ts';

/**
 * A prometheus plugin recording into `registry`. The bundled one (the default export) records into
 * prom-client's default registry: the one a data plane's `/metrics` serves, and the one prom-client's
 * cluster aggregation reads in each proxy worker. Give a test its own registry to keep gateways apart.
 * @example
 *   const registry = new Registry();
 *   await startProxy(config, { plugins: [createPrometheusPlugin(registry)] });
 *   const text = await registry.metrics();
 */
export function createPrometheusPlugin(registry: Registry = register): PluginDefinition<PrometheusConfig> {
  const metrics = new RequestMetrics(registry);
  return definePlugin<PrometheusConfig>({
    schema: prometheusSchema,
    prepare(config) {
      metrics.attach();
      return preparePrometheus(config);
    },
    handlers: prometheusHandlers(metrics),
  });
}

export default createPrometheusPlugin();
