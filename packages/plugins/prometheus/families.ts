// Counter and histogram families for the request path. A series is a few plain numbers that the log
// handler bumps; they become prom-client's metric JSON only when scraped. prom-client's own Counter and
// Histogram re-hash the label set on every inc/observe (even through `labels()` children), so recording
// through them costs a string build per metric per request; here a cached series costs a field update.
//
// A family implements the part of prom-client's metric interface that Registry (text output, merge)
// and AggregatorRegistry (summing the workers of a node:cluster) use: name, help, type, aggregator, get().
import type { Aggregator, Metric, Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

/** One sample as prom-client's registries read it. */
interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

export class CounterSeries {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) {
    this.labels = labels;
  }
}

export class HistogramSeries {
  readonly labels: Labels;
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot counts those above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // Prometheus buckets are "less than or equal": a value on a bound belongs to that bound's bucket.
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

abstract class Family<S extends { readonly labels: Labels }> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator: Aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  /** Series by label values, so a series outlives config changes that rebuild the caches pointing at it. */
  readonly #series = new Map<string, S>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** The series for `labels` (which must name every label, in `labelNames` order); created on first use. */
  series(labels: Labels): S {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, (series = this.create(labels)));
    return series;
  }

  protected abstract create(labels: Labels): S;
  protected abstract samples(series: S, out: Sample[]): void;

  /** prom-client's metric read (Registry.metrics / getMetricsAsJSON call it per scrape). */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: Aggregator; values: Sample[] }> {
    const values: Sample[] = [];
    for (const series of this.#series.values()) this.samples(series, values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Adds this family to `registry`; prom-client types only its own classes, hence the cast. */
  registerIn(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }
}

export class CounterFamily extends Family<CounterSeries> {
  readonly type = 'counter';

  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }

  protected samples(series: CounterSeries, out: Sample[]): void {
    out.push({ value: series.value, labels: series.labels });
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = 'histogram';
  readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, labelNames);
    this.bounds = bounds;
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  protected samples(series: HistogramSeries, out: Sample[]): void {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    for (let i = 0; i < series.bounds.length; i++) {
      cumulative += series.counts[i]!;
      out.push({ metricName: bucket, value: cumulative, labels: { ...series.labels, le: series.bounds[i]! } });
    }
    out.push({ metricName: bucket, value: series.count, labels: { ...series.labels, le: '+Inf' } });
    out.push({ metricName: `${this.name}_sum`, value: series.sum, labels: series.labels });
    out.push({ metricName: `${this.name}_count`, value: series.count, labels: series.labels });
  }
}
