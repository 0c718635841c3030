/**
 * Which Telegraf series the metric stage scores: `measurement.field`, optionally `:counter` (a
 * monotonically increasing total such as `net.bytes_recv`, scored as a rate per second), then
 * optionally `:rise` or `:fall` (only a value above, or below, what the detector expected opens an
 * anomaly episode: a disk's use falling after a clean-up is unusual but no fault), and a tag
 * filter in braces (`cpu.usage_idle{cpu=cpu-total}`: one series per host, not one per core).
 *
 *   NOCAI_METRICS="cpu.usage_idle{cpu=cpu-total},disk.used_percent:rise,net.bytes_recv:counter"
 */
export interface MetricSpec {
  measurement: string;
  field: string;
  counter: boolean;
  /** Which side of the expected value opens an episode; every point is scored either way. */
  alarmOn: AlarmSide;
  /** Only points whose tags equal these values. */
  where: Record<string, string>;
}

/** What the stage scores when NOCAI_METRICS is not set: Telegraf's host basics and the sensors. */
export const DEFAULT_METRIC_SPECS =
  'cpu.usage_idle{cpu=cpu-total},mem.used_percent,disk.used_percent:rise,system.load1,' +
  'net.bytes_recv:counter,net.err_in:counter,' +
  'sensors.temperature_c,sensors.vibration_mm_s,sensors.pressure_kpa,sensors.power_w';

export class MetricSpecError extends Error {}

/** `both`: any unusual value; `rise` / `fall`: only one above / below the expected value. */
export type AlarmSide = 'both' | 'rise' | 'fall';

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
  const match = /^([^.{}:]+)\.([^{}:]+?)(:counter)?(?::(rise|fall))?(?:\{([^}]*)\})?$/.exec(entry);
  if (!match) {
    throw new MetricSpecError(`metric "${entry}" is not measurement.field[:counter][:rise|:fall][{tag=value,…}]`);
  }
  const [, measurement, field, counter, side, filter] = match;
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
  return { measurement, field, counter: Boolean(counter), alarmOn: (side as AlarmSide | undefined) ?? 'both', where };
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
  const side = spec.alarmOn === 'both' ? '' : `:${spec.alarmOn}`;
  return `${metricName(spec)}${spec.counter ? ':counter' : ''}${side}${filter ? `{${filter}}` : ''}`;
}
