import { withCpu } from './cpuMeter';

/** Burns at least `ms` of this process's CPU time (a condition on CPU time, not on the wall clock). */
function burn(ms: number): number {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 100_000; i++) x += Math.sqrt(i);
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ms * 1000) return x;
  }
}

describe('withCpu', () => {
  it('When the measured work burns CPU, then its result is kept and node is charged for at least that CPU', async () => {
    const { result, cpu } = await withCpu(undefined, async () => (burn(50) > 0 ? 'done' : 'never'));
    expect(result).toBe('done');
    expect(cpu.node).toBeGreaterThanOrEqual(0.05);
    expect(cpu.influxd).toBeUndefined();
  });

  it('When given the id of a running process, then its CPU seconds are read from /proc', async () => {
    // This process stands in for influxd: the work it burns shows in both figures.
    const { cpu } = await withCpu(process.pid, async () => burn(100));
    expect(cpu.influxd).toBeGreaterThan(0);
  });

  it('When the process id does not exist, then there is no influxd figure rather than an error', async () => {
    const { cpu } = await withCpu(2 ** 22 + 1, async () => 1);
    expect(cpu.influxd).toBeUndefined();
  });
});
