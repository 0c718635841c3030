/**
 * Direct multi-step ridge regression on normalised lag windows: one linear model per horizon
 * step, all fitted from the same normal equations (XᵀX is shared, only XᵀY has a column per
 * step). Windows are added one at a time, so the rolling-origin validation can grow one
 * accumulator origin by origin instead of refitting from scratch, and trying several penalties
 * costs one Cholesky factorisation each.
 *
 * Pooling the windows of many series gives a global model (it learns shapes shared across
 * series, the way the best M4 hourly methods did); the windows of one series give a local
 * autoregression.
 */

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { abs, max, sqrt } = Math;

/**
 * How a window is put on a common scale before the regression sees it:
 * - `level`: divided by its mean (shapes in proportion to the level, fit for positive series);
 * - `seasonal-difference`: minus its mean, over the mean absolute change between values one
 *   short season apart, so the squared loss weighs errors the way MASE does;
 * - `deviation`: minus its mean, over the mean absolute deviation from it.
 */
export type WindowNormalisation = 'level' | 'seasonal-difference' | 'deviation';

export interface RidgeDesign {
  /** Values before the origin the model reads. */
  lags: number;
  normalisation: WindowNormalisation;
  /** Values before the origin that set the location and scale. */
  normWindow: number;
  /**
   * The target is the value minus the seasonal naive forecast of this period (the model learns
   * corrections to it, and shrinks towards it); 0: the value minus the window's location.
   */
  basePeriod: number;
  /** Season of the `seasonal-difference` scale. */
  scalePeriod: number;
  /** Every `stride`-th window is used: neighbouring windows overlap almost entirely. */
  stride: number;
}

/** A scale this much smaller than the window's own deviation is a (nearly) exactly periodic window. */
const MIN_RELATIVE_SCALE = 1e-3;
/** Added to the diagonal so a penalty of 0 still factorises. */
const JITTER = 1e-9;

interface WindowFrame {
  location: number;
  scale: number;
}

function frameOf(y: ArrayLike<number>, end: number, design: RidgeDesign): WindowFrame {
  const from = max(0, end - design.normWindow);
  let mean = 0;
  for (let i = from; i < end; i++) mean += y[i];
  mean /= end - from;
  let deviation = 0;
  for (let i = from; i < end; i++) deviation += abs(y[i] - mean);
  deviation /= end - from;
  if (design.normalisation === 'level') {
    const scale = mean > 0 ? mean : deviation;
    return { location: 0, scale: scale > 0 ? scale : 1 };
  }
  let scale = deviation;
  if (design.normalisation === 'seasonal-difference') {
    const p = design.scalePeriod;
    let sum = 0;
    let count = 0;
    for (let i = max(p, from); i < end; i++, count++) sum += abs(y[i] - y[i - p]);
    if (count > 0) scale = max(sum / count, MIN_RELATIVE_SCALE * deviation);
  }
  return { location: mean, scale: scale > 0 ? scale : 1 };
}

/** The value the target is measured from at step h of a window ending at `end`. */
function baseOf(y: ArrayLike<number>, end: number, h: number, design: RidgeDesign, frame: WindowFrame): number {
  const p = design.basePeriod;
  return p > 0 ? y[end - p + (h % p)] : frame.location;
}

/** Windows buffered before they are folded into XᵀX: a block of rows per pass keeps the sums in registers. */
const BATCH = 64;

export class RidgeWindows {
  readonly features: number;
  private readonly gram: Float64Array;
  private readonly cross: Float64Array;
  /** Buffered windows, feature-major: feature i of buffered row r is batchX[i * BATCH + r]. */
  private readonly batchX: Float64Array;
  /** Buffered targets, step-major like batchX. */
  private readonly batchY: Float64Array;
  private buffered = 0;
  private readonly x: Float64Array;
  private windows = 0;

  constructor(
    readonly design: RidgeDesign,
    readonly horizon: number
  ) {
    this.features = design.lags + 1;
    this.gram = new Float64Array(this.features * this.features);
    this.cross = new Float64Array(this.features * horizon);
    this.batchX = new Float64Array(this.features * BATCH);
    this.batchY = new Float64Array(horizon * BATCH);
    this.x = new Float64Array(this.features);
  }

  /** The earliest window end this design can use: enough values for its lags and base. */
  get firstEnd(): number {
    return max(this.design.lags, this.design.basePeriod, 1);
  }

  private fill(y: ArrayLike<number>, end: number): WindowFrame {
    const frame = frameOf(y, end, this.design);
    const { lags } = this.design;
    for (let j = 0; j < lags; j++) this.x[j] = (y[end - lags + j] - frame.location) / frame.scale;
    this.x[lags] = 1;
    return frame;
  }

  /** Adds the window that ends at `end` (its targets are y[end], …, y[end + horizon − 1]). */
  add(y: ArrayLike<number>, end: number): void {
    const { features: d, horizon, x, design, batchX, batchY } = this;
    const frame = this.fill(y, end);
    const r = this.buffered;
    for (let i = 0; i < d; i++) batchX[i * BATCH + r] = x[i];
    for (let h = 0; h < horizon; h++)
      batchY[h * BATCH + r] = (y[end + h] - baseOf(y, end, h, design, frame)) / frame.scale;
    this.windows++;
    if (++this.buffered === BATCH) this.flush();
  }

  /**
   * Folds the buffered windows into XᵀX and XᵀY, two rows by two columns at a time (each load
   * serves two products). Every entry still sums its windows in order, so the result does not
   * depend on the blocking.
   */
  private flush(): void {
    const { features: d, horizon, gram, cross, batchX, batchY } = this;
    const rows = this.buffered;
    for (let i = 0; i < d; i += 2) {
      const pair = i + 1 < d;
      const a0 = i * BATCH;
      const a1 = pair ? a0 + BATCH : a0;
      for (let j = 0; j <= i; j += 2) {
        const b0 = j * BATCH;
        const b1 = j + 1 < d ? b0 + BATCH : b0;
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let r = 0; r < rows; r++) {
          const x0 = batchX[a0 + r];
          const x1 = batchX[a1 + r];
          const y0 = batchX[b0 + r];
          const y1 = batchX[b1 + r];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
        gram[i * d + j] += s00;
        if (j + 1 <= i) gram[i * d + j + 1] += s01;
        if (pair) {
          gram[(i + 1) * d + j] += s10;
          gram[(i + 1) * d + j + 1] += s11;
        }
      }
      for (let h = 0; h < horizon; h += 2) {
        const stepPair = h + 1 < horizon;
        const c0 = h * BATCH;
        const c1 = stepPair ? c0 + BATCH : c0;
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let r = 0; r < rows; r++) {
          const x0 = batchX[a0 + r];
          const x1 = batchX[a1 + r];
          const y0 = batchY[c0 + r];
          const y1 = batchY[c1 + r];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
        cross[i * horizon + h] += s00;
        if (stepPair) cross[i * horizon + h + 1] += s01;
        if (pair) {
          cross[(i + 1) * horizon + h] += s10;
          if (stepPair) cross[(i + 1) * horizon + h + 1] += s11;
        }
      }
    }
    this.buffered = 0;
  }

  /**
   * Weights (features × horizon, row-major) for a penalty of `lambda` per window on every weight
   * but the intercept, or undefined when there are fewer windows than features.
   */
  solve(lambda: number): Float64Array | undefined {
    const { features: d, horizon } = this;
    if (this.windows < d) return undefined;
    this.flush();
    const penalty = lambda * this.windows;
    // Cholesky factor of (XᵀX + penalty·I), lower triangle, row-major.
    const l = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = this.gram[i * d + j];
        if (i === j) sum += (i < d - 1 ? penalty : 0) + JITTER * (1 + penalty);
        for (let k = 0; k < j; k++) sum -= l[i * d + k] * l[j * d + k];
        if (i === j) {
          if (!(sum > 0)) return undefined;
          l[i * d + i] = sqrt(sum);
        } else {
          l[i * d + j] = sum / l[j * d + j];
        }
      }
    }
    // Forward then backward substitution for all steps at once (rows of `weights` are contiguous).
    const weights = Float64Array.from(this.cross);
    for (let i = 0; i < d; i++) {
      const row = i * horizon;
      for (let k = 0; k < i; k++) {
        const factor = l[i * d + k];
        if (factor === 0) continue;
        const other = k * horizon;
        for (let h = 0; h < horizon; h++) weights[row + h] -= factor * weights[other + h];
      }
      const pivot = l[i * d + i];
      for (let h = 0; h < horizon; h++) weights[row + h] /= pivot;
    }
    for (let i = d - 1; i >= 0; i--) {
      const row = i * horizon;
      for (let k = i + 1; k < d; k++) {
        const factor = l[k * d + i];
        if (factor === 0) continue;
        const other = k * horizon;
        for (let h = 0; h < horizon; h++) weights[row + h] -= factor * weights[other + h];
      }
      const pivot = l[i * d + i];
      for (let h = 0; h < horizon; h++) weights[row + h] /= pivot;
    }
    return weights;
  }

  /** The forecast of y[end], …, y[end + horizon − 1] from the values before `end`. */
  predict(weights: Float64Array, y: ArrayLike<number>, end: number = y.length): Float64Array {
    const { features: d, horizon, x, design } = this;
    const frame = this.fill(y, end);
    const out = new Float64Array(horizon);
    for (let i = 0; i < d; i++) {
      const xi = x[i];
      const row = i * horizon;
      for (let h = 0; h < horizon; h++) out[h] += xi * weights[row + h];
    }
    for (let h = 0; h < horizon; h++) out[h] = baseOf(y, end, h, design, frame) + out[h] * frame.scale;
    return out;
  }
}
