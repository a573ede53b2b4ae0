#!/usr/bin/env python3
"""The headline table of bench/dgl_vs.sh: one row per dataset and hidden size.

  vs_table.py --epochs N DATASET HIDDEN RUNS.tsv [DATASET HIDDEN RUNS.tsv ...]

RUNS.tsv: bench/ab_lib.sh's ab_rounds output with variants "dgl" and
"distsage" (one JSON object of figures per run). Epoch figures are medians
over the pairs; the ratio is the median of distsage / DGL within each pair
(the machine's drift cancels); accuracies are means over the runs.
"""
import argparse
import json
import statistics

NAMES = {"amazon_computers": "Amazon Computers", "amazon_photo": "Amazon Photo", "cora": "Cora"}


def read_runs(path):
    """{variant: {round: figures}} from an ab_rounds TSV."""
    runs = {}
    for line in open(path):
        variant, rnd, _load, blob = line.rstrip("\n").split("\t", 3)
        runs.setdefault(variant, {})[int(rnd)] = json.loads(blob)
    return runs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("rows", nargs="+", help="DATASET HIDDEN RUNS.tsv, repeated")
    args = parser.parse_args()
    if len(args.rows) % 3:
        parser.error("rows come in threes: DATASET HIDDEN RUNS.tsv")

    print("| dataset | hidden | DGL epoch s (sample / fwd / bwd) | distsage epoch s "
          "| distsage / DGL, median of pairs (each pair) "
          "| test acc @%d epochs, DGL / distsage (mean of runs) | other cores (min - max) |"
          % args.epochs)
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i in range(0, len(args.rows), 3):
        dataset, hidden, path = args.rows[i:i + 3]
        runs = read_runs(path)
        dgl, ours = runs["dgl"], runs["distsage"]
        median = lambda runs_, key: statistics.median(r[key] for r in runs_.values())
        pairs = sorted(set(dgl) & set(ours))
        ratios = [ours[p]["epoch_s"] / dgl[p]["epoch_s"] for p in pairs]
        accuracy = lambda runs_: statistics.mean(r["test_acc"] for r in runs_.values())
        others = [r["other_cores"] for v in (dgl, ours) for r in v.values() if "other_cores" in r]
        print("| %s | %s | %.3f (%.3f / %.3f / %.3f) | %.3f | %.2f (%s) | %.3f / %.3f (%d / %d) "
              "| %.2f - %.2f |" % (
                  NAMES.get(dataset, dataset), hidden, median(dgl, "epoch_s"),
                  median(dgl, "sample_s"), median(dgl, "forward_s"), median(dgl, "backward_s"),
                  median(ours, "epoch_s"), statistics.median(ratios),
                  ", ".join("%.2f" % r for r in ratios), accuracy(dgl), accuracy(ours),
                  len(dgl), len(ours), min(others, default=0), max(others, default=0)))
    print()
    print("Epoch s: median over the runs of each run's mean epoch time, epochs 2..%d. DGL's"
          % args.epochs)
    print("split is train_dist.py's own (sample+data copy / forward / backward; the Adam update")
    print("is the rest). Other cores: how many cores other processes kept busy during a run.")


if __name__ == "__main__":
    main()
