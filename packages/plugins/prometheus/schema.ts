// prometheus: exposes request, latency, bandwidth and health metrics for scraping at `/metrics`
// (kong/plugins/prometheus/schema.lua).
import { definePluginSchema } from '@tollgate/schema';
import { Bool, HTTP_PROTOCOLS, record } from '../shared-fields.ts';

export const prometheusSchema = definePluginSchema({
  name: 'prometheus',
  version: '1.0.0',
  priority: 13,
  protocols: HTTP_PROTOCOLS,
  config: record({
    per_consumer: Bool(false, 'Add a `consumer` label to the HTTP metrics.'),
    status_code_metrics: Bool(false, 'Collect `http_requests_total` by status code.'),
    ai_metrics: Bool(false, 'Collect AI request, token and cost metrics.'),
    latency_metrics: Bool(false, 'Collect the request, upstream and gateway latency histograms.'),
    bandwidth_metrics: Bool(false, 'Collect request and response bytes.'),
    upstream_health_metrics: Bool(false, 'Collect upstream target health.'),
    wasm_metrics: Bool(false, 'Collect metrics exported by Wasm filters.'),
  }),
});
