import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one backend process (served on /metrics). */
export class Metrics {
  readonly registry = new Registry();
  readonly linesRead = new Counter({
    name: 'nocai_pipeline_lines_read_total',
    help: 'Input points read by a pipeline stage',
    labelNames: ['stage'],
    registers: [this.registry],
  });
  readonly pointsWritten = new Counter({
    name: 'nocai_pipeline_points_written_total',
    help: 'Result points written to InfluxDB by a pipeline stage',
    labelNames: ['stage', 'measurement'],
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'nocai_pipeline_batches_total',
    help: 'Pipeline batches by outcome (ok, error)',
    labelNames: ['stage', 'outcome'],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'nocai_pipeline_batch_duration_seconds',
    help: 'Time to read, process, write and commit one batch',
    labelNames: ['stage'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  /** Sources of the lag gauge, read at every scrape: a stalled stage shows a growing lag. */
  private readonly lagSources = new Map<string, () => number | undefined>();
  readonly lagSeconds = new Gauge({
    name: 'nocai_pipeline_lag_seconds',
    help: 'Now minus the watermark of a stage, at the time of the scrape',
    labelNames: ['stage'],
    registers: [this.registry],
    collect: () => {
      for (const [stage, lag] of this.lagSources) {
        const seconds = lag();
        if (seconds !== undefined) this.lagSeconds.set({ stage }, seconds);
      }
    },
  });
  readonly deadLetterPoints = new Counter({
    name: 'nocai_dead_letter_points_total',
    help: 'Points InfluxDB refused, written to the dead-letter file instead, by cause',
    labelNames: ['measurement', 'cause'],
    registers: [this.registry],
  });
  readonly samplesSkipped = new Counter({
    name: 'nocai_metric_samples_skipped_total',
    help: 'Metric samples the metric stage could not score, by reason (not_a_number, counter_reset, out_of_order)',
    labelNames: ['metric', 'reason'],
    registers: [this.registry],
  });
  readonly seriesModelled = new Gauge({
    name: 'nocai_metric_series_modelled',
    help: 'Metric series with an anomaly model in the metric stage',
    registers: [this.registry],
  });
  readonly influxWriteSeconds = new Histogram({
    name: 'nocai_influx_write_duration_seconds',
    help: 'Duration of one InfluxDB /write request',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly modelFailures = new Counter({
    name: 'nocai_model_failures_total',
    help: 'Times a serving model failed on a request (model: mttr, router): its fallback answered, or a corrected ticket kept its previous estimate',
    labelNames: ['model'],
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: 'nocai_http_request_duration_seconds',
    help: 'HTTP API request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** The lag of `stage` is `lag()` seconds at every scrape (undefined: no watermark yet). */
  watchLag(stage: string, lag: () => number | undefined): void {
    this.lagSources.set(stage, lag);
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'nocai_' });
  }
}
