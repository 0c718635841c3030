import { ALERT_THRESHOLDS, ANOMALY_SERIES, type Inventory } from '@nocai/contract';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import type { StateStore } from '../domain/state';
import type { MetricSample } from '../adapters/influx/metricSource';
import type { AnomalyScore, SeriesDetector } from '../domain/timeseries/seriesDetector';
import type { AnomalyAlarmRecord } from '../domain/timeseries/anomalyEvidence';

export type { AnomalyScore, SeriesDetector };

export interface MetricSampleSource {
  /** Samples with fromUs < time ≤ toUs in time order. */
  read(fromUs: number, toUs: number): Promise<MetricSample[]>;
}

interface SeriesState<S> {
  /** Time of the newest sample seen (µs). */
  lastUs: number;
  /** Time of the first sample of the current model (µs). */
  firstUs?: number;
  /** A counter's last raw total, to turn the next one into a rate. */
  lastRaw?: number;
  model: S;
  /** Consecutive scores at or above the alert threshold. */
  above: number;
  alarmed: boolean;
  /** Time (µs) of the episode's last alarm point. */
  lastAlarmUs?: number;
}

export interface MetricStageState<S> {
  /** Every sample at or before this time (µs) is scored and committed. */
  watermarkUs: number;
  series: Record<string, SeriesState<S>>;
}

/**
 * The persisted state: this head under METRIC_STAGE_STATE_KEY, and the series' models in `shards`
 * keys of the head's generation (shardKey). A commit writes the shards of the next generation
 * under the other parity's keys, then the head: a crash in between leaves the head naming the
 * previous generation, whose shards are untouched. (Shards keep each saved JSON value far below
 * V8's string limit: 50,000 series of about 50 KB would not fit in one.)
 */
interface SavedHead {
  version: 2;
  watermarkUs: number;
  generation: number;
  shards: number;
}

interface SavedShard {
  generation: number;
  series: Record<string, SeriesState<unknown>>;
}

/** Version 1 saved the whole state, models included, under METRIC_STAGE_STATE_KEY. */
type SavedVersionOne = MetricStageState<unknown>;

/** Series per shard: about 100 MB of JSON for the anomaly detector's day-long windows. */
const SERIES_PER_SHARD = 2000;

const shardKey = (generation: number, shard: number) =>
  `${METRIC_STAGE_STATE_KEY}-${generation % 2 ? 'b' : 'a'}-${shard}`;

export interface MetricStageOptions {
  /** Largest time span read and scored in one tick. */
  windowMs: number;
  /**
   * Smallest: new samples wait until this much time has passed since the watermark, so that the
   * models are saved once a minute, not at every poll.
   */
  minWindowMs: number;
  settleMs: number;
  startLookbackMs: number;
  /** A series silent for longer starts a new model (a host replaced, a sensor moved). */
  maxGapMs: number;
  /** A series silent for longer is forgotten (bounded state when hosts come and go). */
  forgetAfterMs: number;
  /**
   * Samples are scored per bucket of this length (the mean of a gauge, the last total of a
   * counter, at the bucket's end), so that a model's windows mean the same time span whatever
   * Telegraf's interval (10 s by default); 0 scores every sample.
   */
  resolutionMs: number;
  /** A new series is learnt this long before its scores are written (a day holds its daily pattern). */
  learnMs: number;
  /** Scores ≥ ALERT_THRESHOLDS.anomalyScore this many samples in a row open an anomaly episode. */
  alarmSamples: number;
  /**
   * While an episode goes on (until the score falls under half the threshold), an alarm point again this often:
   * the incident it joined stays active instead of resolving for quiet while the metric is still wrong.
   */
  alarmRepeatMs: number;
  /**
   * The models are saved at most this often (0: after every window). Points are written and flushed
   * every window; a restart replays from the last save, rewriting the same points (idempotent), and
   * alarms it pushes again are dropped by the evidence queue. At 50,000 series the state is gigabytes:
   * saving it every minute would cost more than scoring.
   */
  checkpointMs: number;
  /**
   * Peer consensus: when, in one bucket, at least this many hosts of a site deviate the same way on
   * the same metric (score ≥ half the alert threshold, the level that keeps an episode open), and
   * they are at least `peerFraction` of the site's hosts scored on that metric in the bucket, the
   * deviation is the site's routine (a shift starting, the heating's schedule), not a device's fault:
   * each of those samples is scored on what it shows beyond the median of the other hosts' scores
   * (SeriesDetector.discount), and the episode logic and the written score use that. 0: off.
   */
  peerMinHosts: number;
  peerFraction: number;
}

export const DEFAULT_METRIC_STAGE_OPTIONS: MetricStageOptions = {
  windowMs: 2 * 3_600_000,
  minWindowMs: 60_000,
  resolutionMs: 60_000,
  learnMs: 24 * 3_600_000,
  settleMs: 5_000,
  startLookbackMs: 6 * 3_600_000,
  maxGapMs: 6 * 3_600_000,
  forgetAfterMs: 7 * 86_400_000,
  alarmSamples: 5,
  alarmRepeatMs: 15 * 60_000,
  checkpointMs: 10 * 60_000,
  peerMinHosts: 3,
  peerFraction: 0.5,
};

/** A series' anomaly episode just started: evidence for the incident engine. */
export type AnomalyAlarm = AnomalyAlarmRecord;

export type SkipReason = 'not_a_number' | 'counter_reset' | 'out_of_order';

export interface MetricStageHooks {
  onBatch?(info: {
    samples: number;
    scored: number;
    series: number;
    seconds: number;
    watermarkUs: number;
    alarms: number;
  }): void;
  onSkipped?(reason: SkipReason, sample: MetricSample): void;
  /** The anomaly episodes opened (or still going on) in a window, once its points are flushed. */
  onAlarms?(alarms: AnomalyAlarm[]): void;
}

export const METRIC_STAGE_STATE_KEY = 'metric-stage';

/**
 * Scores every configured Telegraf series with an online detector and writes one aiops_anomalies
 * point per scored sample. The same exactly-once discipline as the log stage: a tick reads the
 * samples of (watermark, watermark + window], scores them from the committed models, writes and
 * flushes the points, and only then saves the new watermark with the models (one atomic state,
 * SavedHead), at most every `checkpointMs`. A crash before a save replays the windows since the
 * last one from the same models, rewriting the same points.
 *
 * Each series' model only knows its own past: on a new installation's first Monday it has learnt a
 * weekend, and every machine of a factory starting its shift at once looks anomalous (and a day of
 * learning cannot teach how much the morning ramp varies from day to day). So a bucket's samples are
 * judged against their site's peers before any episode goes on (peerRoutines, options.peerMinHosts):
 * a deviation that most of a site's devices share in the same bucket is the site's routine and is
 * discounted by their median; a device deviating alone, against calm peers, or far beyond them,
 * keeps its score. Peers are the samples of one bucket, so the rule needs `resolutionMs` > 0 (or
 * synchronised timestamps) and an inventory (a host outside it has no site). A real site-wide event
 * (the cooling of a hall failing) is then scored on what each device shows beyond the others: it
 * stays visible in the points, which keep the detector's own score (`raw_score`) and how many hosts
 * deviated (`peers_deviating`), for a site-level panel or rule. This is the live stage's alone:
 * `nocai anomalies` scores one series at a time.
 */
export class MetricStage<S> {
  private state: MetricStageState<S> | undefined;
  private startUs: number | undefined;
  /** The watermark and generation of the last save. */
  private saved = { watermarkUs: Number.NEGATIVE_INFINITY, generation: 0 };

  constructor(
    private readonly deps: {
      source: MetricSampleSource;
      sink: PointSink;
      store: StateStore;
      clock: Clock;
      detector: SeriesDetector<S>;
      inventory?: Inventory;
      options: MetricStageOptions;
      hooks?: MetricStageHooks;
    }
  ) {}

  get watermarkUs(): number | undefined {
    return this.state?.watermarkUs;
  }

  /** Series currently modelled. */
  get seriesCount(): number {
    return Object.keys(this.state?.series ?? {}).length;
  }

  /** Bytes the models hold in memory (undefined when the detector cannot tell). */
  get modelBytes(): number | undefined {
    const { bytes } = this.deps.detector;
    if (!bytes) return undefined;
    return Object.values(this.state?.series ?? {}).reduce((sum, s) => sum + bytes(s.model), 0);
  }

  /** Saves the models now if windows were scored since the last save (a clean shutdown). */
  async checkpoint(): Promise<void> {
    if (this.state && this.state.watermarkUs > this.saved.watermarkUs) await this.save(this.state);
  }

  /**
   * Scores at most one window. Returns 1 when more complete windows are waiting (the scheduler
   * then runs the next tick at once), 0 when the stage has caught up.
   */
  async tick(): Promise<number> {
    const started = process.hrtime.bigint();
    const { source, clock, options } = this.deps;
    const committed = await this.loadState();
    const limitUs = (clock.nowMs() - options.settleMs) * 1000;
    if (limitUs - committed.watermarkUs < Math.max(1, options.minWindowMs * 1000)) return 0;
    const resolutionUs = options.resolutionMs * 1000;
    let upperUs = Math.min(limitUs, committed.watermarkUs + options.windowMs * 1000);
    // Whole buckets only: a bucket is scored once, when its time span is complete.
    if (resolutionUs > 0) upperUs = Math.floor(upperUs / resolutionUs) * resolutionUs;
    if (upperUs <= committed.watermarkUs) return 0;
    const read = await source.read(committed.watermarkUs, upperUs);
    const samples = resolutionUs > 0 ? bucketed(read, resolutionUs) : read;

    // The models are updated in place (a copy of every series' windows at each tick cost more than
    // scoring them): when the write or the save fails, they are dropped, and the next tick reloads
    // the committed ones from the store.
    const series: Record<string, SeriesState<S>> = committed.series;
    try {
      return await this.score(samples, series, upperUs, limitUs, started);
    } catch (error) {
      this.state = undefined;
      throw error;
    }
  }

  private async score(
    samples: MetricSample[],
    series: Record<string, SeriesState<S>>,
    upperUs: number,
    limitUs: number,
    started: bigint
  ): Promise<number> {
    const { sink, store, detector, options } = this.deps;
    const resolutionUs = options.resolutionMs * 1000;
    const sites = indexDevices(this.deps.inventory);
    const points: SeriesPoint[] = [];
    const alarms: AnomalyAlarm[] = [];
    // Samples are scored bucket by bucket (one time: the bucket's end), so that each is judged
    // against its site's peers at the same time before its episode goes on.
    let bucket: Array<Scored<S>> = [];
    const judgeBucket = () => {
      this.judge(bucket, sites, points, alarms);
      bucket = [];
    };
    for (const sample of samples) {
      if (bucket.length && sample.timeUs !== bucket[0].sample.timeUs) judgeBucket();
      const key = `${sample.metric}|${sample.host}|${sample.instance}`;
      let s = series[key];
      if (s && sample.timeUs <= s.lastUs) {
        this.deps.hooks?.onSkipped?.('out_of_order', sample);
        continue;
      }
      if (sample.value === null || !Number.isFinite(sample.value)) {
        this.deps.hooks?.onSkipped?.('not_a_number', sample);
        continue;
      }
      if (!s || sample.timeUs - s.lastUs > options.maxGapMs * 1000) {
        s = { lastUs: sample.timeUs, firstUs: sample.timeUs, model: detector.create(), above: 0, alarmed: false };
        series[key] = s;
        if (sample.counter) {
          s.lastRaw = sample.value;
          continue;
        }
      }
      let value = sample.value;
      if (sample.counter) {
        const previous = s.lastRaw ?? value;
        const seconds = (sample.timeUs - s.lastUs) / 1e6;
        s.lastRaw = sample.value;
        s.lastUs = sample.timeUs;
        if (sample.value < previous) {
          // The counter restarted (a reboot): the first rate after it is unknown, not a drop.
          this.deps.hooks?.onSkipped?.('counter_reset', sample);
          continue;
        }
        value = seconds > 0 ? (sample.value - previous) / seconds : 0;
      }
      s.lastUs = sample.timeUs;
      const score = detector.update(s.model, sample.timeUs / 1000, value);
      if (!score || ![score.score, score.expected, score.lower, score.upper].every(Number.isFinite)) continue;
      // Still learning: a model that has not seen a day cannot tell the morning rush from an anomaly.
      if (sample.timeUs - (s.firstUs ?? s.lastUs) < options.learnMs * 1000) continue;
      bucket.push({ sample, s, value, score });
    }
    judgeBucket();
    for (const [key, s] of Object.entries(series)) {
      if (upperUs - s.lastUs > options.forgetAfterMs * 1000) delete series[key];
    }

    await sink.write(points);
    await sink.flush();
    const next: MetricStageState<S> = { watermarkUs: upperUs, series };
    if (upperUs - this.saved.watermarkUs >= options.checkpointMs * 1000) await this.save(next);
    this.state = next;
    if (alarms.length) this.deps.hooks?.onAlarms?.(alarms);
    this.deps.hooks?.onBatch?.({
      samples: samples.length,
      scored: points.length,
      series: Object.keys(series).length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      watermarkUs: upperUs,
      alarms: alarms.length,
    });
    return limitUs - upperUs >= Math.max(resolutionUs, options.minWindowMs * 1000, 1) ? 1 : 0;
  }

  /**
   * One bucket's scored samples: the peer consensus (options.peerMinHosts), then each series'
   * episode on the resulting score, and its point.
   */
  private judge(
    bucket: ReadonlyArray<Scored<S>>,
    sites: Map<string, { site: string; deviceKind: string }>,
    points: SeriesPoint[],
    alarms: AnomalyAlarm[]
  ): void {
    const { detector, options } = this.deps;
    const routines = peerRoutines(bucket, sites, options);
    const discount = detector.discount ?? ((score: number, routine: number) => Math.max(0, score - routine));
    bucket.forEach(({ sample, s, value, score: raw }, i) => {
      const routine = routines[i];
      const score = routine ? { ...raw, score: discount(raw.score, routine.score) } : raw;
      // A series that only faults one way (a disk filling, not one cleaned up) opens no episode the other way.
      const harmful =
        sample.alarmOn === undefined || (sample.alarmOn === 'rise' ? value > score.expected : value < score.expected);
      s.above = harmful && score.score >= ALERT_THRESHOLDS.anomalyScore ? s.above + 1 : 0;
      let alarm = false;
      const repeat =
        s.alarmed &&
        harmful &&
        score.score >= ALERT_THRESHOLDS.anomalyScore / 2 &&
        sample.timeUs - (s.lastAlarmUs ?? 0) >= options.alarmRepeatMs * 1000;
      if ((s.above >= options.alarmSamples && !s.alarmed) || repeat) {
        s.alarmed = true;
        s.lastAlarmUs = sample.timeUs;
        alarm = true;
        alarms.push({
          timeUs: sample.timeUs,
          host: sample.host,
          deviceKind: sites.get(sample.host)?.deviceKind ?? '',
          metric: sample.metric,
          instance: sample.instance,
          value,
          expected: score.expected,
          lower: score.lower,
          upper: score.upper,
          score: score.score,
          modelVersion: detector.version,
        });
      } else if (s.alarmed && score.score < ALERT_THRESHOLDS.anomalyScore / 2) {
        s.alarmed = false;
      }
      const peers = routine && { rawScore: raw.score, deviating: routine.deviating };
      points.push(anomalyPoint(sample, value, score, detector, sites.get(sample.host), alarm, peers));
    });
  }

  private async save(state: MetricStageState<S>): Promise<void> {
    const { store, detector } = this.deps;
    const encode = detector.encode ?? ((model: S) => model);
    const keys = Object.keys(state.series);
    const shards = Math.max(1, Math.ceil(keys.length / SERIES_PER_SHARD));
    const generation = this.saved.generation + 1;
    for (let shard = 0; shard < shards; shard++) {
      const series: SavedShard['series'] = {};
      for (const key of keys.slice(shard * SERIES_PER_SHARD, (shard + 1) * SERIES_PER_SHARD)) {
        const s = state.series[key];
        series[key] = { ...s, model: encode(s.model) };
      }
      await store.save<SavedShard>(shardKey(generation, shard), { generation, series });
    }
    await store.save<SavedHead>(METRIC_STAGE_STATE_KEY, {
      version: 2,
      watermarkUs: state.watermarkUs,
      generation,
      shards,
    });
    this.saved = { watermarkUs: state.watermarkUs, generation };
  }

  private async loadState(): Promise<MetricStageState<S>> {
    if (this.state) return this.state;
    const { store, detector } = this.deps;
    const decode = detector.decode ?? ((model: unknown) => model as S);
    const head = await store.load<SavedHead | SavedVersionOne>(METRIC_STAGE_STATE_KEY);
    const start = (this.deps.clock.nowMs() - this.deps.options.startLookbackMs) * 1000;
    // Before the first save, a reload after a failure starts where the first tick did.
    this.startUs ??= start;
    const series: Record<string, SeriesState<S>> = {};
    let saved: Record<string, SeriesState<unknown>> = {};
    if (head && 'series' in head) {
      saved = head.series;
    } else if (head) {
      for (let shard = 0; shard < head.shards; shard++) {
        const part = await store.load<SavedShard>(shardKey(head.generation, shard));
        if (part?.generation !== head.generation) {
          throw new Error(
            `metric stage state is inconsistent: shard ${shard} of generation ${head.generation} is missing or stale; ` +
              `delete the ${METRIC_STAGE_STATE_KEY}* state files to start the models afresh`
          );
        }
        Object.assign(saved, part.series);
      }
    }
    for (const [key, s] of Object.entries(saved)) series[key] = { ...s, model: decode(s.model) };
    const watermarkUs = head?.watermarkUs ?? this.startUs;
    this.saved = { watermarkUs, generation: head && !('series' in head) ? head.generation : 0 };
    this.state = { watermarkUs, series };
    return this.state;
  }
}

/** A sample of the bucket being scored, before the peer consensus and its episode. */
interface Scored<S> {
  sample: MetricSample;
  s: SeriesState<S>;
  value: number;
  score: AnomalyScore;
}

/**
 * The peer consensus of one bucket (MetricStageOptions.peerMinHosts): for each sample that deviates
 * the same way as enough of its site's hosts (of its kind, or of any kind) on the same metric, the
 * routine its score is discounted by, the median of the other deviating hosts' scores (a host counts
 * once, by its highest score, whatever its instances), and how many hosts deviated; undefined for
 * the others. A host outside the
 * inventory has no site, hence no peers. A device that deviates alone (or against calm peers, or the
 * other way) keeps its score; one that deviates far more than its peers keeps what its score shows
 * beyond theirs, so it still pages.
 */
function peerRoutines<S>(
  bucket: ReadonlyArray<Scored<S>>,
  sites: Map<string, { site: string; deviceKind: string }>,
  options: Pick<MetricStageOptions, 'peerMinHosts' | 'peerFraction'>
): Array<{ score: number; deviating: number } | undefined> {
  const routines: Array<{ score: number; deviating: number } | undefined> = new Array(bucket.length);
  if (options.peerMinHosts <= 0) return routines;
  // Two cohorts: the site's devices of the same kind (PLCs among PLCs: a shift start moves the
  // machines, not the room sensors beside them, which would outvote them), then all of its devices
  // (a site's four network devices are too few of each kind). The first that agrees is used.
  const cohorts = [new Map<string, number[]>(), new Map<string, number[]>()];
  bucket.forEach(({ sample }, i) => {
    const device = sites.get(sample.host);
    if (!device?.site) return;
    const keys = [`${device.site}|${device.deviceKind}|${sample.metric}`, `${device.site}||${sample.metric}`];
    keys.forEach((key, c) => {
      const members = cohorts[c].get(key);
      if (members) members.push(i);
      else cohorts[c].set(key, [i]);
    });
  });
  const groups = cohorts.flatMap((cohort) => [...cohort.values()]);
  // "Deviating": the level at which an open episode stays open, so that peers whose ramp is a
  // minute late or a little smaller still count.
  const deviatingScore = ALERT_THRESHOLDS.anomalyScore / 2;
  for (const members of groups) {
    if (members.length < options.peerMinHosts) continue;
    const hosts = new Set(members.map((i) => bucket[i].sample.host)).size;
    for (const direction of [1, -1]) {
      // Each deviating host's highest score this way.
      const byHost = new Map<string, number>();
      for (const i of members) {
        const { sample, value, score } = bucket[i];
        if (score.score < deviatingScore || Math.sign(value - score.expected) !== direction) continue;
        byHost.set(sample.host, Math.max(byHost.get(sample.host) ?? 0, score.score));
      }
      const deviating = byHost.size;
      if (deviating < options.peerMinHosts || deviating < options.peerFraction * hosts) continue;
      const sorted = [...byHost.values()].sort((a, b) => a - b);
      for (const i of members) {
        const own = byHost.get(bucket[i].sample.host);
        const { value, score } = bucket[i];
        if (
          own === undefined ||
          routines[i] ||
          score.score < deviatingScore ||
          Math.sign(value - score.expected) !== direction
        )
          continue;
        routines[i] = { score: medianWithout(sorted, sorted.indexOf(own)), deviating };
      }
    }
  }
  return routines;
}

/** The median of a sorted array without its element at index k. */
function medianWithout(sorted: readonly number[], k: number): number {
  const n = sorted.length - 1;
  const at = (r: number) => sorted[r < k ? r : r + 1];
  return n % 2 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
}

function indexDevices(inventory: Inventory | undefined): Map<string, { site: string; deviceKind: string }> {
  return new Map((inventory?.devices ?? []).map((d) => [d.host, { site: d.site, deviceKind: d.kind }]));
}

function anomalyPoint(
  sample: MetricSample,
  value: number,
  score: AnomalyScore,
  detector: SeriesDetector<unknown>,
  device: { site: string; deviceKind: string } | undefined,
  alarm: boolean,
  peers?: { rawScore: number; deviating: number }
): SeriesPoint {
  const { tags, fields } = ANOMALY_SERIES;
  const point: SeriesPoint = {
    measurement: ANOMALY_SERIES.measurement,
    tags: {
      [tags.host]: sample.host,
      [tags.site]: device?.site ?? '',
      [tags.deviceKind]: device?.deviceKind ?? '',
      [tags.metric]: sample.metric,
      [tags.detector]: detector.name,
      [tags.instance]: sample.instance,
    },
    fields: {
      [fields.score]: round(score.score, 4),
      [fields.value]: value,
      [fields.expected]: round(score.expected, 6),
      [fields.lower]: round(score.lower, 6),
      [fields.upper]: round(score.upper, 6),
      [fields.modelVersion]: detector.version,
    },
    timeUs: sample.timeUs,
  };
  if (alarm) point.fields[fields.alarm] = true;
  if (peers) {
    point.fields[fields.rawScore] = round(peers.rawScore, 4);
    point.fields[fields.peersDeviating] = peers.deviating;
  }
  return point;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * One sample per series and bucket, in time order: a gauge's mean, a counter's last total, dated
 * at the bucket's end. Missing values are left out of the mean (a bucket of only missing values
 * stays missing, so the stage counts it as skipped).
 */
function bucketed(samples: readonly MetricSample[], resolutionUs: number): MetricSample[] {
  const buckets = new Map<string, { sample: MetricSample; sum: number; n: number; last: number | null }>();
  for (const sample of samples) {
    const endUs = (Math.floor((sample.timeUs - 1) / resolutionUs) + 1) * resolutionUs;
    const key = `${sample.metric}|${sample.host}|${sample.instance}|${endUs}`;
    let b = buckets.get(key);
    if (!b) {
      b = { sample: { ...sample, timeUs: endUs }, sum: 0, n: 0, last: null };
      buckets.set(key, b);
    }
    if (sample.value !== null && Number.isFinite(sample.value)) {
      b.sum += sample.value;
      b.n++;
      b.last = sample.value;
    }
  }
  const out = [...buckets.values()].map(({ sample, sum, n, last }) => ({
    ...sample,
    value: n === 0 ? null : sample.counter ? last : sum / n,
  }));
  return out.sort(
    (a, b) =>
      a.timeUs - b.timeUs ||
      (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0) ||
      (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) ||
      (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0)
  );
}
