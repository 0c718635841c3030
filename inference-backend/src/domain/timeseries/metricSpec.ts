/**
 * Which Telegraf series the metric stage scores: `measurement.field`, optionally `:counter` (a
 * monotonically increasing total such as `net.bytes_recv`, scored as a rate per second) and a tag
 * filter in braces (`cpu.usage_idle{cpu=cpu-total}`: one series per host, not one per core).
 *
 *   NOCAI_METRICS="cpu.usage_idle{cpu=cpu-total},mem.used_percent,net.bytes_recv:counter"
 */
export interface MetricSpec {
  measurement: string;
  field: string;
  counter: boolean;
  /** Only points whose tags equal these values. */
  where: Record<string, string>;
}

/** What the stage scores when NOCAI_METRICS is not set: Telegraf's host basics and the sensors. */
export const DEFAULT_METRIC_SPECS =
  'cpu.usage_idle{cpu=cpu-total},mem.used_percent,disk.used_percent,system.load1,' +
  'net.bytes_recv:counter,net.err_in:counter,' +
  'sensors.temperature_c,sensors.vibration_mm_s,sensors.pressure_kpa,sensors.power_w';

export class MetricSpecError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_\-]*$/;

/** Parses a comma-separated list of specs; throws MetricSpecError naming the bad entry. */
export function parseMetricSpecs(text: string): MetricSpec[] {
  const entries = splitTopLevel(text)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0)
    throw new MetricSpecError('no metric given: write measurement.field, e.g. mem.used_percent');
  const specs = entries.map(parseOne);
  const seen = new Set<string>();
  for (const spec of specs) {
    const key = specLabel(spec);
    if (seen.has(key)) throw new MetricSpecError(`metric ${key} is listed twice`);
    seen.add(key);
  }
  return specs;
}

function parseOne(entry: string): MetricSpec {
  const match = /^([^.{}:]+)\.([^{}:]+?)(:counter)?(?:\{([^}]*)\})?$/.exec(entry);
  if (!match) {
    throw new MetricSpecError(`metric "${entry}" is not measurement.field[:counter][{tag=value,…}]`);
  }
  const [, measurement, field, counter, filter] = match;
  for (const name of [measurement, field]) {
    if (!NAME.test(name))
      throw new MetricSpecError(`metric "${entry}": "${name}" is not a plain measurement or field name`);
  }
  const where: Record<string, string> = {};
  for (const pair of (filter ?? '').split(';').flatMap((p) => p.split('|'))) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const tag = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq <= 0 || !NAME.test(tag) || value === '') {
      throw new MetricSpecError(`metric "${entry}": the filter "${pair}" is not tag=value`);
    }
    where[tag] = value;
  }
  return { measurement, field, counter: Boolean(counter), where };
}

/** Commas separate specs, except inside braces (`{a=1,b=2}`). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '{') depth++;
    if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += depth > 0 && ch === ',' ? ';' : ch;
  }
  parts.push(current);
  return parts;
}

/** `measurement.field`, the value of the `metric` tag of aiops_anomalies. */
export const metricName = (spec: Pick<MetricSpec, 'measurement' | 'field'>) => `${spec.measurement}.${spec.field}`;

export function specLabel(spec: MetricSpec): string {
  const filter = Object.entries(spec.where)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${metricName(spec)}${spec.counter ? ':counter' : ''}${filter ? `{${filter}}` : ''}`;
}
