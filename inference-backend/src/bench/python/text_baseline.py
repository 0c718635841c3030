"""scikit-learn anchor of `npm run bench:text` (issue 9): the "ten-line baseline" the text models must beat.

TF-IDF word 1-2-grams + TF-IDF char_wb 3-5-grams (scikit-learn's defaults otherwise: raw tf, L2 norm,
smoothed idf, each block normalised on its own by FeatureUnion) and a multinomial LogisticRegression
(defaults: C=1, no class weights, lbfgs; max_iter raised so that it converges).

It reads the same CSV and the fold of every row from the file the bench wrote, so that both sides
score exactly the same folds, and prints one JSON object on stdout. The product never runs Python:
this file only runs in the bench's project-local virtualenv.

    python text_baseline.py --data tickets.csv --text text --label topic --folds folds.txt [--only-fold 0[,2…]] \
        [--save-model fold0.pkl]

--save-model pickles the pipeline fitted for the first fold scored, for text_predict_speed.py.
"""

import argparse
import csv
import json
import pickle
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline, make_union


def baseline():
    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2)),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)),
        ),
        LogisticRegression(max_iter=1000),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--text", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--folds", required=True, help="one integer fold id per data row, in row order")
    parser.add_argument("--only-fold", help="score only these folds, comma-separated (0: a single held-out split)")
    parser.add_argument("--save-model", help="pickle the pipeline of the first fold scored to this file")
    args = parser.parse_args()

    csv.field_size_limit(sys.maxsize)
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r[args.text] for r in rows]
    labels = [r[args.label] for r in rows]
    with open(args.folds, encoding="utf-8") as f:
        folds = [int(line) for line in f if line.strip()]
    if len(folds) != len(rows):
        raise SystemExit(f"{args.folds} has {len(folds)} fold ids for {len(rows)} rows")

    out = {"folds": [], "sklearn": __import__("sklearn").__version__}
    for k in sorted(set(folds)) if args.only_fold is None else [int(f) for f in args.only_fold.split(",")]:
        train = [i for i, f in enumerate(folds) if f != k]
        test = [i for i, f in enumerate(folds) if f == k]
        model = baseline()
        began = time.perf_counter()
        model.fit([texts[i] for i in train], [labels[i] for i in train])
        fit_seconds = time.perf_counter() - began
        test_texts = [texts[i] for i in test]
        if args.save_model and not out["folds"]:
            with open(args.save_model, "wb") as f:
                pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        began = time.perf_counter()
        predicted = model.predict(test_texts)
        predict_seconds = time.perf_counter() - began
        truth = [labels[i] for i in test]
        out["folds"].append(
            {
                "fold": k,
                "rows": len(test),
                "macroF1": f1_score(truth, predicted, average="macro"),
                "accuracy": accuracy_score(truth, predicted),
                "fitSeconds": fit_seconds,
                "predictSeconds": predict_seconds,
                # Everything needed to predict: both vocabularies, idf and the coefficients.
                "modelBytes": len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)),
                "features": sum(len(v.vocabulary_) for _, v in model[0].transformer_list),
            }
        )
        print(f"fold {k}: macro-F1 {out['folds'][-1]['macroF1']:.4f} in {fit_seconds:.0f} s", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
