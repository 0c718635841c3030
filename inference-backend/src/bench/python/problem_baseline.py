"""scikit-learn anchor of `npm run bench:problems` (issue 12): a binary problem read from exactly the
feature CSVs our `nocai problems train-file` reads. Learners fit on the rows whose `part` is `train`
(the rows our AutoML's final model is fitted on) and are scored by average precision (PR-AUC) and
ROC-AUC on the `validation` rows of the training file and on every row of the test file.

GradientBoostingClassifier and HistGradientBoostingClassifier keep scikit-learn's defaults: nothing
is tuned here, so nothing can be tuned on the test rows.

Prints one JSON object on stdout. Only the bench's project-local virtualenv runs it.

    python problem_baseline.py --train features_train.csv --test features_test.csv --label fails_30 \
        --id-columns unit,cycle,part [--models gbc,hgb]
"""

import argparse
import json
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

MODELS = {
    "gbc": lambda: GradientBoostingClassifier(random_state=0),
    "hgb": lambda: HistGradientBoostingClassifier(random_state=0),
}


def figures(model, x, y):
    p = model.predict_proba(x)[:, 1]
    return {"prAuc": float(average_precision_score(y, p)), "rocAuc": float(roc_auc_score(y, p)), "rows": int(len(y))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--id-columns", required=True)
    parser.add_argument("--models", default="gbc,hgb")
    args = parser.parse_args()

    train = pd.read_csv(args.train)
    test = pd.read_csv(args.test)
    ids = set(args.id_columns.split(",")) | {args.label}
    features = [c for c in train.columns if c not in ids]
    fit_rows = train[train["part"] == "train"]
    validation = train[train["part"] == "validation"]
    x_fit = fit_rows[features].to_numpy(dtype=np.float32)
    y_fit = fit_rows[args.label].to_numpy()

    out = {"features": len(features), "fitRows": int(len(fit_rows))}
    for name in args.models.split(","):
        began = time.perf_counter()
        model = MODELS[name]().fit(x_fit, y_fit)
        seconds = time.perf_counter() - began
        out[name] = {
            "fitSeconds": seconds,
            "validation": figures(model, validation[features].to_numpy(dtype=np.float32), validation[args.label]),
            "test": figures(model, test[features].to_numpy(dtype=np.float32), test[args.label]),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
