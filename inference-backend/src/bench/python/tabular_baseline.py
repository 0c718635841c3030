"""scikit-learn anchor of `npm run bench:cmapss` (issue 10): HistGradientBoostingRegressor with its defaults,
learning from exactly the feature matrix of our exported model (rolling windows, normalisation, as float32),
scored like ours at each test unit's last cycle. Same features, another learner.

The bench writes raw little-endian arrays; this script prints one JSON object on stdout.
Only the bench's project-local virtualenv runs it; the product never runs Python.

    python tabular_baseline.py --features F --x-train x.f32 --y-train y.f64 --x-test t.f32 \
        --test-rows rows.f64 --y-test truth.f64 --cap 125
"""

import argparse
import json
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor


def main():
    parser = argparse.ArgumentParser()
    for name in ["--x-train", "--y-train", "--x-test", "--test-rows", "--y-test"]:
        parser.add_argument(name, required=True)
    parser.add_argument("--features", type=int, required=True)
    parser.add_argument("--cap", type=float, required=True)
    args = parser.parse_args()

    x_train = np.fromfile(args.x_train, dtype="<f4").reshape(-1, args.features)
    y_train = np.fromfile(args.y_train, dtype="<f8")
    x_test = np.fromfile(args.x_test, dtype="<f4").reshape(-1, args.features)
    rows = np.fromfile(args.test_rows, dtype="<f8").astype(np.int64)
    truth = np.fromfile(args.y_test, dtype="<f8")

    began = time.perf_counter()
    model = HistGradientBoostingRegressor(random_state=0).fit(x_train, y_train)
    fit_seconds = time.perf_counter() - began
    predicted = model.predict(x_test[rows])
    rmse = float(np.sqrt(np.mean((predicted - truth) ** 2)))
    rmse_capped = float(np.sqrt(np.mean((predicted - np.minimum(truth, args.cap)) ** 2)))
    print(json.dumps({"rmse": rmse, "rmseCapped": rmse_capped, "fitSeconds": fit_seconds}))


if __name__ == "__main__":
    main()
