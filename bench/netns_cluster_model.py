#!/usr/bin/env python3
"""Tables and a scaling model from bench/netns_cluster.sh's raw runs.

Input: the JSON lines netns_cluster.sh writes: {"link_check": RATE,
"tcp_gbit_s": ...} per rate, then one line per run: rate, prefetch, round,
the bytes each machine's link sent and received during the run, and every
rank's trainer JSON line. Prints Markdown: the runs, a summary per rate and
prefetch (median, min-max over rounds), and the modelled epoch at more
machines (the formula is printed with it).

  netns_cluster_model.py RAW.jsonl [--machines 4,8,16] [--reference LABEL:epoch=S,...]
"""
import argparse
import functools
import json
import math
import statistics

FORMULA = """\
Model (per step, from the 2-machine medians at each rate with the largest
prefetch; the epoch is S steps, S = ceil(training nodes / global batch) stays
the same at any M, since the global batch is fixed):

    c   model step less all-reduce, per step (forward, backward, optimiser)
    a   all-reduce per step
    L   loader time per step (sample + pull, one loader thread)
    b   bytes per step into the busiest machine's link (measured on its eth0)
    n   = 8 b / R, the time the link needs for them at rate R
    l   = max(0, L - n), the loader's own work (sampling, servers' gathers, copies)
    k   = e - max(c + a, L), what the measured step e spends beyond the
          overlapped pipeline (the stall on the loader, per-step overheads)

    at M machines, each trainer takes 1000 / M seeds per step; f(M) is the
    sampled input rows per seed at that per-trainer batch over the rows per
    seed at 500 (measured: --bench_batches runs with the smaller batch):
    c(M) = c (2/M) f(M)   l(M) = l (2/M) f(M)
    b(M) = b (2/M) f(M) r(M)/r(2),  r(M) = (M-1)/M
    n(M) = 8 b(M) / R
    a(M) = w (2/M) X(M)/X(2) + g(M),  g(M) = 2 (M-1)/M 4P 8/R + 2 (M-1) alpha,
           w = max(0, a - g(2)): the all-reduce's wait for the slowest rank
    step(M)        = max(c(M) + a(M), l(M) + n(M)) + k      (prefetch: loader overlaps)
    step_serial(M) = c(M) + a(M) + l(M) + n(M) + k          (no overlap at all)
    epoch(M)       = S step(M)

Assumptions: (1) a machine is what one namespace had here: about one of this
machine's 2 shared cores for its trainer and its server together, so c and l
are per-core figures and each added machine brings its own core; (2) work and
bytes per step are proportional to the sampled input rows (seeds times rows
per seed; with fewer seeds per batch, fewer sampled neighbours are shared); (3) the remote
share r(M) of a machine's sampled rows grows as (M-1)/M: the synthetic graph
puts 80% of edges inside communities of ~2000 nodes, which METIS keeps whole,
and the other 20% between uniformly random nodes, so the edge cut is
0.2 (M-1)/M (10.7% measured at M=2, against 10% predicted); (4) the all-reduce
is Gloo's ring over the P model parameters (float32): g(M) is its transfer
time plus 2(M-1) messages of alpha = 0.1 ms each (assumed, not measured);
what it measures beyond that at M=2 (w) is the faster rank waiting for the
slower: the ranks' step times spread in proportion to the step's work
(2/M), and the slowest of M is X(M) standard deviations above the mean, X
the expected maximum of M standard normals (0.56, 1.03, 1.42, 1.77 for 2, 4,
8, 16); (5) every
machine's link runs at R both ways and the switch is not a bottleneck;
(6) no latency is modelled: the veths add tens of microseconds."""


ALPHA_S = 1e-4  # One all-reduce message's latency (assumed).


@functools.lru_cache(maxsize=None)
def expected_max(m):
    """E[max of m standard normals], by integrating 1 - F(x)^m (and -F(x)^m below 0)."""
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    dx = 2e-3
    upper = sum((1 - cdf(i * dx) ** m) * dx for i in range(4000))
    lower = sum(cdf(-i * dx) ** m * dx for i in range(4000))
    return upper - lower


def rate_bits(rate):
    units = {"k": 1e3, "m": 1e6, "g": 1e9}
    number = rate[: -len("bit")]
    return float(number[:-1]) * units[number[-1]] if number[-1] in units else float(number)


def median_range(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    text = fmt % statistics.median(values)
    if len(values) > 1:
        text += " (" + fmt % min(values) + "-" + fmt % max(values) + ")"
    return text


def run_figures(run):
    """Per-epoch figures of one run: the slowest rank's times, all ranks' bytes."""
    ranks = run["ranks"]
    epochs = ranks[0]["hyperparameters"]["num_epochs"]
    slow = max(ranks, key=lambda r: r["epoch_s_mean"])
    rate = rate_bits(run["rate"])
    loader = slow["sample_s_mean"] + slow["pull_s_mean"]
    # The time the busiest link must have carried the bytes its machine received.
    net = max(run["link_rx_bytes"]) * 8 / rate / epochs
    num_train = sum(r["num_train"] for r in ranks)
    steps = math.ceil(num_train / ranks[0]["hyperparameters"]["batch_size"])
    return {
        "epoch": slow["epoch_s_mean"],
        "compute": slow["compute_s_mean"],
        "allreduce": slow["allreduce_s_mean"],
        "sample": slow["sample_s_mean"],
        "pull": slow["pull_s_mean"],
        "wait": slow["wait_s_mean"],
        "loader": loader,
        "grpc_mb": sum(r["bytes_sent"] + r["bytes_received"] for r in ranks) / epochs / 1e6,
        "link_mb": sum(run["link_tx_bytes"]) / epochs / 1e6,
        "max_rx_bytes": max(run["link_rx_bytes"]) / epochs,
        "net": net,
        # Of the loader's time, the share the model step did not wait for.
        "hidden_loader": 1 - slow["wait_s_mean"] / loader if loader > 0 else None,
        # Of the link time, the share hidden even if every stall was the network's.
        "hidden_net": 1 - min(slow["wait_s_mean"], net) / net if net > 0 else None,
        "steps": steps,
        "epochs": epochs,
        "checksums": sorted({r["param_checksum"] for r in ranks}),
        "busy": run.get("machine_busy_cores"),
        "own": run["cluster_cpu_s"] / run["wall_s"] if "cluster_cpu_s" in run else None,
        "warmup_excluded": ranks[0].get("epoch_means_exclude_first_epochs", 0),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("--machines", default="4,8,16")
    parser.add_argument("--reference", default="",
                        help="LABEL:epoch=S,compute=S,allreduce=S,sample=S,pull=S: per-epoch "
                             "seconds of the same setup on a quiet machine over loopback, "
                             "modelled too")
    args = parser.parse_args()
    lines = [json.loads(line) for line in open(args.raw) if line.strip()]
    checks = [l for l in lines if "link_check" in l]
    runs = [l for l in lines if "ranks" in l]
    rates = list(dict.fromkeys(r["rate"] for r in runs))
    prefetches = sorted({r["prefetch"] for r in runs}, reverse=True)
    machines = len(runs[0]["ranks"])
    hyper = runs[0]["ranks"][0]["hyperparameters"]

    print("## Links\n")
    print("Each machine's link is shaped with a tbf on both of its ends; one TCP stream")
    print("between two namespaces (python3, 1 MiB writes) measured before the servers start:\n")
    print("| rate | one TCP stream, Gbit/s |")
    print("| --- | --- |")
    for c in checks:
        print("| %s | %.2f |" % (c["link_check"], c["tcp_gbit_s"]))
    print("\nAbove about 2 Gbit/s, this machine's 2 shared cores, not the shaping, bound what a")
    print("veth carries: the 10gbit runs measure a link faster than the CPUs can fill.\n")

    figs = [(r, run_figures(r)) for r in runs]
    print("## Runs (%d machines, hidden %d, %d epoch(s) each; times of the slowest rank)\n"
          % (machines, hyper["num_hidden"], figs[0][1]["epochs"]))
    print("| round | rate | prefetch | epoch s | compute s | all-reduce s | sample s | pull s "
          "| wait s | gRPC MB/epoch | link MB/epoch | link s | loader hidden | link time hidden, at least "
          "| busy cores | cluster's cores | checksums |")
    print("|" + " --- |" * 17)
    for run, f in figs:
        print("| %d | %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f | %.1f | %.0f%% "
              "| %.0f%% | %s | %s | %s |" % (
                  run["round"], run["rate"], run["prefetch"], f["epoch"], f["compute"],
                  f["allreduce"], f["sample"], f["pull"], f["wait"], f["grpc_mb"], f["link_mb"],
                  f["net"], 100 * f["hidden_loader"], 100 * (f["hidden_net"] or 0),
                  f["busy"], "-" if f["own"] is None else "%.2f" % f["own"],
                  "equal" if len(f["checksums"]) == 1 else "DIFFER"))
    warm = "excluded" if figs[0][1]["warmup_excluded"] else "included (1 epoch per run)"
    print("""
Epoch s: wall time of the training pass (the first epoch's warm-up %s).
Compute: the model steps (forward, backward, optimiser, all-reduce); sample and pull:
the loader thread's time (overlapping compute); wait: the model step idle, waiting
for the loader. gRPC MB: requests and answers through the graph servers, all ranks
(the home partition is read from shared memory, so this is what crossed the links);
link MB: bytes all machines' eth0 sent (with TCP/IP headers, the trainers'
all-reduce and rendezvous). Link s: the busiest machine's received bytes over the
rate, the least time its link needed. Loader hidden: 1 - wait / (sample + pull).
Link time hidden, at least: 1 - min(wait, link s) / link s, counting every stall
as the network's. With stalls spread over the loader's work in proportion, the
link time hidden is the loader's share. Busy cores: the whole machine's, out of
2, during the run; cluster's cores: the CPU time of the trainers (from their
start) and servers over the run's wall time (other processes had the rest).
""" % warm)

    print("## Summary (median, min-max over rounds)\n")
    print("| rate | prefetch | runs | epoch s | pull s | wait s | link s | loader hidden "
          "| link time hidden, at least | MB/epoch (gRPC) |")
    print("|" + " --- |" * 10)
    for rate in rates:
        for p in prefetches:
            sel = [f for r, f in figs if r["rate"] == rate and r["prefetch"] == p]
            if not sel:
                continue
            print("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                rate, p, len(sel), median_range([f["epoch"] for f in sel], "%.1f"),
                median_range([f["pull"] for f in sel], "%.1f"),
                median_range([f["wait"] for f in sel], "%.1f"),
                median_range([f["net"] for f in sel], "%.1f"),
                median_range([100 * f["hidden_loader"] for f in sel], "%.0f%%"),
                median_range([100 * (f["hidden_net"] or 0) for f in sel], "%.0f%%"),
                median_range([f["grpc_mb"] for f in sel], "%.0f")))

    # Paired by round: what the slower link cost the epoch against what it
    # added to the link time; the rest was hidden behind the model step.
    if len(rates) >= 2:
        by_speed = sorted(rates, key=rate_bits, reverse=True)
        fast, slow_rate = by_speed[0], by_speed[-1]
        print("\nThe slower link, paired by round (%s against %s): the link time it adds, what"
              % (slow_rate, fast))
        print("the epoch grew by, and the share of the added link time hidden"
              " (1 - epoch growth / link time growth):\n")
        print("| prefetch | added link s | epoch growth s | hidden |")
        print("| --- | --- | --- | --- |")
        for p in prefetches:
            rows = []
            for rnd in sorted({r["round"] for r in runs}):
                a = [f for r, f in figs if r["rate"] == fast and r["prefetch"] == p and r["round"] == rnd]
                b = [f for r, f in figs if r["rate"] == slow_rate and r["prefetch"] == p and r["round"] == rnd]
                if a and b:
                    rows.append((b[0]["net"] - a[0]["net"], b[0]["epoch"] - a[0]["epoch"]))
            if rows:
                grew = [(x, y) for x, y in rows if x > 0 and y >= 0]
                print("| %d | %s | %s | %s |" % (
                    p, median_range([x for x, _ in rows], "%.1f"),
                    median_range([y for _, y in rows], "%.1f"),
                    median_range([100 * (1 - y / x) for x, y in grew], "%.0f%%")
                    if len(grew) == len(rows) else "- (the epoch did not grow with the slower link: "
                    "the CPU, not the link, set it)"))

    print("\n## Model: the epoch at more machines\n")
    print("```\n" + FORMULA + "\n```\n")
    targets = [int(m) for m in args.machines.split(",")]
    graph = next(l["graph"] for l in lines if "graph" in l)
    d, h, classes = graph["feat_dim"], hyper["num_hidden"], graph["num_classes"]
    # GraphSAGE (mean): a self and a neighbour weight per layer, and a bias.
    params = 2 * d * h + h + 2 * h * classes + classes
    rows = {l["rows_per_seed"]["machines_modelled"]:
            l["rows_per_seed"]["num_input_nodes"] / l["rows_per_seed"]["num_seeds"]
            for l in lines if "rows_per_seed" in l}
    f = lambda m: rows[m] / rows[machines] if m in rows and machines in rows else 1.0
    if rows:
        print("Sampled input rows per seed, per-trainer batch 1000/M (f(M) in brackets): " +
              ", ".join("M=%d: %.1f (%.2f)" % (m, rows[m], f(m)) for m in sorted(rows)) + ".\n")
    print("P = %d parameters (2 layers, %d features, hidden %d, %d classes); alpha = %.1f ms.\n"
          % (params, d, h, classes, 1e3 * ALPHA_S))
    p = prefetches[0]
    per_rate = {}  # rate -> (steps, measured epoch, per-epoch c+a, a, loader, bytes into a machine)
    for rate in rates:
        sel = [f for r, f in figs if r["rate"] == rate and r["prefetch"] == p]
        if sel:
            med = lambda key: statistics.median(f[key] for f in sel)
            per_rate[rate] = (sel[0]["steps"], med("epoch"), med("compute"), med("allreduce"),
                              med("loader"), med("max_rx_bytes"))
    model_table(per_rate, machines, targets, params, f, "measured epoch", network_in_loader=True)
    print("\nk (per step, beyond the overlapped pipeline) is taken from the measured %d-machine"
          " epoch and kept\nconstant; the M=%d row is the model fitted to the measurement,"
          " not a prediction." % (machines, machines))
    if args.reference:
        label, figures = args.reference.split(":", 1)
        ref = dict((k, float(v)) for k, v in (x.split("=") for x in figures.split(",")))
        print("\nThe same model with the per-step costs of %s (epoch %.1f s: compute %.1f incl."
              " all-reduce %.1f,\nsample %.1f, pull %.1f s, over loopback: no link time in them),"
              " this run's bytes per step\nand each rate's link time added to the loader:\n"
              % (label, ref["epoch"], ref["compute"], ref["allreduce"], ref["sample"], ref["pull"]))
        quiet = {rate: (v[0], ref["epoch"], ref["compute"], ref["allreduce"],
                        ref["sample"] + ref["pull"], v[5]) for rate, v in per_rate.items()}
        model_table(quiet, machines, targets, params, f, "reference epoch", network_in_loader=False)


def model_table(per_rate, machines, targets, params, f, what, network_in_loader):
    """Prints the model's rows for each rate from per-epoch figures at `machines`.

    network_in_loader: whether the loader time already holds the link time
    (measured through the shaped links) or not (a loopback reference)."""
    print("| rate | M | f(M) | c(M) ms | a(M) ms | l(M) ms | n(M) ms | MB/step into a machine "
          "| step ms | epoch s | epoch s without overlap | speed-up over M=%d |" % machines)
    print("|" + " --- |" * 12)
    for rate, (steps, epoch, compute, allreduce, loader, rx_bytes) in per_rate.items():
        R = rate_bits(rate)
        c = (compute - allreduce) / steps
        a = allreduce / steps
        b = rx_bytes / steps
        n = 8 * b / R
        L = loader / steps
        l = max(0.0, L - n) if network_in_loader else L
        e = epoch / steps
        k = e - max(c + a, L)
        remote = lambda m: (m - 1) / m
        ring = lambda m: 2 * (m - 1) / m * 4 * params * 8 / R + 2 * (m - 1) * ALPHA_S
        w = max(0.0, a - ring(machines))
        table = []
        for m in [machines] + targets:
            scale = machines / m
            cm, lm = c * scale * f(m), l * scale * f(m)
            am = w * scale * expected_max(m) / expected_max(machines) + ring(m)
            bm = b * scale * f(m) * remote(m) / remote(machines)
            nm = 8 * bm / R
            step = max(cm + am, lm + nm) + k
            serial = cm + am + lm + nm + k
            table.append((m, cm, am, lm, nm, bm, step, serial))
        base = table[0][6]
        for m, cm, am, lm, nm, bm, step, serial in table:
            label = "%d (%s %.1f s)" % (m, what, epoch) if m == machines else str(m)
            print("| %s | %s | %.2f | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | %.1f | %.1f | %.2fx |" % (
                rate, label, f(m), 1e3 * cm, 1e3 * am, 1e3 * lm, 1e3 * nm, bm / 1e6, 1e3 * step,
                steps * step, steps * serial, base / step))

if __name__ == "__main__":
    main()
