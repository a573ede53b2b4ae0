#!/usr/bin/env bash
# Renders a trainer --metrics_out CSV (trainer/epoch_metrics.cc) as a PNG:
#   top:    loss (left axis) and train / validation / test accuracy (right
#           axis; validation and test only on evaluated epochs) per epoch;
#   bottom: each epoch's time, stacked: model step (compute), waiting for the
#           loader, the rest of the epoch, and evaluation; the loader threads'
#           sample and pull time (overlapping the model step) as lines.
# Needs gnuplot (gnuplot-nox, deploy/install_deps.sh).
#
# Usage: bench/plot_metrics.sh METRICS.csv OUT.png [TITLE]
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 METRICS.csv OUT.png [TITLE]" >&2; exit 2; }
CSV=$1
OUT=$2
TITLE=${3:-$(basename "$CSV" .csv)}
LAST_EPOCH=$(tail -1 "$CSV" | cut -d, -f1)
command -v gnuplot > /dev/null || { echo "no gnuplot; run deploy/install_deps.sh" >&2; exit 1; }
head -1 "$CSV" | grep -q '^epoch,loss,train_acc,val_acc,test_acc,epoch_s,' ||
  { echo "$CSV is not a trainer --metrics_out file" >&2; exit 1; }
gnuplot <<GNUPLOT
set terminal png size 900,720 font "DejaVu Sans,9"
set output "$OUT"
set datafile separator comma
set multiplot layout 2,1 title "$TITLE" font ",12"
set grid ytics lc rgb "#dddddd"
set key outside right top vertical
set lmargin 10
set rmargin 26
set xrange [0:$LAST_EPOCH + 1]

set title "loss and accuracy per epoch"
set xlabel "epoch"
set ylabel "training loss"
set y2label "accuracy"
set yrange [0:*]
set y2range [0:1]
set ytics nomirror
set y2tics 0.1
set format y2 "%.1f"
plot "$CSV" using "epoch":"loss" axes x1y1 with lines lw 2 lc rgb "#444444" title "loss", \
     "" using "epoch":"train_acc" axes x1y2 with lines lw 1.5 lc rgb "#1f77b4" title "train acc", \
     "" using "epoch":"val_acc" axes x1y2 with linespoints pt 7 ps 0.5 lw 1.5 lc rgb "#ff7f0e" title "validation acc", \
     "" using "epoch":"test_acc" axes x1y2 with linespoints pt 5 ps 0.5 lw 1.5 lc rgb "#2ca02c" title "test acc"

set title "time per epoch (stacked) and loader threads"
unset y2label
unset y2tics
set ytics mirror
set ylabel "seconds"
set yrange [0:*]
set style fill solid 1.0 noborder
set boxwidth 1.0 relative
plot "$CSV" using "epoch":(column("epoch_s") + column("eval_s")) with boxes lc rgb "#c7c7c7" title "evaluation", \
     "" using "epoch":"epoch_s" with boxes lc rgb "#9467bd" title "rest of the epoch", \
     "" using "epoch":(column("compute_s") + column("wait_s")) with boxes lc rgb "#d62728" title "waiting for the loader", \
     "" using "epoch":"compute_s" with boxes lc rgb "#1f77b4" title "model step (compute)", \
     "" using "epoch":"sample_s" with lines lw 1.5 dt 2 lc rgb "#2ca02c" title "loader: sample", \
     "" using "epoch":"pull_s" with lines lw 1.5 dt 3 lc rgb "#ff7f0e" title "loader: pull"
unset multiplot
GNUPLOT
echo "wrote $OUT" >&2
