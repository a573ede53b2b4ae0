# shellcheck shell=bash
# Interleaved A/B runs for the bench scripts (source it). On a shared machine
# whose speed drifts, variants run in turn (A B A B ...) and are compared
# round by round (bench/ab_summary.py).

# ab_rounds RUNS_TSV ROUNDS VARIANT...: runs `variant_<VARIANT> ROUND` for
# every VARIANT in turn, ROUNDS times. Each prints a JSON object of figures on
# stdout; the run's wall time (wall_s) is added, and a line "variant, round,
# 1-minute load at the start, figures" appended to RUNS_TSV.
ab_rounds() {
  local tsv=$1 rounds=$2 round variant load start figures
  shift 2
  : > "$tsv"
  for ((round = 1; round <= rounds; ++round)); do
    for variant in "$@"; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      start=$(date +%s.%N)
      figures=$("variant_$variant" "$round")
      figures=$(python3 -c 'import json, sys
d = json.loads(sys.argv[1]); d["wall_s"] = round(float(sys.argv[3]) - float(sys.argv[2]), 3)
print(json.dumps(d))' "$figures" "$start" "$(date +%s.%N)")
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
