# shellcheck shell=bash
# Helpers the bench scripts share (source it). Interleaved A/B runs: on a shared machine
# whose speed drifts, variants run in turn (A B A B ...) and are compared
# round by round (bench/ab_summary.py).

# CPU seconds the whole machine has been busy (user, nice, system, irq,
# softirq of every core; /proc/stat counts in 1/100 s).
machine_busy_s() { awk '/^cpu / {printf "%.2f\n", ($2 + $3 + $4 + $7 + $8) / 100}' /proc/stat; }

# ab_rounds RUNS_TSV ROUNDS VARIANT...: runs `variant_<VARIANT> ROUND` for
# every VARIANT in turn, ROUNDS times. Each prints a JSON object of figures on
# stdout; added to them: the run's wall time (wall_s) and how many cores other
# processes kept busy meanwhile on average (other_cores: the machine's busy
# CPU time less the run's own, from bash's `times`, over the wall time; the
# 1-minute load average cannot tell the run's own threads from other work).
# A line "variant, round, 1-minute load at the start, figures" is appended to
# RUNS_TSV.
ab_rounds() {
  local tsv=$1 rounds=$2 round variant load start end figures busy_before busy_after
  shift 2
  : > "$tsv"
  for ((round = 1; round <= rounds; ++round)); do
    for variant in "$@"; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      times > "$tsv.times-before"
      busy_before=$(machine_busy_s)
      start=$(date +%s.%N)
      figures=$("variant_$variant" "$round")
      end=$(date +%s.%N)
      busy_after=$(machine_busy_s)
      times > "$tsv.times-after"
      figures=$(python3 - "$figures" "$start" "$end" "$busy_before" "$busy_after" \
        "$tsv.times-before" "$tsv.times-after" <<'PY'
import json, re, sys
def children_cpu(path):  # second line of `times`: children's user and system time
    return sum(float(m or 0) * 60 + float(s)
               for m, s in re.findall(r"(?:(\d+)m)?([\d.]+)s", open(path).read().splitlines()[1]))
figures = json.loads(sys.argv[1])
wall = float(sys.argv[3]) - float(sys.argv[2])
own = children_cpu(sys.argv[7]) - children_cpu(sys.argv[6])
others = float(sys.argv[5]) - float(sys.argv[4]) - own
figures["wall_s"] = round(wall, 3)
figures["other_cores"] = round(max(0.0, others) / wall, 2)
print(json.dumps(figures))
PY
)
      printf '%s\t%d\t%s\t%s\n' "$variant" "$round" "$load" "$figures" >> "$tsv"
      echo "round $round, $variant (load $load): $figures" >&2
    done
  done
}

# epoch_figures METRICS_CSV: {"epoch_s": mean epoch time of epochs 2.., "compute_s": ...}
# from a trainer --metrics_out file (the first epoch, which warms up, is left out
# when there are more).
epoch_figures() {
  python3 - "$1" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rows = rows[1:] or rows
mean = lambda key: round(sum(float(r[key]) for r in rows) / len(rows), 4)
print(json.dumps({"epoch_s": mean("epoch_s"), "compute_s": mean("compute_s")}))
PY
}

# The trainer standalone with DGL's train_dist.py hyper-parameters, on 2
# threads (the figures of bench/loader_*.sh).
DGL_STANDALONE_FLAGS=(--standalone --num_threads=2 --num_layers=2 --fan_out=10,25
                      --batch_size=1000 --lr=0.003 --dropout=0.5)

# The labels of the pipeline figures bench_pass_figures gives, for
# bench/ab_summary.py --figures.
PIPELINE_FIGURE_LABELS="pipeline_ms=pipeline ms/batch,model_only_ms=model steps alone ms/batch,\
ratio=pipeline / model alone,wait_ms=model waiting for batches ms,peak_rss_mb=peak RSS MB"

# pipeline_summary TSV BASELINE HIDDEN: the Markdown section of ab_rounds'
# trainer --bench_batches runs on the products-scale graph $SYNTH ($BATCHES
# batches each) at hidden HIDDEN, ratios to variant BASELINE.
pipeline_summary() {
  echo "## (1) $(basename "$(dirname "$SYNTH")"), trainer --bench_batches $BATCHES, hidden $3"
  echo
  python3 bench/ab_summary.py "$1" --baseline "$2" --figures "$PIPELINE_FIGURE_LABELS"
  echo
}

# bench_pass_figures: the per-batch figures of the JSON line of a
# `trainer --bench_batches N` run on stdin, as one JSON object for ab_rounds
# (milliseconds per batch; the pipeline over the model steps alone; peak RSS).
bench_pass_figures() {
  python3 -c '
import json, sys
b = json.loads(sys.stdin.read())["bench"]; n = b["num_batches"]
print(json.dumps({"pipeline_ms": round(1e3 * b["pipeline_s"] / n, 1),
                  "model_only_ms": round(1e3 * b["model_only_s"] / n, 1),
                  "ratio": round(b["pipeline_over_model_only"], 3),
                  "sample_ms": round(1e3 * b["sample_s"] / n, 1),
                  "pull_ms": round(1e3 * b["pull_s"] / n, 1),
                  "wait_ms": round(1e3 * b["wait_s"] / n, 1),
                  "peak_rss_mb": round(b["peak_rss_mb_pipeline"])}))'
}

# bench_partition BIN DATASET WORK: partitions datasets/DATASET into one part
# under WORK (once) and prints the config path.
bench_partition() {
  local out="$3/$2-1"
  if ! ls "$out"/*.json > /dev/null 2>&1; then
    "$1/partition_graph" --dataset_dir="datasets/$2" --num_parts=1 --out="$out" --overwrite \
      > "$out.log" 2>&1 || { cat "$out.log" >&2; return 1; }
  fi
  ls "$out"/*.json
}

# result_header TITLE COMMAND: the first lines of a result file.
result_header() {
  echo "# $1"
  echo
  echo "Command: \`$2\`"
  echo
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n), $(nproc) cores," \
    "$(free -g | awk '/Mem:/ {print $2}') GB RAM; load at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
}

# What else was running when a benchmark started: the top 5 processes by CPU,
# as a Markdown code block (a loaded machine explains noisy figures).
busy_processes() {
  echo "Other processes on the machine at the start (top 5 by CPU):"
  echo
  echo '```'
  ps -eo pcpu,rss,comm --sort=-pcpu | head -6
  echo '```'
  echo
}

# require_configs HINT FILE...: stops the script at the first partition config
# that is missing, saying how to make one (HINT).
require_configs() {
  local hint=$1 file
  shift
  for file in "$@"; do
    [[ -f "$file" ]] || { echo "no partition config $file ($hint)" >&2; exit 1; }
  done
}

# require_programs BIN_DIR NAME...: stops the script at the first program not
# built in BIN_DIR, naming its build target.
require_programs() {
  local dir=$1 name
  shift
  for name in "$@"; do
    [[ -x "$dir/$name" ]] || { echo "no $dir/$name; build the $name target" >&2; exit 1; }
  done
}

# accuracy_row DATASET RECIPE "ACCS_1" "ACCS_2" [SIGN]: a Markdown row
# comparing two variants' test accuracies (space-separated, one per seed):
# dataset, recipe, each variant's accuracies and mean, and the difference in
# points, mean 1 - mean 2 (SIGN -1: mean 2 - mean 1).
accuracy_row() {
  python3 - "$@" <<'PY'
import statistics, sys
name, recipe, a, b = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
sign = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
a = [float(x) for x in a]; b = [float(x) for x in b]
print("| %s | `%s` | %s | %.2f%% | %s | %.2f%% | %+.2f |" % (
    name, recipe, ", ".join("%.4f" % x for x in a), 100 * statistics.mean(a),
    ", ".join("%.4f" % x for x in b), 100 * statistics.mean(b),
    sign * 100 * (statistics.mean(a) - statistics.mean(b))))
PY
}

# dataset_recipe NAME: the trainer flags of a bundled dataset's documented
# recipe (bench/RESULTS-trainer.md): Cora's, or the Amazon datasets'.
dataset_recipe() {
  case "$1" in
    cora) echo "--num_epochs=200 --lr=0.01 --weight_decay=5e-4 --feature_norm=row --input_dropout=0.5" ;;
    *) echo "--num_hidden=256 --num_epochs=40 --layer_norm" ;;
  esac
}
