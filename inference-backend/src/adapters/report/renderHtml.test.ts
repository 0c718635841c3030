import { FIXTURE_FROM_MS, FIXTURE_TO_MS, fixtureInputs } from './reportFixture';
import { assembleReport, type ReportInputs } from './reportModel';
import { renderReportHtml } from './renderHtml';

const range = { fromMs: FIXTURE_FROM_MS, toMs: FIXTURE_TO_MS };
const render = (inputs: ReportInputs = fixtureInputs()) =>
  renderReportHtml(assembleReport(inputs, range, FIXTURE_TO_MS + 60_000, 'aiops'));

/** The `data-value` of every cell of `field` in the tables `table`, in document order. */
function cellValues(html: string, table: string, field: string): number[] {
  const body = [...html.matchAll(new RegExp(`<table data-table="${table}"[^>]*>([\\s\\S]*?)</table>`, 'g'))]
    .map((m) => m[1])
    .join('');
  return [...body.matchAll(new RegExp(`data-field="${field}" data-value="([^"]+)"`, 'g'))].map((m) => Number(m[1]));
}

describe('renderReportHtml', () => {
  it('When the report is rendered, then the page fetches nothing: no script, no external URL, a CSP forbidding requests', () => {
    const html = render();
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    // The only URLs are the XML namespaces of the inline SVG charts.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('When a model has evaluations, drift and alerts, then each has its SVG chart drawn by ECharts', () => {
    const html = render();
    for (const chart of ['quality', 'drift', 'alerts']) {
      expect(html).toMatch(new RegExp(`<figure class="chart" data-chart="${chart}"><svg [^>]*viewBox`));
    }
    // Lines for each (source, version) and the alert floor are in the chart's text.
    const quality = /data-chart="quality">([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
    for (const name of ['holdout v1', 'production v1', 'holdout v2', 'production v2', 'alert floor 0.8']) {
      expect(quality).toContain(name);
    }
  });

  it('When data carries markup (a reason, a model name), then it is shown as text, never as markup', () => {
    const inputs = fixtureInputs();
    for (const p of inputs.overall) p.model = '<img src=x onerror=alert(1)>';
    for (const p of inputs.segments) p.model = '<img src=x onerror=alert(1)>';
    for (const d of inputs.drift) d.model = '<img src=x onerror=alert(1)>';
    inputs.explained[0].factors[0].feature = '<img src=y>';
    const html = render(inputs);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>worse</b>');
    expect(html).toContain('challenger &lt;b&gt;worse&lt;/b&gt; &amp; kept');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<tr data-feature="&lt;img src=y&gt;">');
  });

  it('When figures are rendered, then every cell carries the exact stored number beside the rounded text', () => {
    const html = render();
    const overall = fixtureInputs().overall.sort((a, b) => a.timeUs - b.timeUs);
    // Holdout evaluations first, then the (folded) production figures, each oldest first.
    const accuracy = ['holdout', 'production'].flatMap((source) =>
      overall.filter((p) => p.source === source).map((p) => p.metrics.accuracy)
    );
    expect(cellValues(html, 'evaluations', 'accuracy')).toEqual(accuracy);
    expect(cellValues(html, 'decisions', 'challengerValue')).toEqual([0.88, 0.3]);
    expect(cellValues(html, 'drift', 'psi')).toEqual([0.05, 0.41]);
    expect(cellValues(html, 'alerts', 'raised')).toEqual([3, 5, 8]);
    expect(html).toMatch(/data-field="accuracy" data-value="0.86">0.860</);
    const total = 1.2 + 0.5 + 0.2 + 0.9 + 0.3;
    expect(cellValues(html, 'factors', 'share')).toEqual([1.5 / total, 1.4 / total, 0.2 / total]);
    expect(cellValues(html, 'factors', 'count')).toEqual([2, 2, 1]);
    expect(cellValues(html, 'factors', 'meanContribution')).toEqual([0.75, 0.7, -0.2]);
  });

  it('When a model explained its alerts, then its section has the SHAP summary in words and a table per input', () => {
    const html = render();
    const section =
      /<section class="model" id="[^"]*" data-model="problem-freezer">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    expect(section).toContain('What drove its predictions');
    expect(section).toMatch(/data-field="predictions" data-value="2">2<\/span> alerts/);
    expect(section).toContain('by versions 2, 3');
    expect(section).toContain('<tr data-feature="freezer.temp_c:slope">');
    // The department router explained nothing: no summary in its section.
    const department =
      /<section class="model" id="[^"]*" data-model="department">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    expect(department).not.toContain('What drove its predictions');
  });

  it('When the range holds nothing, then the page says so in words instead of empty tables', () => {
    const html = render({ overall: [], segments: [], drift: [], openedByClass: {}, verdicts: [], explained: [] });
    expect(html).toContain('No model evaluations, decisions or drift checks were written');
    expect(html).toContain('No ticket was opened and no verdict given in this range.');
    expect(html).not.toContain('<svg');
  });
});
