#!/usr/bin/env bash
# Renders the recorded benchmark tables as PNG bar charts into bench/plots/:
#   server_loopback.png  graph server over loopback, % of in-process (goal 60%)
#   dist_epoch.png       distributed epoch / standalone epoch (goal <= 1.3)
#   accuracy.png         test accuracy per dataset against the published figure
#   runtime_settings.png slowdown with OpenBLAS, passive OpenMP wait or the
#                        malloc thresholds turned off (log scale)
# The figures come from the small data files in bench/plots/data/, each of
# which names the RESULTS-*.md section and the bench command that measured
# them; edit the data file when a rerun changes a table.
# Needs gnuplot (gnuplot-nox, deploy/install_deps.sh).
#
# Usage: bench/plot_results.sh [OUT_DIR]   (default bench/plots)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-bench/plots}"
DATA=bench/plots/data
command -v gnuplot > /dev/null || { echo "no gnuplot; run deploy/install_deps.sh" >&2; exit 1; }
mkdir -p "$OUT"

# Shared look: clustered bars, values printed on the bars. A "|" in a data
# file's label breaks the line (br); in a cluster of N bars with gap G, bar j
# sits at x = cluster + (j - (N - 1) / 2) / (N + G).
COMMON='
br(s) = strstrt(s, "|") ? s[1:strstrt(s, "|") - 1]."\n".br(s[strstrt(s, "|") + 1:]) : s
set terminal png size 820,460 font "DejaVu Sans,9"
set bmargin 4
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.9 noborder
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set key top left
set xtics nomirror scale 0
set ytics nomirror
set border 3
'

gnuplot <<GNUPLOT
$COMMON
set output "$OUT/server_loopback.png"
set title "Graph server over loopback, as % of the same operation in-process\n(products-scale graph, 4 partitions x 2 servers on 2 cores; goal: 60%)"
set ylabel "% of in-process throughput"
set yrange [0:100]
set arrow from graph 0, first 60 to graph 1, first 60 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "goal 60%" at graph 0.99, first 63 right tc rgb "#d62728"
plot "$DATA/server_loopback.dat" using 2:xtic(br(strcol(1))) lc rgb "#1f77b4" title "1 client thread", \
     "" using 3 lc rgb "#ff7f0e" title "2 client threads", \
     "" using (\$0 - 0.143):2:(sprintf("%d%%", \$2)) with labels offset 0,0.7 notitle, \
     "" using (\$0 + 0.143):3:(sprintf("%d%%", \$3)) with labels offset 0,0.7 notitle
GNUPLOT

gnuplot <<GNUPLOT
$COMMON
set output "$OUT/dist_epoch.png"
set title "Distributed epoch time over standalone, all processes on one 2-core machine\n(products-scale graph, global batch 1000; goal: at most 1.3)"
set ylabel "epoch time / standalone epoch time"
set yrange [0:1.9]
set arrow from graph 0, first 1.3 to graph 1, first 1.3 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "goal 1.3" at graph 0.99, first 1.35 right tc rgb "#d62728"
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1 lc rgb "#888888"
plot "$DATA/dist_epoch.dat" using 2:xtic(br(strcol(1))) lc rgb "#1f77b4" title "hidden 256", \
     "" using 3 lc rgb "#ff7f0e" title "hidden 16", \
     "" using (\$0 - 0.143):2:(sprintf("%.2f", \$2)) with labels offset 0,0.7 notitle, \
     "" using (\$0 + 0.143):3:(sprintf("%.2f", \$3)) with labels offset 0,0.7 notitle
GNUPLOT

gnuplot <<GNUPLOT
$COMMON
set output "$OUT/accuracy.png"
set title "Test accuracy on the bundled datasets (mean of 3 seeds)"
set ylabel "test accuracy (%)"
set yrange [75:100]
set key top left
set style histogram clustered gap 1
plot "$DATA/accuracy.dat" using 2:xtic(br(strcol(1))) lc rgb "#1f77b4" title "distsage standalone", \
     "" using 3 lc rgb "#17becf" title "distsage, 2 servers + 2 trainers", \
     "" using 4 lc rgb "#7f7f7f" title "published (tuned, full-batch)", \
     "" using (\$0 - 0.25):2:(sprintf("%.1f", \$2)) with labels offset 0,0.7 notitle, \
     "" using (\$0):(\$3 == \$3 ? \$3 : 1/0):(sprintf("%.1f", \$3)) with labels offset 0,0.7 notitle, \
     "" using (\$0 + 0.25):4:(sprintf("%.1f", \$4)) with labels offset 0,0.7 notitle, \
     "" using (\$0 - 0.42):5:(0.84):(0) with vectors nohead lw 2.5 lc rgb "#d62728" title "floor the tests assert"
GNUPLOT

gnuplot <<GNUPLOT
$COMMON
set output "$OUT/runtime_settings.png"
set bmargin 5
set title "Trainer with one runtime setting turned off: time / time with it on (2 cores)"
set ylabel "slowdown (log scale)"
set logscale y
set yrange [0.5:40]
set ytics (0.5, 1, 2, 5, 10, 20, 40)
set key off
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1 lc rgb "#888888"
plot "$DATA/runtime_settings.dat" using 2:xtic(br(strcol(1))) lc rgb "#1f77b4", \
     "" using (\$0):2:(sprintf("%.2fx", \$2)) with labels offset 0,0.7 notitle
GNUPLOT
echo "wrote $OUT/{server_loopback,dist_epoch,accuracy,runtime_settings}.png" >&2
