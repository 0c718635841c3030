import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU seconds spent by this process and (when known) by influxd while a bench measured something. */
export interface CpuSeconds {
  node: number;
  influxd?: number;
}

/**
 * Runs `measure` and counts the CPU seconds this process and the influxd of `influxdPid` (read from
 * /proc, Linux) spent meanwhile: on a shared machine wall-clock rates move with the neighbours'
 * load, CPU seconds much less, and they say whether the pipeline or InfluxDB does the work.
 */
export async function withCpu<T>(
  influxdPid: number | undefined,
  measure: () => Promise<T>
): Promise<{ result: T; cpu: CpuSeconds }> {
  const nodeBefore = process.cpuUsage();
  const influxdBefore = influxdCpuSeconds(influxdPid);
  const result = await measure();
  const node = process.cpuUsage(nodeBefore);
  const influxdAfter = influxdCpuSeconds(influxdPid);
  return {
    result,
    cpu: {
      node: (node.user + node.system) / 1e6,
      influxd: influxdBefore === undefined || influxdAfter === undefined ? undefined : influxdAfter - influxdBefore,
    },
  };
}

let clockTicksPerSecond: number | undefined;

function influxdCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    clockTicksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}
