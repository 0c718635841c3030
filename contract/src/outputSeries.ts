/**
 * Tags and fields of the model-output series whose measurement names are declared in `OUTPUT`
 * (series.ts): anomalies, forecasts, maintenance, model metrics and drift. The provisioned
 * dashboards and alert rules query exactly these names; the backend stages that write them
 * (issue 5 onwards) must use them too.
 *
 * Tags are small closed sets. `host` is a tag here (unlike in aiops_tickets/aiops_silences)
 * because several hosts are scored at the same timestamp: with host as a field their points
 * would share series key and time and overwrite each other. Its cardinality is the one
 * Telegraf already gives the input measurements.
 */
import { OUTPUT, SILENCE_SERIES } from './series';

/** aiops_anomalies: one point per scored (host, metric) sample. */
export const ANOMALY_SERIES = {
  measurement: OUTPUT.anomalies.measurement,
  tags: {
    host: 'host',
    site: 'site',
    deviceKind: 'device_kind',
    /** `<input measurement>.<field>`, e.g. `cpu.usage_user`, `sensors.temperature_c`. */
    metric: 'metric',
    /** Algorithm that scored the point, e.g. `mad`, `mstl`. */
    detector: 'detector',
    /** Which of a host's disks (path), interfaces or CPUs; absent for per-host metrics. */
    instance: 'instance',
  },
  fields: {
    /** Anomaly score in [0, 1]; 1 is certainly anomalous. */
    score: 'score',
    value: 'value',
    expected: 'expected',
    lower: 'lower',
    upper: 'upper',
    modelVersion: 'model_version',
    /** true on the sample that opened an anomaly episode (the score stayed high several samples). */
    alarm: 'alarm',
    /**
     * Only on a sample whose score the live stage discounted because its site's peers deviated the
     * same way at the same time (a shift start, not a device fault): the detector's own score.
     */
    rawScore: 'raw_score',
    /** ...and how many hosts of the site deviated that way in that bucket, the sample's own included. */
    peersDeviating: 'peers_deviating',
  },
} as const;

/**
 * aiops_forecasts: two kinds of point, told apart by `target`.
 *
 * Ticket volume (`target` = `tickets`): one point per forecast step at the future timestamp the
 * step starts, per department (no `site` tag) and per site (no `department` tag), at `step` = `1h`
 * (the next 48 hours) and `1d` (the next 14 UTC days). Each run overwrites the steps it forecasts
 * (same tags and timestamp), so a step in the future holds the latest forecast and a step in the
 * past the last one issued before it began; `issued_at_ms` says which run that was. Bounds are
 * whole numbers of tickets; `predicted` is the expected count, so sums over steps are expected totals.
 *
 * Time until a metric crosses its threshold (`target` = the metric, `disk.used_percent`,
 * `sensors.temperature_c`): one point per series and run, at the run's time, tagged with `host`
 * and `instance` (the disk path; empty for sensors). `crosses_at_ms` and `eta_s` are present when
 * the trend reaches `threshold` within the horizon (`eta_s` = 0: already there); absent, the trend
 * does not get there. The newest point of a series is the current estimate
 * (`GROUP BY "host", "instance" ORDER BY time DESC LIMIT 1`).
 */
export const FORECAST_SERIES = {
  measurement: OUTPUT.forecasts.measurement,
  tags: {
    /** What is forecast: `tickets` (ticket volume per step), or a metric `measurement.field`. */
    target: 'target',
    site: 'site',
    department: 'department',
    /** Ticket volume: the length of a step, `1h` or `1d`. */
    step: 'step',
    /** Time to threshold: the host and the instance (disk path) of the metric's series. */
    host: 'host',
    instance: 'instance',
  },
  fields: {
    predicted: 'predicted',
    /** Bounds of the prediction interval whose coverage is `level` (e.g. 0.95). */
    lower: 'lower',
    upper: 'upper',
    level: 'level',
    modelVersion: 'model_version',
    /** Epoch ms of the run that wrote the point. */
    issuedAtMs: 'issued_at_ms',
    /** Time to threshold: the threshold, when it is reached (epoch ms) and how long until then (s). */
    threshold: 'threshold',
    crossesAtMs: 'crosses_at_ms',
    etaSeconds: 'eta_s',
    /** Bounds of the `level` interval of eta_s. */
    etaLowerSeconds: 'eta_lower_s',
    etaUpperSeconds: 'eta_upper_s',
  },
} as const;

/** aiops_maintenance: predicted equipment failures, one point per host and evaluation. */
export const MAINTENANCE_SERIES = {
  measurement: OUTPUT.maintenance.measurement,
  tags: { host: 'host', site: 'site', deviceKind: 'device_kind' },
  fields: {
    /** Probability in [0, 1] that the device fails within `horizon_h` hours. */
    failureProbability: 'failure_probability',
    horizonHours: 'horizon_h',
    /** The sensor/metric that contributed most, e.g. `sensors.vibration_mm_s`. */
    topFactor: 'top_factor',
    /**
     * JSON array of the sensors that moved the risk most, `[{feature, value, weight}]`: the
     * sensor's last value and its exact SHAP contribution to the log-odds of failure (issue 12).
     */
    topFactors: 'top_factors',
    modelVersion: 'model_version',
    /** true on the point where the risk crossed the alert threshold (and hourly while it stays there). */
    alarm: 'alarm',
    /**
     * Expected hours until the device halts, from the remaining-life model trained with the failure
     * model; absent when the models folder has none. Capped at 48 h: a value at the cap means "at
     * least 48 h" (a device that shows no sign of failing), never an estimate of how much longer.
     */
    remainingLifeHours: 'remaining_life_h',
    /** Lower bound (P10) of the remaining life, hours: about 10% of devices halt sooner. Capped like it. */
    remainingLifeP10Hours: 'remaining_life_p10_h',
    /** Upper bound (P90) of the remaining life, hours; at the cap (48 h) it means "at least 48 h". */
    remainingLifeP90Hours: 'remaining_life_p90_h',
  },
} as const;

/**
 * aiops_problems: predictive alert problems served (issue 12), one point per problem, entity and
 * evaluated step, at the step's end (the prediction time). `entity` is the value of the problem's
 * entity tag (Telegraf's `host` by default): bounded like the input series it comes from.
 * `department`, `priority`, `explanation` and `recommendation` are written on alert points only.
 */
export const PROBLEM_SERIES = {
  measurement: OUTPUT.problems.measurement,
  tags: { problem: 'problem', entity: 'entity', modelVersion: 'model_version' },
  fields: {
    /** Calibrated probability in [0, 1] that the event starts within `horizon_h`. */
    probability: 'probability',
    /** The model's alert threshold: an alert when `probability` is at least this. */
    threshold: 'threshold',
    /** true on the point where the probability crossed the threshold (and again every `alertRepeat` while it stays there). */
    alert: 'alert',
    horizonHours: 'horizon_h',
    /** Median lead time of the model's alerts before the event on its validation period, hours. */
    leadTimeHours: 'lead_time_h',
    /** The input (`measurement.field:stat`) that raised the probability most. */
    topFactor: 'top_factor',
    /**
     * JSON array of `{feature, value, weight}`: the top factors, each feature's value in the row and
     * its exact SHAP contribution, in the space `shap` names (the model's log-odds before calibration).
     */
    explanation: 'explanation',
    /**
     * JSON `{space, base, output, contributions, calibration}`: the alert's whole SHAP explanation,
     * `base + Σ contributions = output` (the model's raw output: log-odds for GBT and logistic
     * models, the forest's mean leaf probability for a random forest), and the calibration that
     * maps `output` to `probability`. Alert points only.
     */
    shap: 'shap',
    recommendation: 'recommendation',
    department: 'department',
    priority: 'priority',
  },
} as const;

/**
 * aiops_models: how one model version does, told apart by `source`.
 *
 * `holdout`: an evaluation on a time-sliced holdout the model never saw (at training, and by the
 * retraining job for champion and challenger on the same fresh holdout). `production`: accuracy
 * from operators' verdicts and corrections over a rolling window (`avoided` counts as a true
 * positive). `decision`: the retraining job's promotion decision (`decision`, `reason`, the two
 * figures compared), one point per decision, what the Model health dashboard annotates.
 *
 * `segment` is `all` for the overall figure, or `<dimension>=<value>` for one group
 * (`site_kind=hospital`, `device_kind=plc`, `department=facilities`): bounded by the inventory's
 * closed vocabularies. On `all` points, `worst_segment_gap` and `worst_segment_ratio` are the
 * largest difference and the smallest ratio between a group's figure and the overall one
 * (Fairlearn's MetricFrame `difference`/`ratio` to overall).
 */
export const MODEL_METRICS_SERIES = {
  measurement: OUTPUT.models.measurement,
  tags: {
    /** Model name in the registry, e.g. `department`, `event-class`, `mttr`. */
    model: 'model',
    version: 'version',
    /** Registry alias at evaluation time: `champion`, `challenger` or `none`. */
    alias: 'alias',
    /** `holdout`, `production` or `decision`. */
    source: 'source',
    /** `all`, or `<dimension>=<value>`. */
    segment: 'segment',
  },
  fields: {
    accuracy: 'accuracy',
    /** Macro-averaged F1 over the classes. */
    f1: 'f1',
    precision: 'precision',
    recall: 'recall',
    /** Rows evaluated (holdout rows, or verdicts in the production window). */
    holdoutSize: 'holdout_size',
    /** Regression models (MTTR): mean absolute error in seconds. */
    maeSeconds: 'mae_s',
    /** The metric the promotion gate compares for this model (`f1`, `mae_s`…), and its value. */
    primaryMetric: 'primary_metric',
    primaryValue: 'primary_value',
    worstSegmentGap: 'worst_segment_gap',
    worstSegmentRatio: 'worst_segment_ratio',
    /** Production: verdicts by kind in the window. */
    validCount: 'valid_count',
    invalidCount: 'invalid_count',
    avoidedCount: 'avoided_count',
    correctedCount: 'corrected_count',
    /** Decision points: `promoted`, `kept`, `rolled_back`, `imported`; why, and the figures compared. */
    decision: 'decision',
    reason: 'reason',
    championVersion: 'champion_version',
    challengerVersion: 'challenger_version',
    championValue: 'champion_value',
    challengerValue: 'challenger_value',
  },
} as const;

/** Values of aiops_models' `source` tag. */
export const MODEL_METRIC_SOURCES = ['holdout', 'production', 'decision'] as const;
export type ModelMetricSource = (typeof MODEL_METRIC_SOURCES)[number];

/**
 * aiops_drift: one model input (or its output mix) against the model's training window, per
 * evaluation. `feature` is the input's name (`site_kind`, `template_mix`, `predicted_class`,
 * `sensors.temperature_c`…); `kind` is `numeric`, `categorical`, `templates` or `prediction`.
 * `method` names the statistical test chosen for the sample's size and type (Evidently's
 * defaults: `ks` or `chi2` under 1,000 rows, `wasserstein` or `jensenshannon` above), `statistic`
 * its value, `p_value` where the test has one; `psi` is always given beside it.
 */
export const DRIFT_SERIES = {
  measurement: OUTPUT.drift.measurement,
  tags: { model: 'model', feature: 'feature', kind: 'kind' },
  fields: {
    /** Population stability index (≥ 0). */
    psi: 'psi',
    method: 'method',
    statistic: 'statistic',
    pValue: 'p_value',
    /** Rows in the current window compared with the reference. */
    sampleSize: 'sample_size',
    /** Templates only: share of current lines whose template the training window never had. */
    unseenShare: 'unseen_share',
    /** Boolean: the test chosen for the sample crossed its threshold (or, for templates, the unseen share did). */
    driftDetected: 'drift_detected',
    modelVersion: 'model_version',
  },
} as const;

/**
 * aiops_audit: the audit trail's mirror for Grafana, one point per recorded change. The trail on
 * disk (a hash chain) is the record; this series is for dashboards and alert rules.
 */
export const AUDIT_SERIES = {
  measurement: OUTPUT.audit.measurement,
  tags: {
    /** `ticket.feedback`, `ticket.update`, `model.promote`, `model.rollback`, `model.import`… */
    action: 'action',
    /** viewer, operator, analyst, admin, or `system` for the backend's own changes. */
    role: 'role',
  },
  fields: {
    seq: 'seq',
    actor: 'actor',
    target: 'target',
    /** JSON: the state before and after the change. */
    before: 'before',
    after: 'after',
    from: 'from',
    hash: 'hash',
  },
} as const;

/**
 * The label every alert rule the product provisions carries. Grafana routes those alerts to
 * people (a contact point per department), and the backend's alert intake ignores any alert that
 * carries it: a "New P1 ticket" alert must never come back as a second ticket.
 */
export const PRODUCT_RULE_LABEL = 'nocai_rule';

/**
 * Alerts of your own Grafana rules that carry this label (`nocai_intake=true`) are routed by the
 * provisioned policy to the backend's intake and become tickets.
 */
export const INTAKE_LABEL = 'nocai_intake';

/**
 * Thresholds shared by the provisioned alert rules and the code that writes these series, so a
 * rule and the backend's own judgement cannot drift apart.
 */
export const ALERT_THRESHOLDS = {
  /** aiops_anomalies.score above this for 5 minutes pages. */
  anomalyScore: 0.9,
  /** aiops_maintenance.failure_probability above this pages and opens a maintenance ticket. */
  maintenanceRisk: 0.5,
  /** Champion accuracy below this pages. */
  modelAccuracyFloor: 0.8,
  /**
   * PSI above 0.2 is the conventional "significant shift": drawn on the drift charts beside the
   * test the backend decides by (`drift_detected`, which the "drift detected" rule pages on).
   */
  driftPsi: 0.2,
} as const;

/**
 * The result series `GET /api/series/:kind` serves (and the datasource's query types of the same
 * names), with the tags they can be filtered on. Tickets and events have their own routes.
 * `problems` (probability per problem and entity) is what the datasource's `problems` query reads.
 */
export const SERIES_BY_KIND = {
  silences: SILENCE_SERIES,
  anomalies: ANOMALY_SERIES,
  forecasts: FORECAST_SERIES,
  maintenance: MAINTENANCE_SERIES,
  models: MODEL_METRICS_SERIES,
  drift: DRIFT_SERIES,
  problems: PROBLEM_SERIES,
} as const;
export type SeriesKind = keyof typeof SERIES_BY_KIND;
export const SERIES_KINDS = Object.keys(SERIES_BY_KIND) as SeriesKind[];

export function isSeriesKind(value: unknown): value is SeriesKind {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SERIES_BY_KIND, value);
}

/** The InfluxDB tag names of a series kind: its filters. */
export function seriesTagNames(kind: SeriesKind): string[] {
  return Object.values(SERIES_BY_KIND[kind].tags);
}
