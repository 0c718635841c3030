import { seededRandom } from './gbt';
import type { FeatureMatrix } from './gbt';
import {
  classNamer,
  buildFeatures,
  columnKinds,
  dropConstantFeatures,
  fitFeatureParams,
  TabularDataError,
} from './tabularFeatures';
import type { Row, TabularFeatureParams, TabularFeatureRequest } from './tabularFeatures';

const REQUEST: TabularFeatureRequest = {
  features: ['temp [C]', 'site'],
  categorical: [],
  group: 'unit',
  order: 'cycle',
  windows: [3],
};

/** Two units of five cycles; unit b's rows come first and in reverse, to test the sorting. */
function rows(): Row[] {
  const a = [10, 12, 11, 15, 20].map((t, i) => ({
    unit: 'a',
    cycle: String(i + 1),
    'temp [C]': String(t),
    site: 'north',
  }));
  const b = [1, 2, 3, 4, 5].map((t, i) => ({
    unit: 'b',
    cycle: String(i + 1),
    'temp [C]': String(t * t),
    site: 'south',
  }));
  return [...b.reverse(), ...a];
}

function fit(table: Row[], request = REQUEST): TabularFeatureParams {
  return fitFeatureParams(
    table,
    request,
    columnKinds(table, request),
    table.map((_, i) => i),
    false
  );
}

const column = (matrix: FeatureMatrix, params: TabularFeatureParams, name: string) => {
  const f = params.names.indexOf(name);
  if (f < 0) throw new Error(`no feature ${name} in ${params.names.join(', ')}`);
  return Array.from({ length: matrix.rowCount }, (_, i) => matrix.values[i * matrix.featureCount + f]);
};

describe('tabular features', () => {
  it('When windows are computed, then each row sees only itself and the rows before it in its own group', () => {
    const table = rows();
    const params = fit(table);
    const matrix = buildFeatures(params, table);
    const a = (name: string) => column(matrix, params, name).slice(5);

    // Unit a's temperatures in cycle order are 10, 12, 11, 15, 20.
    expect(a('temp [C]')).toEqual([10, 12, 11, 15, 20]);
    expect(a('temp [C] mean(3)')).toEqual([10, 11, 11, Math.fround(38 / 3), Math.fround(46 / 3)]);
    expect(a('temp [C] min(3)')).toEqual([10, 10, 10, 11, 11]);
    expect(a('temp [C] max(3)')).toEqual([10, 12, 12, 15, 20]);
    // Least-squares slope per row: 12 − 10 over one step; (11 − 10) / 2 over three rows.
    expect(a('temp [C] slope(3)')).toEqual([0, 2, 0.5, 1.5, 4.5]);
    expect(a('temp [C] std(3)')[0]).toBe(0);
    // Unit b (listed backwards in the file) is sorted by cycle: 1, 4, 9, 16, 25 → its window of 3 at cycle 5.
    const bLast = column(matrix, params, 'temp [C] mean(3)')[0];
    expect(bLast).toBeCloseTo((9 + 16 + 25) / 3, 5);
    // Its first cycle (the file's last b row) never sees unit a's rows.
    expect(column(matrix, params, 'temp [C] max(3)')[4]).toBe(1);
  });

  it('When later rows of a group change, then the features of its earlier rows do not', () => {
    const random = seededRandom(5);
    const table: Row[] = Array.from({ length: 60 }, (_, i) => ({
      unit: String(i % 3),
      cycle: String(Math.floor(i / 3)),
      'temp [C]': String(Math.round(random() * 100)),
      site: random() < 0.5 ? 'north' : 'south',
    }));
    const params = fit(table, { ...REQUEST, windows: [2, 5, 10] });
    const before = buildFeatures(params, table);
    // Every row of unit 1 after cycle 9 gets another temperature.
    const changed = table.map((row) =>
      row.unit === '1' && Number(row.cycle) > 9 ? { ...row, 'temp [C]': '999' } : row
    );
    const after = buildFeatures(params, changed);

    const width = before.featureCount;
    table.forEach((row, i) => {
      const same = Array.from(before.values.subarray(i * width, (i + 1) * width)).every(
        (v, f) => v === after.values[i * width + f]
      );
      expect(same).toBe(!(row.unit === '1' && Number(row.cycle) > 9));
    });
  });

  it('When a categorical column is one-hot encoded, then an unseen level sets no column', () => {
    const table = rows();
    const params = fit(table);
    const matrix = buildFeatures(params, [{ unit: 'c', cycle: '1', 'temp [C]': '7', site: 'east' }]);

    expect(params.names).toEqual(expect.arrayContaining(['site=north', 'site=south']));
    expect(column(matrix, params, 'site=north')).toEqual([0]);
    expect(column(matrix, params, 'site=south')).toEqual([0]);
  });

  it('When numeric features are normalised within a condition, then each level is centred with its own training statistics', () => {
    const table: Row[] = [
      ...[100, 102, 98].map((v, i) => ({ unit: 'a', cycle: String(i), x: String(v), regime: 'high' })),
      ...[10, 11, 9].map((v, i) => ({ unit: 'b', cycle: String(i), x: String(v), regime: 'low' })),
    ];
    const request: TabularFeatureRequest = { features: ['x'], categorical: [], windows: [], normalizeBy: 'regime' };
    const params = fitFeatureParams(table, request, columnKinds(table, request), [0, 1, 2, 3, 4, 5], true);

    const x = column(buildFeatures(params, table), params, 'x');

    expect(x[0]).toBeCloseTo(0, 6);
    expect(x[3]).toBeCloseTo(0, 6);
    expect(x[1]).toBeCloseTo(x[4], 5);
  });

  it('When a feature never varies on the training rows, then it is dropped from the matrix', () => {
    const table = rows().map((row) => ({ ...row, site: 'north' }));
    const fitted = fit(table);
    const params = dropConstantFeatures(
      fitted,
      buildFeatures(fitted, table, { all: true }),
      table.map((_, i) => i)
    );

    expect(params.names).not.toContain('site=north');
    expect(params.names).toContain('temp [C] mean(3)');
    expect(buildFeatures(params, table).featureCount).toBe(params.names.length);
  });

  it('When a numeric column has a word in it, then the error names the column, the row and the cell', () => {
    const table = rows();
    const params = fit(table);
    const bad = table.map((row, i) => (i === 3 ? { ...row, 'temp [C]': 'hot' } : row));

    expect(() => buildFeatures(params, bad)).toThrow(TabularDataError);
    expect(() => buildFeatures(params, bad)).toThrow('column "temp [C]" must hold numbers; data row 4 has "hot"');
    // At training time a mostly numeric column with a stray word is refused the same way.
    const many = Array.from({ length: 20 }, (_, i) => ({ ...table[i % 10], 'temp [C]': i === 7 ? 'n.a.' : String(i) }));
    expect(() => columnKinds(many, REQUEST)).toThrow('column "temp [C]" holds numbers but data row 8 has "n.a."');
  });
});

describe('classNamer', () => {
  it('When every label is a number, then the spellings of one value are one class named by its most frequent spelling', () => {
    const nameOf = classNamer(['1', '1.0', '1', '0', '0.0', '0.0', '1e0']);
    expect(['1.0', '1e0', '+1', '0', '-0', '2'].map(nameOf)).toEqual(['1', '1', '1', '0.0', '0.0', '2']);
  });

  it('When labels are codes with leading zeros, then each keeps its name', () => {
    const nameOf = classNamer(['01', '02', '02', ' 10 ']);
    expect(['01', '02', '10', '1'].map(nameOf)).toEqual(['01', '02', '10', '01']);
  });

  it('When a label is not a number, then every label is its own class, without surrounding spaces', () => {
    const nameOf = classNamer(['1', '1.0', 'high']);
    expect(['1', '1.0', ' high '].map(nameOf)).toEqual(['1', '1.0', 'high']);
  });
});
