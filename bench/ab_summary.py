#!/usr/bin/env python3
"""Summarises interleaved benchmark runs (A B A B ...) as a Markdown table.

Input: a TSV file, one line per run: variant, round, 1-minute load average at
the run's start, and a JSON object of figures (name -> number). Every variant
runs once per round, in turn, so a ratio is taken within a round (the machine's
drift cancels) and its median over rounds is printed, beside each variant's
median, min and max.

  ab_summary.py RUNS.tsv --baseline VARIANT [--figures name=label,...]
"""
import argparse
import collections
import json
import statistics


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runs")
    parser.add_argument("--baseline", required=True, help="variant the ratios divide by")
    parser.add_argument("--figures", default="", help="name=label,... (default: every figure)")
    args = parser.parse_args()

    figures = collections.defaultdict(dict)  # (variant, name) -> {round: value}
    variants, names, loads, runs = [], [], [], []
    for line in open(args.runs):
        variant, rnd, load, blob = line.rstrip("\n").split("\t", 3)
        loads.append(float(load))
        runs.append((int(rnd), variant, float(load), json.loads(blob)))
        if variant not in variants:
            variants.append(variant)
        for name, value in json.loads(blob).items():
            if name not in names:
                names.append(name)
            figures[(variant, name)][int(rnd)] = float(value)
    labels = dict(f.split("=", 1) for f in args.figures.split(",") if f) or {n: n for n in names}

    print("| figure | variant | median | min - max | runs | ratio to %s (median of per-round ratios) |"
          % args.baseline)
    print("| --- | --- | --- | --- | --- | --- |")
    for name, label in labels.items():
        base = figures[(args.baseline, name)]
        for variant in variants:
            values = figures[(variant, name)]
            if not values:
                continue
            ordered = sorted(values.values())
            ratios = [values[r] / base[r] for r in values if r in base and base[r] > 0]
            ratio = "%.2f (%s)" % (statistics.median(ratios), ", ".join("%.2f" % x for x in ratios)) \
                if ratios and variant != args.baseline else ""
            print("| %s | %s | %.3f | %.3f - %.3f | %d | %s |" % (
                label, variant, statistics.median(ordered), ordered[0], ordered[-1], len(ordered),
                ratio))
    print()
    print("Every run, in order (other cores: how many cores other processes kept busy during")
    print("the run, on average):")
    print()
    print("| round | variant | %s | other cores | load at start |" % " | ".join(labels.values()))
    print("| --- | --- | %s--- | --- |" % ("--- | " * len(labels)))
    for rnd, variant, load, values in runs:
        print("| %d | %s | %s | %s | %.2f |" % (
            rnd, variant, " | ".join("%g" % values[n] if n in values else "" for n in labels),
            "%.2f" % values["other_cores"] if "other_cores" in values else "", load))
    print()
    print("1-minute load average at the runs' starts: %.2f - %.2f (median %.2f) on %d cores"
          " (it includes this benchmark's own previous runs)"
          % (min(loads), max(loads), statistics.median(loads), _cores()))


def _cores():
    import os
    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
