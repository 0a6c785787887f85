// Kong's per-request metric families (kong/plugins/prometheus/exporter.lua: names, labels, buckets)
// and the caches that let the log handler reach a request's series without building label sets:
// route → its series, then consumer label → series, then status code → counter.
import type { EntityView } from '@tollgate/plugin-sdk';
import type { Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, type CounterSeries, type HistogramSeries } from './families.ts';

/** Kong's KONG_LATENCY_BUCKETS (ms): gateway latency is usually small. */
export const KONG_LATENCY_BUCKETS: readonly number[] = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000];
/** Kong's UPSTREAM_LATENCY_BUCKETS (ms), used for both upstream and whole-request latency. */
export const UPSTREAM_LATENCY_BUCKETS: readonly number[] = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000];

/** Tollgate has one workspace; Kong's label is kept so dashboards written for Kong work unchanged. */
const WORKSPACE = 'default';

/** The series of one consumer label ('' when per_consumer is off or no consumer) on one route. */
export class ConsumerSeries {
  readonly #metrics: RequestMetrics;
  readonly #service: string;
  readonly #route: string;
  readonly #consumer: string;
  /** Status code → counter, for responses the gateway produced ([0]) and the upstream's ([1]). */
  readonly #codes: [Map<number, CounterSeries>, Map<number, CounterSeries>] = [new Map(), new Map()];
  #ingress: CounterSeries | undefined;
  #egress: CounterSeries | undefined;

  constructor(metrics: RequestMetrics, service: string, route: string, consumer: string) {
    this.#metrics = metrics;
    this.#service = service;
    this.#route = route;
    this.#consumer = consumer;
  }

  /** kong_http_requests_total for this status; `fromService` is Kong's source="service" (else "kong"). */
  requests(code: number, fromService: boolean): CounterSeries {
    const byCode = this.#codes[fromService ? 1 : 0];
    let series = byCode.get(code);
    if (series === undefined) {
      series = this.#metrics.requests.series({
        service: this.#service, route: this.#route, code: String(code), source: fromService ? 'service' : 'kong', workspace: WORKSPACE, consumer: this.#consumer,
      });
      byCode.set(code, series);
    }
    return series;
  }

  get ingress(): CounterSeries {
    return (this.#ingress ??= this.#bandwidth('ingress'));
  }

  get egress(): CounterSeries {
    return (this.#egress ??= this.#bandwidth('egress'));
  }

  #bandwidth(direction: 'ingress' | 'egress'): CounterSeries {
    return this.#metrics.bandwidth.series({ service: this.#service, route: this.#route, direction, workspace: WORKSPACE, consumer: this.#consumer });
  }
}

/** Everything recorded for one route (of one config generation: route objects are per config). */
export class RouteSeries {
  readonly #metrics: RequestMetrics;
  readonly service: string;
  readonly route: string;
  #anonymous: ConsumerSeries | undefined;
  #consumers: Map<string, ConsumerSeries> | undefined;
  #request: HistogramSeries | undefined;
  #upstream: HistogramSeries | undefined;
  #kong: HistogramSeries | undefined;

  constructor(metrics: RequestMetrics, service: string, route: string) {
    this.#metrics = metrics;
    this.service = service;
    this.route = route;
  }

  consumer(label: string): ConsumerSeries {
    if (label === '') return (this.#anonymous ??= new ConsumerSeries(this.#metrics, this.service, this.route, ''));
    const consumers = (this.#consumers ??= new Map());
    let series = consumers.get(label);
    if (series === undefined) consumers.set(label, (series = new ConsumerSeries(this.#metrics, this.service, this.route, label)));
    return series;
  }

  get requestLatency(): HistogramSeries {
    return (this.#request ??= this.#metrics.requestLatency.series(this.#latencyLabels()));
  }

  get upstreamLatency(): HistogramSeries {
    return (this.#upstream ??= this.#metrics.upstreamLatency.series(this.#latencyLabels()));
  }

  get kongLatency(): HistogramSeries {
    return (this.#kong ??= this.#metrics.kongLatency.series(this.#latencyLabels()));
  }

  #latencyLabels() {
    return { service: this.service, route: this.route, workspace: WORKSPACE };
  }
}

/**
 * Kong's request metric families, registered in a prom-client registry the first time a prometheus
 * plugin instance is configured (so a node that never enables the plugin exports none of them).
 * @example
 *   const metrics = new RequestMetrics(new Registry());
 *   metrics.attach();
 *   metrics.forRoute(ctx.route, ctx.service).consumer('').requests(200, true).value++;
 */
export class RequestMetrics {
  readonly requests = new CounterFamily('kong_http_requests_total', 'HTTP status codes per consumer/service/route in Kong', ['service', 'route', 'code', 'source', 'workspace', 'consumer']);
  readonly kongLatency = new HistogramFamily('kong_kong_latency_ms', 'Latency added by Kong and enabled plugins for each service/route in Kong', ['service', 'route', 'workspace'], KONG_LATENCY_BUCKETS);
  readonly upstreamLatency = new HistogramFamily('kong_upstream_latency_ms', 'Latency added by upstream response for each service/route in Kong', ['service', 'route', 'workspace'], UPSTREAM_LATENCY_BUCKETS);
  readonly requestLatency = new HistogramFamily('kong_request_latency_ms', 'Total latency incurred during requests for each service/route in Kong', ['service', 'route', 'workspace'], UPSTREAM_LATENCY_BUCKETS);
  readonly bandwidth = new CounterFamily('kong_bandwidth_bytes', 'Total bandwidth (ingress/egress) throughput in bytes', ['service', 'route', 'direction', 'workspace', 'consumer']);
  readonly #registry: Registry;
  #attached = false;
  /** Keyed by the route entity object, which is stable for a config's lifetime and dropped with it. */
  readonly #routes = new WeakMap<object, RouteSeries>();
  readonly #noRoute = {};

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** Registers the families (once). Throws if another RequestMetrics already registered them in that registry. */
  attach(): void {
    if (this.#attached) return;
    for (const family of [this.requests, this.kongLatency, this.upstreamLatency, this.requestLatency, this.bandwidth]) family.registerIn(this.#registry);
    this.#attached = true;
  }

  /** Kong labels a series with the service's name (else its host) and the route's name (else its id). */
  forRoute(route: EntityView | undefined, service: EntityView | undefined): RouteSeries {
    const key = route ?? this.#noRoute;
    let series = this.#routes.get(key);
    if (series === undefined) {
      const serviceLabel = service === undefined ? '' : String(service['name'] ?? service['host'] ?? '');
      const routeLabel = route === undefined ? '' : String(route['name'] ?? route.id);
      series = new RouteSeries(this, serviceLabel, routeLabel);
      this.#routes.set(key, series);
    }
    return series;
  }
}
