#!/usr/bin/env bash
# Same-machine shared memory (graph_server --shm_dir, trainer --local_partition).
#   (a) memory: one graph_server and one trainer on a 1-partition
#       ogbn-products-scale synthetic graph, the trainer training EPOCHS_MEM
#       epoch(s) without evaluation, its home partition read
#         inprocess  its own copy (the server with --shm_dir=: today's two copies)
#         shm        the server's segment in /dev/shm, mapped read-only
#       Peak of the machine's memory for them (sampled every 0.2 s): both
#       processes' anonymous memory and file pages as PSS (proportional set
#       size: a shared page counts half in each; /proc/PID/smaps_rollup),
#       plus the segment files in /dev/shm (tmpfs: all in memory, counted
#       once), as a ratio to one copy of the partition's arrays (CSR,
#       features, labels, masks, split lists: computed from the config).
#   (b) time: 2 graph servers (2-partition graph) + 1 trainer on this machine,
#       --bench_batches BATCHES through the prefetching loader (pipeline ms
#       per batch, its sample and pull parts) and the model steps alone;
#       variants in turn, ROUNDS rounds (bench/ab_lib.sh):
#         server    home partition over gRPC (Unix socket), servers publishing
#         shm       home partition mapped from its server's segment
#         private   over gRPC from servers started with --shm_dir= (before
#                   this change: their arrays in private memory, with
#                   transparent huge pages)
#         shm_in_place  shm, the loader summing first-layer means from the
#                   mapped rows (--loader_sums_in_place: the trainer's
#                   default since its loader threads run at nice 19, so now
#                   the same as shm)
#         shm_in_place_prefetch2  shm_in_place with at most 2 batches
#                   prepared ahead (--prefetch=2)
#         shm_lean  shm_in_place with one batch prepared ahead (--prefetch=1):
#                   the lean loader of (a)
#         shm_before  shm with the loader as it was before --loader_nice:
#                   one thread at the model's priority, means from a copy
# Writes RESULT (Markdown) and prints it.
#
# Usage: bench/shm_bench.sh [BUILD_DIR]
#   env: SYNTH1 (1-part config), SYNTH2 (2-part config), HIDDEN (16), EPOCHS_MEM (1),
#        ROWS (the rows of (a), ';'-separated: --local_partition value, then more
#        trainer flags; default: the six rows of the README),
#        BATCHES (40), ROUNDS (3), PARTS ("a b": which measurements),
#        VARIANTS (of (b), in turn; default "server shm private"; the first is
#        the baseline of the ratios),
#        RESULT (bench/results/shm-<PARTS>.md), WORK (logs)
# Make the partitions with bench/partition_bench.sh (synth-products-1part), and
# the same graph with --num_parts 2 --balance_train --balance_edges for SYNTH2.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/bin"
SYNTH1="${SYNTH1:-data/synth-products-1part/synthetic.json}"
SYNTH2="${SYNTH2:-data/synth-products-2part/synthetic.json}"
HIDDEN="${HIDDEN:-16}"
EPOCHS_MEM="${EPOCHS_MEM:-1}"
BATCHES="${BATCHES:-40}"
ROUNDS="${ROUNDS:-3}"
PARTS="${PARTS:-a b}"
RESULT="${RESULT:-bench/results/shm-${PARTS// /}.md}"
WORK="${WORK:-${TMPDIR:-/tmp}/distsage-shm-bench}"
NEEDED=()
[[ $PARTS == *a* ]] && NEEDED+=("$SYNTH1")
[[ $PARTS == *b* ]] && NEEDED+=("$SYNTH2")
source bench/ab_lib.sh
require_configs "see the usage note in $0" "${NEEDED[@]}"
require_programs "$BIN" trainer graph_server
mkdir -p "$WORK" "$(dirname "$RESULT")"
MODEL=(--num_layers=2 --fan_out=10,25 --batch_size=1000 --lr=0.003 --dropout=0.5
       --num_hidden="$HIDDEN" --eval_every=-1 --seed=0 --num_threads=2)

# servers CONFIG NUM_PARTS NAME [graph_server flags]: one server per
# partition on loopback (deploy/local_cluster.sh), logs and Unix sockets in
# WORK/NAME (one folder per set: a socket is named by server ID); sets
# IP_CONFIG, UDS_DIR.
source deploy/local_cluster.sh
servers() {
  local config=$1 num_parts=$2 name=$3
  shift 3
  UDS_DIR="$WORK/$name"
  start_servers "$BIN" "$config" "$num_parts" "$WORK/$name" --uds_dir="$UDS_DIR" "$@"
}
trap stop_servers EXIT

# peak_memory SHM_DIR PID...: until the last PID exits, samples the memory of
# every PID and of the shared-memory segments in SHM_DIR; prints a JSON
# object, in MiB, at the moment their sum peaked: the sum, each process's
# anonymous memory (heap, batches) and file pages (program, libraries) as PSS
# (a page two processes map counts half in each), and the segment files'
# allocated size. A segment lives in tmpfs, so all of it is in memory
# whoever maps it: it is counted once, from the file, not from the processes'
# PSS of it, which two samples taken while a reader is mapping pages in
# would count twice.
peak_memory() {
  python3 - "$@" <<'PY'
import json, os, sys, time
shm_dir, pids = sys.argv[1], [int(p) for p in sys.argv[2:]]
def read(pid):
    try:
        fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/smaps_rollup")
                      if ":" in line and not line.startswith("0"))
        kb = lambda k: int(fields[k].split()[0]) / 1024
        return {"anon": kb("Pss_Anon"), "file": kb("Pss_File"), "rss": kb("Rss"),
                "private": kb("Private_Clean") + kb("Private_Dirty")}
    except (FileNotFoundError, ProcessLookupError, KeyError):
        return None
def segments_mb():
    if not shm_dir:
        return 0.0
    total = 0
    for name in os.listdir(shm_dir):
        if name.lstrip(".").startswith("distsage-"):
            try:
                total += os.stat(os.path.join(shm_dir, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total / 2**20
best = None
while os.path.exists(f"/proc/{pids[-1]}") and open(f"/proc/{pids[-1]}/stat").read().split()[2] != "Z":
    now = [read(p) for p in pids]
    if all(now):
        segment = segments_mb()
        total = segment + sum(n["anon"] + n["file"] for n in now)
        if best is None or total > best["sum_mb"]:
            best = {"sum_mb": round(total, 1), "segment_mb": round(segment, 1),
                    **{k + "_mb": [round(n[k], 1) for n in now]
                       for k in ("anon", "file", "rss", "private")}}
    time.sleep(0.2)
print(json.dumps(best))
PY
}

{
  result_header "Same-machine shared memory: memory of server + trainer, and pipeline time" \
    "SYNTH1=$SYNTH1 SYNTH2=$SYNTH2 HIDDEN=$HIDDEN EPOCHS_MEM=$EPOCHS_MEM BATCHES=$BATCHES ROUNDS=$ROUNDS PARTS=\"$PARTS\" VARIANTS=\"${VARIANTS:-server shm private}\" bench/shm_bench.sh $BUILD"
  busy_processes
} > "$WORK/header.md"
: > "$WORK/result-a.md"
: > "$WORK/time.tsv"
if [[ $PARTS == *a* ]]; then
# The partition's arrays, in MiB: what one copy of it holds.
ONE_COPY_MB=$(python3 - "$SYNTH1" <<'PY'
import json, sys
part = json.load(open(sys.argv[1]))
c = part["parts"][0]
n, edges = c["num_nodes"], c["num_in_edges"]
dims = sum(f["shape"][0] for f in part["node_features"])
split = c["num_train"] + c["num_valid"] + c["num_test"]
print(round(((n + 1) * 8 + edges * 8 + n * dims * 4 + n * 8 + n + split * 8) / 2**20, 1))
PY
)

{
  echo "## (a) peak memory of one server + one trainer ($(basename "$(dirname "$SYNTH1")"), hidden $HIDDEN, $EPOCHS_MEM epoch(s))"
  echo
  echo "One copy of the partition's arrays: $ONE_COPY_MB MiB."
  echo
  echo "| trainer flags | server --shm_dir | server anon / file MiB | trainer anon / file MiB | segment MiB | sum MiB | sum / one copy | server RSS MiB | trainer RSS MiB | trainer private MiB | home partition read from |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$WORK/result-a.md"

# Rows: --local_partition, then extra trainer flags (the loader's batches
# and its copy of each batch's input rows are most of the trainer's own
# memory: the model aggregating the first layer itself needs every input row
# of a batch, --loader_sums_in_place (the default) makes no copy, and
# --prefetch=1 keeps fewer batches in flight).
MEM_ROWS=("inprocess" "shm" "shm --aggregate_in_loader=false"
          "shm --loader_sums_in_place=false --num_loader_threads=1 --loader_nice=0"
          "shm --prefetch=2" "shm --prefetch=1 --num_loader_threads=1")
[[ -n ${ROWS:-} ]] && IFS=';' read -r -a MEM_ROWS <<< "$ROWS"
for index in "${!MEM_ROWS[@]}"; do
  row=${MEM_ROWS[index]}
  read -r mode extra <<< "$row"
  # Numbered, not named by the flags: the server's Unix socket lives in
  # this folder, and a socket path may have at most 107 bytes.
  name="mem-$index"
  shm_dir=/dev/shm
  [[ $mode == inprocess ]] && shm_dir=""
  servers "$SYNTH1" 1 "$name" --shm_dir="$shm_dir"
  # shellcheck disable=SC2086
  "$BIN/trainer" --servers="$IP_CONFIG" --part_config="$SYNTH1" --world_size=1 --rank=0 \
    --master_port="$((40000 + RANDOM % 20000))" --uds_dir="$UDS_DIR" --local_partition="$mode" \
    --num_epochs="$EPOCHS_MEM" "${MODEL[@]}" $extra > "$WORK/$name.json" 2> "$WORK/$name.log" &
  trainer_pid=$!
  peak="$(peak_memory "$shm_dir" "${SERVER_PIDS[0]}" "$trainer_pid")"
  wait "$trainer_pid" || { cat "$WORK/$name.log" >&2; exit 1; }
  stop_servers
  source="its own copy"
  grep -q "from shared memory" "$WORK/$name.log" && source="the server's segment"
  python3 - "--local_partition=$row" "${shm_dir:-(empty)}" "$peak" "$ONE_COPY_MB" "$source" <<'PY' >> "$WORK/result-a.md"
import json, sys
flags, shm_dir, peak, one, source = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
print("| `%s` | %s | %.0f / %.0f | %.0f / %.0f | %.0f | %.0f | **%.2f** | %.0f | %.0f | %.0f | %s |" % (
      flags, shm_dir, peak["anon_mb"][0], peak["file_mb"][0], peak["anon_mb"][1],
      peak["file_mb"][1], peak["segment_mb"], peak["sum_mb"], peak["sum_mb"] / one,
      peak["rss_mb"][0], peak["rss_mb"][1], peak["private_mb"][1], source))
PY
done
fi

if [[ $PARTS == *b* ]]; then
# (b) 2 servers publishing in /dev/shm, 2 that do not, 1 trainer (home partition 0).
servers "$SYNTH2" 2 time-shm --shm_dir=/dev/shm
IP_SHM="$IP_CONFIG"
servers "$SYNTH2" 2 time-private --shm_dir=
IP_PRIVATE="$IP_CONFIG"
bench_run() {  # NAME ROUND IP_CONFIG --local_partition [more trainer flags]
  # shellcheck disable=SC2086
  "$BIN/trainer" --servers="$3" --part_config="$SYNTH2" --world_size=1 --rank=0 \
    --master_port="$((40000 + RANDOM % 20000))" --uds_dir="$(dirname "$3")" \
    --local_partition="$4" ${5:-} \
    --bench_batches="$BATCHES" "${MODEL[@]}" > "$WORK/time-$1-$2.json" 2> "$WORK/time-$1-$2.log" ||
    { cat "$WORK/time-$1-$2.log" >&2; exit 1; }
  python3 - "$WORK/time-$1-$2.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["bench"]; n = b["num_batches"]
print(json.dumps({"pipeline_ms": round(1e3 * b["pipeline_s"] / n, 1),
                  "sample_ms": round(1e3 * b["sample_s"] / n, 1),
                  "pull_ms": round(1e3 * b["pull_s"] / n, 1),
                  "model_ms": round(1e3 * b["model_only_s"] / n, 1)}))
PY
}
variant_server() { bench_run server "$1" "$IP_SHM" server; }
variant_shm() { bench_run shm "$1" "$IP_SHM" shm; }
variant_private() { bench_run private "$1" "$IP_PRIVATE" server; }
variant_shm_in_place() { bench_run shm_in_place "$1" "$IP_SHM" shm --loader_sums_in_place; }
variant_shm_in_place_prefetch2() {
  bench_run shm_in_place_prefetch2 "$1" "$IP_SHM" shm "--loader_sums_in_place --prefetch=2"
}
variant_shm_lean() { bench_run shm_lean "$1" "$IP_SHM" shm "--loader_sums_in_place --prefetch=1"; }
variant_shm_before() {
  bench_run shm_before "$1" "$IP_SHM" shm \
    "--loader_sums_in_place=false --num_loader_threads=1 --loader_nice=0"
}
read -r -a B_VARIANTS <<< "${VARIANTS:-server shm private}"
ab_rounds "$WORK/time.tsv" "$ROUNDS" "${B_VARIANTS[@]}"
stop_servers
fi

{
  cat "$WORK/header.md"
  if [[ $PARTS == *a* ]]; then
    cat "$WORK/result-a.md"
    echo
    echo "Sum: both processes' anonymous memory and file pages as PSS (a page two processes map"
    echo "counts half in each) plus the segment files (tmpfs, all in memory, counted once), at"
    echo "the moment it peaked. Trainer private: its pages no other process maps (LibTorch, the"
    echo "model, the loader's batches), which shared memory cannot remove."
    echo
  fi
  [[ $PARTS == *b* ]] || exit 0
  echo "## (b) 2 servers + 1 trainer on this machine ($(basename "$(dirname "$SYNTH2")"), hidden $HIDDEN, $BATCHES batches per run)"
  echo
  echo "Per batch: the prefetching pipeline (loader overlapped with the model step), the loader"
  echo "threads' sampling and pulling (summed over threads), and the model steps alone."
  echo
  python3 bench/ab_summary.py "$WORK/time.tsv" --baseline "${B_VARIANTS[0]}" \
    --figures "pipeline_ms=pipeline ms/batch,sample_ms=sample ms/batch,pull_ms=pull ms/batch,model_ms=model-only ms/batch,wall_s=whole run s"
} | tee "$RESULT"
echo "logs in $WORK" >&2
