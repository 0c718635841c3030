"""scikit-learn's side of the predict throughput in `npm run bench:text` (issue 9: `nocai predict` at least
10x scikit-learn's rows/s on the same rows and model size).

It does what `nocai predict` does, the scikit-learn way, on the same CSV: read the rows, TF-IDF + logistic
regression probabilities, the most probable label and its probability, and the CSV out (every input column,
then label and confidence to 4 decimals), written to memory as ours is. The fitted pipeline is the one
text_baseline.py pickled for the same fold (--save-model). Loading it is timed on its own, as ours is:

- loadSeconds: unpickling the pipeline;
- passSeconds: one timed pass per --repeat, model loaded: CSV read, predict_proba, CSV written; after
  --warmup untimed passes first, as ours has;
- passCpuSeconds: the CPU time of the process in each pass (all its threads), which the other programs of a
  shared machine do not inflate.

Single-threaded, as scikit-learn's TfidfVectorizer and a sparse predict_proba are. Prints one JSON object.

    python text_predict_speed.py --model fold0.pkl --data rows.csv --text text [--repeat 3] [--warmup 1]
"""

import argparse
import csv
import io
import json
import pickle
import sys
import time


def predict_csv(model, path, text_column):
    """One pass of `predict`: the CSV text it writes."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        rows = list(reader)
    probabilities = model.predict_proba([r[text_column] for r in rows])
    best = probabilities.argmax(axis=1)
    labels = model.classes_[best]
    confidence = probabilities[range(len(rows)), best]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, "label", "label_confidence"])
    for r, label, p in zip(rows, labels, confidence):
        writer.writerow([*(r[c] for c in columns), label, f"{p:.4f}"])
    return out.getvalue(), len(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="pipeline pickled by text_baseline.py --save-model")
    parser.add_argument("--data", required=True)
    parser.add_argument("--text", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=0, help="untimed passes before the timed ones")
    args = parser.parse_args()

    csv.field_size_limit(sys.maxsize)
    began = time.perf_counter()
    with open(args.model, "rb") as f:
        model = pickle.load(f)
    load_seconds = time.perf_counter() - began
    passes = []
    cpu = []
    rows = 0
    for _ in range(args.warmup):
        predict_csv(model, args.data, args.text)
    for _ in range(args.repeat):
        began = time.perf_counter()
        began_cpu = time.process_time()
        _, rows = predict_csv(model, args.data, args.text)
        cpu.append(time.process_time() - began_cpu)
        passes.append(time.perf_counter() - began)
    json.dump({"rows": rows, "loadSeconds": load_seconds, "passSeconds": passes, "passCpuSeconds": cpu}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
