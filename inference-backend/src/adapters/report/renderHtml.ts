import { ALERT_THRESHOLDS } from '@nocai/contract';
import { alertsChart, driftChart, METRIC_LABELS, qualityChart } from './charts';
import {
  QUALITY_METRICS,
  qualityMetricNamed,
  type AlertCounts,
  type Decision,
  type DriftRecord,
  type Evaluation,
  type EvaluationMetric,
  type EvaluationMetrics,
  type ExplainedKind,
  type ExplanationSummary,
  type ModelSection,
  type PerformanceReport,
  type ReportRange,
  type SegmentTable,
  type VersionSummary,
} from './reportModel';

/**
 * The report as one self-contained HTML page an analyst can open from disk or send by mail: inline
 * CSS, charts as inline SVG, no script, and a Content-Security-Policy that forbids every request, so
 * opening it fetches nothing. Every text from the data (model names, versions, reasons) is escaped.
 *
 * Each figure sits in a cell that carries it exactly, `data-field` (the contract key) and
 * `data-value` (the number as stored), beside the rounded text people read; rows carry the tags of
 * their point (`data-source`, `data-version`, `data-time-us`…). That is how a test or a script can
 * read the numbers back and compare them with aiops_models.
 */
export function renderReportHtml(report: PerformanceReport): string {
  const { fromMs, toMs } = report.range;
  const title = `Model performance report, ${day(fromMs)} to ${day(toMs)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="NOC AI">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">From <time datetime="${isoOf(fromMs)}">${esc(utc(fromMs))}</time> to <time datetime="${isoOf(toMs)}">${esc(utc(toMs))}</time> (UTC, end excluded).
Generated <time datetime="${isoOf(report.generatedAtMs)}">${esc(utc(report.generatedAtMs))}</time> from the InfluxDB database <code>${esc(report.database)}</code>:
<code>aiops_models</code>, <code>aiops_drift</code>, <code>aiops_tickets</code>, <code>aiops_feedback</code>, <code>aiops_problems</code> and <code>aiops_maintenance</code>.</p>
</header>
<main>
${summary(report)}
${report.models.map((m) => modelSection(m, report.range)).join('\n')}
${alertsSection(report.alerts)}
</main>
<footer>
<p>How to read it. <b>Holdout</b>: the model scored on a time-sliced holdout it never saw (at training, and by the retraining job for champion and challenger on the same fresh rows). <b>Production</b>: accuracy from operators' verdicts and corrections over a rolling window. <b>What drove its predictions</b> sums the exact SHAP contributions stored with each alert, alarm or ticket estimate. A segment's <b>gap</b> is its figure minus the overall one and its <b>ratio</b> its figure divided by the overall one, for the metric named above its table. Alert <b>precision</b> is (validated + avoided) / (validated + avoided + invalidated): an avoided problem counts as a true positive; the last verdict a ticket got in the range counts. Production accuracy under ${ALERT_THRESHOLDS.modelAccuracyFloor} and a detected drift page through the provisioned alert rules; PSI over ${ALERT_THRESHOLDS.driftPsi}, the conventional significant shift, is drawn beside the test that decides.</p>
</footer>
</body>
</html>
`;
}

function summary(report: PerformanceReport): string {
  if (report.models.length === 0) {
    return `<section id="summary"><h2>Models</h2><p class="empty">No model evaluations, decisions or drift checks were written to aiops_models or aiops_drift in this range.</p></section>`;
  }
  const rows = report.models.map((m) => {
    const champion = m.versions.find((v) => v.version === m.champion);
    const holdout = champion?.latestHoldout ?? latestOf(m.evaluations, 'holdout');
    const production = champion?.latestProduction ?? latestOf(m.evaluations, 'production');
    const drifted = m.drift.filter((d) => d.driftDetected).length;
    return `<tr data-model="${esc(m.model)}"><th scope="row"><a href="#${anchor(m.model)}">${esc(m.model)}</a></th>
<td data-field="champion">${m.champion ? esc(m.champion) : '–'}</td>
${metricCell(holdout?.metrics, primaryOf(holdout, m))}
${metricCell(production?.metrics, m.chartMetric)}
${countCell('decisions', m.decisions.length)}
${countCell('driftedFeatures', drifted)}</tr>`;
  });
  return `<section id="summary"><h2>Models</h2>
<table data-table="summary"><thead><tr><th>Model</th><th>Champion at the end</th><th>Latest holdout (primary metric)</th><th>Latest production</th><th>Decisions</th><th>Inputs drifting</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function modelSection(m: ModelSection, range: ReportRange): string {
  const champion = m.versions.find((v) => v.version === m.champion);
  const chart = qualityChart(m, range);
  return `<section class="model" id="${anchor(m.model)}" data-model="${esc(m.model)}">
<h2>Model <code>${esc(m.model)}</code></h2>
<p>${
    m.champion
      ? `Champion at the end of the range: <strong data-field="champion">${esc(m.champion)}</strong>${
          champion?.madeChampionAtUs !== undefined
            ? `, champion since ${esc(utc(champion.madeChampionAtUs / 1000))}`
            : ''
        }.`
      : 'No evaluation in the range names a champion.'
  }</p>
${versionsTable(m)}
${chart ? figure('quality', chart, `${METRIC_LABELS[m.chartMetric]} of every version over the range; production dashed.`) : ''}
${evaluationsTable(m)}
${m.segments.map((t) => segmentTable(m, t)).join('\n')}
${driftSection(m)}
${m.explanations ? explanationSection(m, m.explanations) : ''}
${decisionsTable(m.decisions)}
</section>`;
}

/** What a model's explanations attribute, by kind of prediction: the unit its contributions are in. */
const EXPLAINED_TEXT: Record<ExplainedKind, { what: string; unit: string }> = {
  alert: {
    what: 'alerts',
    unit: "the model's raw score (log-odds; a random forest's mean leaf probability)",
  },
  alarm: { what: 'failure alarms', unit: 'the log-odds of failure' },
  ticket: {
    what: "tickets' time-to-resolve estimates",
    unit: 'natural-log seconds of the P50 (+0.69 roughly doubles the estimate)',
  },
};

/**
 * The SHAP summary of a model's predictions in the range (issue 12): each input's share of all the
 * contributions its explanations listed, how often it was among the top factors and the strongest,
 * how often it raised the output, and its mean signed and absolute contribution.
 */
function explanationSection(m: ModelSection, e: ExplanationSummary): string {
  const text = EXPLAINED_TEXT[e.kind];
  const rows = e.factors.map(
    (f) => `<tr data-feature="${esc(f.feature)}"><th scope="row">${esc(f.feature)}</th>
${percentCell('share', f.share)}${countCell('count', f.count)}${countCell('firstCount', f.firstCount)}${countCell('raisedCount', f.raisedCount)}${numberCell('meanContribution', f.meanContribution, 3, true)}${numberCell('meanAbsContribution', f.meanAbsContribution, 3)}</tr>`
  );
  const leftOut = e.distinctFactors - e.factors.length;
  return `<h3>What drove its predictions</h3>
<p class="caption">Exact SHAP contributions of the top factors stored with <span data-field="predictions" data-value="${e.predictions}">${fmt(
    e.predictions,
    0
  )}</span> ${esc(text.what)}${e.truncated ? ' (the newest ones: the read stops there)' : ''}, ${esc(utc(e.firstUs / 1000))} to ${esc(
    utc(e.lastUs / 1000)
  )}, by version${e.versions.length > 1 ? 's' : ''} ${esc(e.versions.join(', ') || '–')}; contributions are to ${esc(text.unit)}. An input's share is its part of all the absolute contributions listed${
    leftOut > 0 ? `; ${leftOut} more input${leftOut > 1 ? 's' : ''} with smaller shares not shown` : ''
  }.</p>
<table data-table="factors" data-model="${esc(m.model)}" data-kind="${e.kind}"><thead><tr><th>Input</th><th>Share</th><th>Among top factors</th><th>Strongest</th><th>Raised it</th><th>Mean contribution</th><th>Mean |contribution|</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function versionsTable(m: ModelSection): string {
  if (m.versions.length === 0) return '';
  const rows = m.versions.map(
    (v: VersionSummary) => `<tr data-version="${esc(v.version)}"><th scope="row">${esc(v.version)}${
      v.version === m.champion ? ' <span class="badge">champion</span>' : ''
    }</th>
<td>${esc(v.aliases.join(', ') || '–')}</td><td class="time">${timeText(v.firstSeenUs)}</td><td class="time">${timeText(v.lastSeenUs)}</td>
${metricCell(v.latestHoldout?.metrics, primaryOf(v.latestHoldout, m))}
${metricCell(v.latestProduction?.metrics, m.chartMetric)}
<td class="time">${timeText(v.madeChampionAtUs)}</td></tr>`
  );
  return `<h3>Versions</h3>
<table data-table="versions"><thead><tr><th>Version</th><th>Aliases in the range</th><th>First evaluated</th><th>Last evaluated</th><th>Latest holdout (primary)</th><th>Latest production</th><th>Made champion</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

/** The evaluation columns this model has values for, in a fixed order. */
const EVALUATION_COLUMNS: Array<[EvaluationMetric, string]> = [
  ['accuracy', 'Accuracy'],
  ['f1', 'F1 (macro)'],
  ['precision', 'Precision'],
  ['recall', 'Recall'],
  ['maeSeconds', 'MAE (s)'],
  ['primaryValue', 'Primary'],
  ['holdoutSize', 'Rows'],
  ['worstSegmentGap', 'Worst segment gap'],
  ['worstSegmentRatio', 'Worst segment ratio'],
  ['validCount', 'Valid'],
  ['invalidCount', 'Invalid'],
  ['avoidedCount', 'Avoided'],
  ['correctedCount', 'Corrected'],
];

/**
 * Every overall evaluation, holdout and production apart. Production is figured hourly, so its table
 * (168 rows a week) is folded under a `<details>` summary: in the page, not in the way.
 */
function evaluationsTable(m: ModelSection): string {
  const table = (evaluations: readonly Evaluation[]) => {
    const columns = EVALUATION_COLUMNS.filter(([key]) => evaluations.some((e) => e.metrics[key] !== undefined));
    const rows = evaluations.map(
      (
        e
      ) => `<tr data-source="${e.source}" data-version="${esc(e.version)}" data-alias="${esc(e.alias)}" data-time-us="${e.timeUs}">
<td class="time">${esc(utc(e.timeUs / 1000))}</td><td>${esc(e.version)}</td><td>${esc(e.alias || '–')}</td><td>${esc(e.primaryMetric ?? '–')}</td>
${columns.map(([key]) => metricCell(e.metrics, key)).join('')}</tr>`
    );
    return `<table data-table="evaluations" data-source="${evaluations[0].source}"><thead><tr><th>Time</th><th>Version</th><th>Alias</th><th>Primary metric</th>${columns
      .map(([, label]) => `<th>${esc(label)}</th>`)
      .join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
  };
  const holdout = m.evaluations.filter((e) => e.source === 'holdout');
  const production = m.evaluations.filter((e) => e.source === 'production');
  return [
    holdout.length ? `<h3>Holdout evaluations</h3>\n${table(holdout)}` : '',
    production.length
      ? `<details class="evaluations"><summary><h3>Production figures: ${production.length} evaluations, ${esc(
          utc(production[0].timeUs / 1000)
        )} to ${esc(utc(production[production.length - 1].timeUs / 1000))}</h3></summary>\n${table(production)}</details>`
      : '',
  ].join('\n');
}

function segmentTable(m: ModelSection, t: SegmentTable): string {
  const columns = EVALUATION_COLUMNS.filter(
    ([key]) => (QUALITY_METRICS as readonly string[]).includes(key) || key === 'holdoutSize'
  ).filter(([key]) => t.rows.some((r) => r.metrics[key] !== undefined));
  const rows = t.rows.map(
    (r) => `<tr data-segment="${esc(r.segment)}"><th scope="row">${esc(r.segment)}</th>
${columns.map(([key]) => metricCell(r.metrics, key)).join('')}${numberCell('gap', r.gap, 3, true)}${numberCell('ratio', r.ratio, 3)}</tr>`
  );
  return `<h3>Per segment: ${esc(t.source)}, version ${esc(t.version)}${t.alias && t.alias !== 'none' ? ` (${esc(t.alias)})` : ''}</h3>
<p class="caption">Evaluation of ${esc(utc(t.timeUs / 1000))}; gap and ratio of ${esc(METRIC_LABELS[t.comparedMetric])} to the overall ${
    t.overall === undefined
      ? 'figure (not written)'
      : `<span data-field="overall" data-value="${t.overall}">${fmt(t.overall, 3)}</span>`
  }.</p>
<table data-table="segments" data-model="${esc(m.model)}" data-source="${t.source}" data-version="${esc(t.version)}" data-time-us="${t.timeUs}" data-compared="${t.comparedMetric}">
<thead><tr><th>Segment</th>${columns.map(([, label]) => `<th>${esc(label)}</th>`).join('')}<th>Gap</th><th>Ratio</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function driftSection(m: ModelSection): string {
  if (m.drift.length === 0) return '';
  const chart = driftChart(m);
  const rows = m.drift.map(
    (d: DriftRecord) => `<tr data-feature="${esc(d.feature)}" data-kind="${esc(d.kind)}" data-time-us="${d.timeUs}"${
      d.driftDetected ? ' class="alarm"' : ''
    }>
<th scope="row">${esc(d.feature)}</th><td>${esc(d.kind)}</td><td data-field="method">${esc(d.method ?? '–')}</td>
${numberCell('statistic', d.statistic, 4)}${numberCell('pValue', d.pValue, 4)}${numberCell('psi', d.psi, 3)}${numberCell('maxPsi', d.maxPsi, 3)}
<td data-field="driftDetected" data-value="${d.driftDetected}">${d.driftDetected ? 'yes' : 'no'}</td>
${countCell('detections', d.detections)}${countCell('evaluations', d.evaluations)}${numberCell('sampleSize', d.sampleSize, 0)}${numberCell('unseenShare', d.unseenShare, 3)}
<td>${esc(d.modelVersion ?? '–')}</td><td class="time">${esc(utc(d.timeUs / 1000))}</td></tr>`
  );
  return `<h3>Drift of the inputs</h3>
${chart ? figure('drift', chart, 'Latest PSI per input against the training window; red bars drifted.') : ''}
<table data-table="drift"><thead><tr><th>Input</th><th>Kind</th><th>Test</th><th>Statistic</th><th>p-value</th><th>PSI</th><th>Max PSI</th><th>Drift</th><th>Checks drifting</th><th>Checks</th><th>Rows</th><th>Unseen share</th><th>Version</th><th>Latest check</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function decisionsTable(decisions: readonly Decision[]): string {
  if (decisions.length === 0)
    return '<h3>Retraining decisions</h3><p class="empty">No retraining decision in the range.</p>';
  const rows = decisions.map(
    (d) => `<tr data-time-us="${d.timeUs}" data-decision="${esc(d.decision)}">
<td class="time">${esc(utc(d.timeUs / 1000))}</td><td data-field="decision">${esc(d.decision)}</td><td>${esc(d.primaryMetric ?? '–')}</td>
<td data-field="championVersion">${esc(d.championVersion || '–')}</td>${numberCell('championValue', d.championValue, 4)}
<td data-field="challengerVersion">${esc(d.challengerVersion || '–')}</td>${numberCell('challengerValue', d.challengerValue, 4)}
<td class="reason">${esc(d.reason)}</td></tr>`
  );
  return `<h3>Retraining decisions</h3>
<table data-table="decisions"><thead><tr><th>Time</th><th>Decision</th><th>Metric</th><th>Champion</th><th>Champion's figure</th><th>Challenger</th><th>Challenger's figure</th><th>Why</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function alertsSection(alerts: PerformanceReport['alerts']): string {
  const chart = alertsChart(alerts.byClass);
  const row = (c: AlertCounts, total = false) =>
    `<tr data-class="${esc(c.eventClass)}"${total ? ' class="total"' : ''}><th scope="row">${esc(total ? 'All classes' : c.eventClass || '(none)')}</th>
${countCell('raised', c.raised)}${countCell('validated', c.validated)}${countCell('invalidated', c.invalidated)}${countCell('avoided', c.avoided)}${numberCell('precision', c.precision, 3)}</tr>`;
  const body =
    alerts.byClass.length === 0
      ? '<p class="empty">No ticket was opened and no verdict given in this range.</p>'
      : `${chart ? figure('alerts', chart, 'Tickets opened and the verdicts operators gave in the range, per class.') : ''}
<table data-table="alerts"><thead><tr><th>Class</th><th>Raised</th><th>Validated</th><th>Invalidated</th><th>Avoided</th><th>Precision</th></tr></thead>
<tbody>${alerts.byClass.map((c) => row(c)).join('\n')}</tbody><tfoot>${row(alerts.total, true)}</tfoot></table>`;
  return `<section id="alerts"><h2>Alerts and verdicts</h2>
${body}</section>`;
}

function figure(kind: string, svg: string, caption: string): string {
  return `<figure class="chart" data-chart="${kind}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function latestOf(evaluations: readonly Evaluation[], source: Evaluation['source']): Evaluation | undefined {
  return evaluations.filter((e) => e.source === source).at(-1);
}

function primaryOf(e: Evaluation | undefined, m: ModelSection): EvaluationMetric {
  return qualityMetricNamed(e?.primaryMetric) ?? m.chartMetric;
}

function metricCell(metrics: EvaluationMetrics | undefined, key: EvaluationMetric): string {
  const value = metrics?.[key];
  const digits = key === 'maeSeconds' ? 1 : COUNT_METRICS.has(key) ? 0 : 3;
  return numberCell(key, value, digits, key === 'worstSegmentGap');
}

const COUNT_METRICS: ReadonlySet<EvaluationMetric> = new Set([
  'holdoutSize',
  'validCount',
  'invalidCount',
  'avoidedCount',
  'correctedCount',
]);

function countCell(field: string, value: number): string {
  return numberCell(field, value, 0);
}

/** A cell with the exact number in `data-value` and the rounded one as text; `–` when there is none. */
function numberCell(field: string, value: number | undefined, digits: number, signed = false): string {
  if (value === undefined) return `<td class="num" data-field="${field}">–</td>`;
  const text = fmt(value, digits);
  return `<td class="num" data-field="${field}" data-value="${value}">${signed && value > 0 ? '+' : ''}${text}</td>`;
}

/** A share as a percentage with one decimal; the exact fraction in `data-value`. */
function percentCell(field: string, value: number): string {
  return `<td class="num" data-field="${field}" data-value="${value}">${fmt(value * 100, 1)}%</td>`;
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function timeText(us: number | undefined): string {
  return us === undefined ? '–' : esc(utc(us / 1000));
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}`;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A fragment id from a model name: only letters, digits and dashes, so it needs no escaping. */
function anchor(model: string): string {
  return `model-${[...model].map((c) => (/[A-Za-z0-9-]/.test(c) ? c : `_${c.codePointAt(0)?.toString(16)}`)).join('')}`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values from the data, escaped for HTML. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const STYLE = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --band: #f6f8fa; --alarm: #fbe9e7; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1120px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.meta, .caption, figcaption, footer { color: var(--muted); font-size: 13px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--band); padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
thead th { background: var(--band); font-weight: 600; }
td.time { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.reason { max-width: 320px; }
tr.alarm td, tr.alarm th { background: var(--alarm); }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
.badge { font-size: 11px; background: #dafbe1; color: #1a7f37; border-radius: 8px; padding: 0 6px; }
.empty { color: var(--muted); font-style: italic; }
figure.chart { margin: 8px 0 16px; }
details.evaluations summary { cursor: pointer; }
details.evaluations summary h3 { display: inline; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
@media print { body { max-width: none; } section.model { break-before: page; } }
`;
