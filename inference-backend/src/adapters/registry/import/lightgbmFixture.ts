/**
 * Test fixture: a LightGBM 3-class model on one feature `load`, as LightGBM dumps it: three one-split
 * trees, x <= 0 → leaves [1, 0, -1] (class 0 wins), x > 0 → [-1, 0, 1] (class 2 wins).
 */
export const multiclassDump = (objective = 'multiclass num_class:3') => ({
  objective,
  num_class: 3,
  num_tree_per_iteration: 3,
  max_feature_idx: 0,
  feature_names: ['load'],
  tree_info: [1, 0, -1].map((sign) => ({
    num_cat: 0,
    tree_structure: {
      split_feature: 0,
      threshold: 0,
      decision_type: '<=',
      default_left: true,
      missing_type: 'NaN',
      left_child: { leaf_value: sign },
      right_child: { leaf_value: -sign },
    },
  })),
});

/** Softmax of the leaves of `multiclassDump` for x <= 0 ([1, 0, -1]) and x > 0 ([-1, 0, 1]). */
export function softmax(margins: number[]): number[] {
  const e = margins.map((m) => Math.exp(m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
