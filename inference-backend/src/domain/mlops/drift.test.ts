import {
  chiSquareHomogeneity,
  detectDrift,
  jensenShannonCategorical,
  jensenShannonNumeric,
  ksTwoSample,
  psiCategorical,
  psiNumeric,
  wassersteinDistance,
  wassersteinNormed,
  zTestProportions,
} from './drift';

/*
 * Reference figures computed once with scipy 1.17.1 / numpy 2.4.6 (the repo's .venv-bench):
 *
 *   import numpy as np; from scipy import stats; from scipy.spatial import distance
 *   a = [((i * 7919) % 1000) / 100 for i in range(300)]
 *   b = [((i * 7727) % 613) / 60 + 0.8 for i in range(200)]
 *   c = [(((i * 104729) % 1009) / 100) ** 2 / 10 for i in range(250)]
 *   d = stats.ks_2samp(x, y).statistic; stats.kstwobign.sf(d * np.sqrt(len(x)*len(y)/(len(x)+len(y))))
 *   stats.wasserstein_distance(a, b), stats.wasserstein_distance(a, b) / np.std(a)
 *   stats.chi2_contingency([[30, 0, 50, 20], [10, 5, 30, 25]], correction=False)      # keys x, w, y, z
 *   z-test: p1 = .6, p2 = .45, n = 100 each, pooled variance; 2 * (1 - stats.norm.cdf(abs(z)))
 *   distance.jensenshannon(reference shares, current shares)                             # natural log
 *   e = np.histogram_bin_edges(a + c, bins=30); distance.jensenshannon(np.histogram(a, e)[0], np.histogram(c, e)[0])
 *   PSI: e = np.unique(np.quantile(ref, [.1, ..., .9])); shares of np.searchsorted(e, x, side='left'),
 *        0 → 1e-4; sum((cur - ref) * log(cur / ref))
 */
const a = Array.from({ length: 300 }, (_, i) => ((i * 7919) % 1000) / 100);
const b = Array.from({ length: 200 }, (_, i) => ((i * 7727) % 613) / 60 + 0.8);
const c = Array.from({ length: 250 }, (_, i) => (((i * 104729) % 1009) / 100) ** 2 / 10);
const reference = { x: 30, y: 50, z: 20 };
const current = { x: 10, y: 30, z: 25, w: 5 };

describe('drift statistics agree with scipy on fixed samples', () => {
  it('When two samples are compared by KS, then D and the asymptotic p-value are scipy’s', () => {
    expect(ksTwoSample(a, b).statistic).toBeCloseTo(0.115, 12);
    expect(ksTwoSample(a, b).pValue).toBeCloseTo(0.08366571147783006, 10);
    expect(ksTwoSample(a, c).statistic).toBeCloseTo(0.24333333333333335, 12);
    expect(ksTwoSample(a, c).pValue / 1.9401358240733325e-7).toBeCloseTo(1, 6);
    expect(ksTwoSample(a, a.slice(0, 150)).pValue).toBe(1);
  });

  it('When distributions are compared by Wasserstein, then the distance and its normed value are scipy’s', () => {
    expect(wassersteinDistance(a, b)).toBeCloseTo(0.9484166666666668, 10);
    expect(wassersteinNormed(a, b)).toBeCloseTo(0.32676205658588686, 10);
    expect(wassersteinNormed(a, c)).toBeCloseTo(0.5206930454424024, 10);
  });

  it('When a category is new in the current window, then the chi-square of homogeneity counts it as a cell of its own', () => {
    const test = chiSquareHomogeneity(reference, current);
    expect(test.statistic).toBeCloseTo(15.751984126984123, 10);
    expect(test.pValue).toBeCloseTo(0.0012747750615987052, 10);
    expect(test.dof).toBe(3);
  });

  it('When a binary feature changes its proportion, then the z-test gives scipy’s p-value', () => {
    const test = zTestProportions({ a: 60, b: 40 }, { a: 45, b: 55 });
    expect(test.statistic).toBeCloseTo(2.1239769762143657, 10);
    expect(test.pValue).toBeCloseTo(0.03367206885634588, 10);
  });

  it('When shares are compared by Jensen–Shannon, then categorical and binned numeric distances are scipy’s', () => {
    expect(jensenShannonCategorical(reference, current)).toBeCloseTo(0.22718068890399776, 10);
    expect(jensenShannonNumeric(a, c)).toBeCloseTo(0.2399458358881508, 10);
  });

  it('When PSI is computed, then reference deciles (numeric) and per-category cells with ε give numpy’s figure', () => {
    expect(psiNumeric(a, b)).toBeCloseTo(0.29299490069390965, 10);
    expect(psiNumeric(a, c)).toBeCloseTo(0.3592332136457233, 10);
    expect(psiCategorical(reference, current)).toBeCloseTo(0.6874354838492842, 10);
  });
});

describe('detectDrift chooses the test as Evidently’s defaults do', () => {
  it('When the reference has at most 1,000 rows, then numeric features get KS and categorical ones chi-square or z', () => {
    expect(detectDrift({ type: 'numeric', reference: a, current: c })).toMatchObject({
      method: 'ks',
      driftDetected: true,
    });
    expect(detectDrift({ type: 'numeric', reference: a, current: b })).toMatchObject({
      method: 'ks',
      driftDetected: false,
    });
    expect(detectDrift({ type: 'categorical', reference, current })).toMatchObject({
      method: 'chi2',
      driftDetected: true,
      sampleSize: 70,
    });
    expect(detectDrift({ type: 'categorical', reference: { a: 60, b: 40 }, current: { a: 55, b: 45 } })).toMatchObject({
      method: 'z',
      driftDetected: false,
    });
  });

  it('When the training window is larger than 1,000 rows, then Wasserstein (normed) and Jensen–Shannon decide at 0.1', () => {
    const shifted = a.map((x) => x + 0.5);
    const result = detectDrift({ type: 'numeric', reference: a, current: shifted, referenceRows: 20_000 });
    expect(result.method).toBe('wasserstein');
    // A shift of 0.5 on a feature with a std of ~2.9: 0.17 standard deviations.
    expect(result.statistic).toBeCloseTo(0.5 / 2.9, 1);
    expect(result.driftDetected).toBe(true);
    expect(
      detectDrift({ type: 'numeric', reference: a, current: a.map((x) => x + 0.1), referenceRows: 20_000 })
        .driftDetected
    ).toBe(false);
    const big = { x: 3000, y: 5000, z: 2000 };
    expect(detectDrift({ type: 'categorical', reference: big, current: { x: 31, y: 48, z: 21 } })).toMatchObject({
      method: 'jensenshannon',
      driftDetected: false,
    });
    expect(detectDrift({ type: 'categorical', reference: big, current: current }).driftDetected).toBe(true);
  });

  it('When a numeric feature takes at most five values, then it is tested as categories', () => {
    const flags = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const moreOnes = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    expect(detectDrift({ type: 'numeric', reference: flags, current: moreOnes })).toMatchObject({
      method: 'z',
      driftDetected: true,
    });
  });

  it('Every result carries the PSI beside its test', () => {
    expect(detectDrift({ type: 'numeric', reference: a, current: c }).psi).toBeCloseTo(0.3592332136457233, 10);
  });
});
