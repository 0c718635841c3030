import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadNabCorpus, loadNabResultScores } from '../../adapters/files/nab';
import {
  NAB_PROFILES,
  NAB_PUBLISHED,
  normaliseScore,
  optimiseThreshold,
  probationRows,
  scaledSigmoid,
  scoreCorpus,
  scoreFile,
  sweepLabels,
  thresholdCurve,
} from './nabScorer';

const NAB_DIR = join(__dirname, '..', '..', '..', '..', '..', 'shared', 'datasets', 'nab');
const describeWithData = existsSync(join(NAB_DIR, 'windows.json')) ? describe : describe.skip;

const MINUTE = 60_000;
const standard = NAB_PROFILES.standard;

/** 1,000 five-minute rows from t = 0 (probation: rows 0–149) and windows given as row ranges. */
function labelled(windows: Array<[number, number]>, rows = 1000) {
  const timesMs = Array.from({ length: rows }, (_, i) => i * 5 * MINUTE);
  return sweepLabels({
    name: 'synthetic',
    timesMs,
    windowsMs: windows.map(([a, b]): [number, number] => [timesMs[a], timesMs[b]]),
  });
}

function detectionsAt(rows: number[], length = 1000): number[] {
  const scores = new Array<number>(length).fill(0);
  for (const r of rows) scores[r] = 1;
  return scores;
}

describe('NAB scaled sigmoid', () => {
  it('When a detection is at the start, middle or end of a window, or well after it, then it weighs as NAB says', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });
});

describe('NAB scoring of one file', () => {
  const labels = labelled([[400, 419]]);

  it('When nothing is detected, then each window costs fnWeight and the score normalises to 0', () => {
    const { raw, counts } = scoreFile({ labels, scores: detectionsAt([]) }, standard, 0.5);
    expect(raw).toBe(-1);
    expect(counts).toEqual({ tp: 0, fp: 0, fn: 20, tn: 1000 - 150 - 20 });
    expect(normaliseScore(raw, 1, standard)).toBe(0);
  });

  it('When the first row of the window is detected, then the window earns the full tpWeight (100 normalised)', () => {
    const { raw } = scoreFile({ labels, scores: detectionsAt([400]) }, standard, 0.5);
    expect(raw).toBeCloseTo(1, 10);
    expect(normaliseScore(raw, 1, standard)).toBeCloseTo(100, 8);
  });

  it('When a window is detected several times, then only its earliest detection counts', () => {
    const early = scoreFile({ labels, scores: detectionsAt([405]) }, standard, 0.5).raw;
    const both = scoreFile({ labels, scores: detectionsAt([405, 410, 418]) }, standard, 0.5).raw;
    const late = scoreFile({ labels, scores: detectionsAt([418]) }, standard, 0.5).raw;
    expect(both).toBeCloseTo(early, 12);
    expect(late).toBeLessThan(early);
    expect(late).toBeGreaterThan(0);
  });

  it('When a false positive comes before any window, then it costs the full fpWeight; just after a window, less', () => {
    const before = scoreFile({ labels, scores: detectionsAt([300]) }, standard, 0.5).raw;
    expect(before).toBeCloseTo(-1 - standard.fpWeight, 12);
    const justAfter = scoreFile({ labels, scores: detectionsAt([425]) }, standard, 0.5).raw;
    const farAfter = scoreFile({ labels, scores: detectionsAt([900]) }, standard, 0.5).raw;
    expect(justAfter).toBeGreaterThan(farAfter);
    expect(farAfter).toBeCloseTo(-1 - standard.fpWeight, 12);
  });

  it('When a detection falls in the probationary period, then it is not scored', () => {
    expect(probationRows(1000)).toBe(150);
    expect(scoreFile({ labels, scores: detectionsAt([10, 149]) }, standard, 0.5).raw).toBe(-1);
  });

  it('When the threshold is swept, then each entry is the file scored at that threshold', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 1000);
    const curve = thresholdCurve([{ labels, scores }], NAB_PROFILES.rewardLowFn);
    expect(curve[0].threshold).toBe(Number.POSITIVE_INFINITY);
    for (const entry of curve.filter((_, i) => i % 97 === 0)) {
      expect(entry.raw).toBeCloseTo(scoreFile({ labels, scores }, NAB_PROFILES.rewardLowFn, entry.threshold).raw, 9);
    }
    const best = optimiseThreshold([{ labels, scores }], NAB_PROFILES.rewardLowFn);
    expect(Math.max(...curve.map((c) => c.raw))).toBe(best.raw);
  });
});

describeWithData("NAB scorer against NAB's published figures", () => {
  const series = loadNabCorpus(NAB_DIR);
  const labels = series.map((s) => sweepLabels({ name: s.name, timesMs: s.timesMs, windowsMs: s.windowsMs }));
  const shipped = (detector: string) =>
    series.map((s, i) => ({ labels: labels[i], scores: loadNabResultScores(NAB_DIR, detector, s) }));

  it('When the 17 AWS series are loaded, then they hold the 30 labelled windows', () => {
    expect(series).toHaveLength(17);
    expect(labels.reduce((sum, l) => sum + l.scoredWindows, 0)).toBe(30);
  });

  it("When NAB's shipped numenta results are scored, then the three profiles give the published 73.42, 68.75, 76.72", () => {
    const files = shipped('numenta');
    const published = NAB_PUBLISHED.shipped.numenta;
    const standardScore = scoreCorpus(files, 'standard');
    expect(Math.abs(standardScore.score - (published.standard ?? 0))).toBeLessThan(0.01);
    expect(standardScore.threshold).toBeCloseTo(NAB_PUBLISHED.numentaStandardThreshold, 6);
    expect(Math.abs(scoreCorpus(files, 'rewardLowFp').score - (published.rewardLowFp ?? 0))).toBeLessThan(0.01);
    expect(Math.abs(scoreCorpus(files, 'rewardLowFn').score - (published.rewardLowFn ?? 0))).toBeLessThan(0.01);
  });

  it("When NAB's shipped windowedGaussian results are scored, then the standard profile gives the published 31.24", () => {
    const score = scoreCorpus(shipped('windowedGaussian'), 'standard').score;
    expect(Math.abs(score - (NAB_PUBLISHED.shipped.windowedGaussian.standard ?? 0))).toBeLessThan(0.01);
  });
});
