import { seededRandom } from '../mlops/gbt';
import { expectedCalibrationError } from './evaluation';
import { fitPlatt, probabilityOf } from './learners';

describe('fitPlatt', () => {
  it('When a model’s log-odds are shifted and stretched, then Platt scaling gives back calibrated probabilities', () => {
    const random = seededRandom(5);
    const truth: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const z = random() * 8 - 6;
      truth.push(random() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
      // What an over-confident, offset learner would output for the same rows.
      raw.push(2 * z + 3);
    }
    const calibration = fitPlatt(raw, truth);
    expect(calibration.slope).toBeCloseTo(0.5, 1);
    expect(calibration.offset).toBeCloseTo(-1.5, 1);
    const before = expectedCalibrationError(
      raw.map((z) => probabilityOf(z, { slope: 1, offset: 0 })),
      truth
    );
    const after = expectedCalibrationError(
      raw.map((z) => probabilityOf(z, calibration)),
      truth
    );
    expect(before).toBeGreaterThan(0.1);
    expect(after).toBeLessThan(0.02);
  });
});
