"""scikit-learn anchor of `npm run bench:problems` (issue 12): a binary problem read from exactly the
feature CSVs our `nocai problems train-file` reads. Learners fit on the rows whose `part` is `train`
(the rows our AutoML's final model is fitted on) and are scored by average precision (PR-AUC) and
ROC-AUC on the `validation` rows of the training file and on every row of the test file.

GradientBoostingClassifier and HistGradientBoostingClassifier keep scikit-learn's defaults: nothing
is tuned here, so nothing can be tuned on the test rows.

Prints one JSON object on stdout. Only the bench's project-local virtualenv runs it; it needs
scikit-learn (and its numpy) only, which is all that virtualenv installs.

    python problem_baseline.py --train features_train.csv --test features_test.csv --label fails_30 \
        --id-columns unit,cycle,part [--models gbc,hgb]
"""

import argparse
import csv
import json
import time

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

MODELS = {
    "gbc": lambda: GradientBoostingClassifier(random_state=0),
    "hgb": lambda: HistGradientBoostingClassifier(random_state=0),
}


def figures(model, x, y):
    p = model.predict_proba(x)[:, 1]
    return {"prAuc": float(average_precision_score(y, p)), "rocAuc": float(roc_auc_score(y, p)), "rows": int(len(y))}


def read_table(path, label, id_columns):
    """The CSV's feature names, and per row its `part`, its 0/1 label and its features (float32)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        ids = set(id_columns) | {label}
        features = [c for c in header if c not in ids]
        at = [header.index(c) for c in features]
        part_at = header.index("part") if "part" in header else None
        label_at = header.index(label)
        parts, labels, rows = [], [], []
        for row in reader:
            if not row:
                continue
            parts.append(row[part_at] if part_at is not None else "")
            labels.append(int(row[label_at]))
            rows.append(np.array([row[i] for i in at], dtype=np.float32))
    x = np.stack(rows) if rows else np.zeros((0, len(features)), dtype=np.float32)
    return features, np.array(parts), np.array(labels, dtype=np.int64), x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--id-columns", required=True)
    parser.add_argument("--models", default="gbc,hgb")
    args = parser.parse_args()

    ids = args.id_columns.split(",")
    features, parts, y, x = read_table(args.train, args.label, ids)
    _, _, y_test, x_test = read_table(args.test, args.label, ids)
    fit = parts == "train"
    validation = parts == "validation"
    x_fit, y_fit = x[fit], y[fit]

    out = {"features": len(features), "fitRows": int(fit.sum())}
    for name in args.models.split(","):
        began = time.perf_counter()
        model = MODELS[name]().fit(x_fit, y_fit)
        seconds = time.perf_counter() - began
        out[name] = {
            "fitSeconds": seconds,
            "validation": figures(model, x[validation], y[validation]),
            "test": figures(model, x_test, y_test),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
