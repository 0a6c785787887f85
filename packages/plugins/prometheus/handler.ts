// prometheus: records each request's status, latencies and bytes into Kong's metric families
// (kong/plugins/prometheus/handler.lua + exporter.lua `log`). Each switch gates what Kong gates:
// status_code_metrics → kong_http_requests_total, latency_metrics → the three latency histograms,
// bandwidth_metrics → kong_bandwidth_bytes, per_consumer → the `consumer` label (the consumer's
// username). upstream_health_metrics is read where /metrics is served, not per request.
//
// What the plugin SDK lets us see, and so what is measured:
// - latencies: `request` is the time from arrival to the log phase; `upstream` runs from this plugin's
//   access handler to the upstream's response headers; `kong` is the rest. A response the gateway
//   made itself (an exit, a 502) has no upstream latency, as in Kong.
// - ingress bytes: the request line and headers as received (rebuilt from the parsed headers, so
//   within a few bytes of the wire) plus the declared body length; a chunked body counts 0.
// - egress bytes: every byte written to the client for the response, status line and headers
//   included (`ctx.response.bytesSent`, Kong's bytes_sent).
import type { PluginContext, PluginHandlers, RequestView } from '@tollgate/plugin-sdk';
import type { RequestMetrics } from './metrics.ts';

export interface PrometheusConfig {
  per_consumer: boolean;
  status_code_metrics: boolean;
  latency_metrics: boolean;
  bandwidth_metrics: boolean;
  upstream_health_metrics: boolean;
}

/** ctx.shared keys for what the access and response handlers measure for the log handler. */
const ACCESS_MS = 'prometheus:access-ms';
const RESPONSE_MS = 'prometheus:response-ms';
const REQUEST_BYTES = 'prometheus:request-bytes';

export function preparePrometheus(raw: Record<string, unknown>): PrometheusConfig {
  return {
    per_consumer: raw['per_consumer'] === true,
    status_code_metrics: raw['status_code_metrics'] === true,
    latency_metrics: raw['latency_metrics'] === true,
    bandwidth_metrics: raw['bandwidth_metrics'] === true,
    upstream_health_metrics: raw['upstream_health_metrics'] === true,
  };
}

/** `METHOD /path?query HTTP/1.1\r\n`, each `name: value\r\n`, the blank line, and the declared body. */
function requestBytes(request: RequestView): number {
  let bytes = request.method.length + 1 + request.path.length + (request.rawQuery === '' ? 0 : request.rawQuery.length + 1) + 11 + 2;
  const headers = request.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') bytes += name.length + value.length + 4;
    else for (const v of value) bytes += name.length + v.length + 4;
  }
  return bytes + (request.contentLength ?? 0);
}

function responseBytes(ctx: PluginContext<PrometheusConfig>): number {
  if (ctx.response.bytesSent !== undefined) return ctx.response.bytesSent;
  const body = ctx.response.body;
  if (body !== undefined) return body.length;
  const length = ctx.response.header('content-length');
  return typeof length === 'string' ? Number(length) || 0 : 0;
}

/** The phase handlers, recording into `metrics`. */
export function prometheusHandlers(metrics: RequestMetrics): PluginHandlers<PrometheusConfig> {
  return {
    access(ctx) {
      const config = ctx.config;
      if (config.latency_metrics) ctx.shared.set(ACCESS_MS, ctx.elapsed());
      // Measured before the proxy adds its forwarding headers (by the log phase they are in place).
      if (config.bandwidth_metrics) ctx.shared.set(REQUEST_BYTES, requestBytes(ctx.request));
    },
    response(ctx) {
      if (ctx.config.latency_metrics) ctx.shared.set(RESPONSE_MS, ctx.elapsed());
    },
    log(ctx) {
      const config = ctx.config;
      const route = metrics.forRoute(ctx.route, ctx.service);
      const fromService = ctx.response.source === 'upstream';
      const consumer = route.consumer(config.per_consumer ? (ctx.consumer?.username ?? '') : '');
      if (config.status_code_metrics) consumer.requests(ctx.response.status, fromService).value++;
      if (config.bandwidth_metrics) {
        // No access mark means an earlier plugin answered: the headers are still the client's.
        const ingress = (ctx.shared.get(REQUEST_BYTES) as number | undefined) ?? requestBytes(ctx.request);
        if (ingress > 0) consumer.ingress.value += ingress;
        const egress = responseBytes(ctx);
        if (egress > 0) consumer.egress.value += egress;
      }
      if (config.latency_metrics) {
        const request = ctx.elapsed();
        route.requestLatency.observe(request);
        const accessMs = ctx.shared.get(ACCESS_MS) as number | undefined;
        const responseMs = ctx.shared.get(RESPONSE_MS) as number | undefined;
        if (fromService && accessMs !== undefined && responseMs !== undefined) {
          const upstream = responseMs - accessMs;
          route.upstreamLatency.observe(upstream);
          route.kongLatency.observe(request - upstream);
        } else {
          route.kongLatency.observe(request);
        }
      }
    },
  };
}
