#!/usr/bin/env bash
# bench/netns_cluster.sh end to end on Cora (2 partitions, 2 network
# namespaces, 1gbit links, 1 epoch, the model for 4 machines): the run
# completes, both trainers end with equal parameter checksums, bytes cross
# both machines' links, the result file has its tables, and nothing is left
# behind (namespaces, shared memory); then a failing trainer, and a SIGTERM
# while trainers run, must still tear everything down. Needs root and network namespaces: exits 77 (CTest skip)
# with the reason when this machine cannot make them.
#
# Usage: netns_cluster_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SOURCE=$1
BUILD=$2
skip() {
  echo "SKIP: $1" >&2
  exit 77
}
fail() {
  echo "FAIL: $1" >&2
  exit 1
}

[[ $EUID -eq 0 ]] || skip "not root: network namespaces need root"
command -v ip > /dev/null || skip "no 'ip' command (Debian package iproute2)"
[[ -x /usr/sbin/tc ]] || skip "no /usr/sbin/tc (Debian package iproute2)"
PREFIX="dstest$$-"
probe="${PREFIX}probe"
ip netns add "$probe" 2> /dev/null || skip "'ip netns add' failed: no CAP_SYS_ADMIN here (a container?)"
probe_ok=1
ip -n "$probe" link add br0 type bridge 2> /dev/null || probe_ok=0
ip -n "$probe" link add name pa type veth peer name pb 2> /dev/null || probe_ok=0
ip netns exec "$probe" /usr/sbin/tc qdisc add dev pa root tbf rate 1gbit burst 128kb latency 50ms \
  2> /dev/null || probe_ok=0
ip netns del "$probe"
((probe_ok)) || skip "this kernel cannot make a bridge, veth pair or tbf qdisc in a namespace"

TEST_DIR="$(mktemp -d "${TMPDIR:-/tmp}/netns-cluster-test.XXXXXX")"
trap 'rm -rf "$TEST_DIR"' EXIT
"$BUILD/bin/partition_graph" --dataset_dir="$SOURCE/datasets/cora" --num_parts=2 \
  --out="$TEST_DIR/cora2" > "$TEST_DIR/partition.log" 2>&1 || { cat "$TEST_DIR/partition.log"; fail "partition_graph"; }
# The servers' shared-memory folders of this machine's netns clusters.
shm_folders() {
  local folders=(/dev/shm/distsage-netns.*)
  [[ -e "${folders[0]}" ]] && echo "${#folders[@]}" || echo 0
}
shm_before=$(shm_folders)

export NETNS_PREFIX=$PREFIX
SYNTH2="$TEST_DIR/cora2/cora.json" RATES=1gbit PREFETCH=4 ROUNDS=1 MODEL_MACHINES=4 BENCH_BATCHES=2 \
  RESULT="$TEST_DIR/result.md" WORK="$TEST_DIR/run" "$SOURCE/bench/netns_cluster.sh" "$BUILD" \
  > "$TEST_DIR/out.md" 2> "$TEST_DIR/err.log" || { tail -30 "$TEST_DIR/err.log"; fail "netns_cluster.sh exited non-zero"; }

python3 - "$TEST_DIR/result.jsonl" <<'PY' || fail "the run's figures are wrong (above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
runs = [l for l in lines if "ranks" in l]
assert len(runs) == 1, "expected 1 training run, got %d" % len(runs)
run = runs[0]
ranks = run["ranks"]
assert sorted(r["rank"] for r in ranks) == [0, 1], "ranks %s" % [r["rank"] for r in ranks]
checksums = {r["param_checksum"] for r in ranks}
assert len(checksums) == 1, "trainers disagree on the parameters: %s" % checksums
for r in ranks:
    assert r["bytes_received"] > 0, "rank %d pulled nothing over gRPC" % r["rank"]
    # The home partition from the machine's own segment, the other over TCP.
    home, other = r["rank"] + 1, 2 - r["rank"]
    assert r["transports"] == {"10.77.0.%d:30050" % home: "shm", "10.77.0.%d:30050" % other: "tcp"}, \
        "rank %d transports %s" % (r["rank"], r["transports"])
# Both machines' links carried the remote pulls (and the all-reduce).
for m in (0, 1):
    assert run["link_rx_bytes"][m] > 10000 and run["link_tx_bytes"][m] > 10000, \
        "machine %d's link: %s / %s bytes" % (m, run["link_tx_bytes"], run["link_rx_bytes"])
assert any("link_check" in l and l["tcp_gbit_s"] > 0 for l in lines)
assert {l["rows_per_seed"]["machines_modelled"] for l in lines if "rows_per_seed" in l} == {2, 4}
print("ok: checksum %s, link bytes rx %s" % (checksums.pop(), run["link_rx_bytes"]))
PY
for table in "## Runs" "## Summary" "## Model" "| 1gbit | 4 |"; do
  grep -qF "$table" "$TEST_DIR/result.md" || fail "result.md has no '$table'"
done
ip netns list | grep -q "^$PREFIX" && fail "namespaces left behind: $(ip netns list | grep "^$PREFIX")"
[[ $(shm_folders) -le $shm_before ]] ||
  fail "shared-memory folders left in /dev/shm"

# A trainer that fails (hidden width 0) fails the script, which still tears down.
if SYNTH2="$TEST_DIR/cora2/cora.json" RATES=1gbit PREFETCH=4 ROUNDS=1 HIDDEN=0 RESULT="$TEST_DIR/bad.md" \
  WORK="$TEST_DIR/bad" "$SOURCE/bench/netns_cluster.sh" "$BUILD" > /dev/null 2> "$TEST_DIR/bad.log"; then
  fail "netns_cluster.sh succeeded with --num_hidden=0"
fi
grep -q "rank 0 failed" "$TEST_DIR/bad.log" || { cat "$TEST_DIR/bad.log"; fail "no rank failure reported"; }
ip netns list | grep -q "^$PREFIX" && fail "namespaces left behind after a failed run"
pgrep -f "$TEST_DIR/cora2" > /dev/null && fail "processes left behind after a failed run"

# Stopped (SIGTERM, as Ctrl-C's SIGINT in a terminal) while trainers run: the
# trap still ends every process and deletes the namespaces.
SYNTH2="$TEST_DIR/cora2/cora.json" RATES=1gbit PREFETCH=4 ROUNDS=1 RESULT="$TEST_DIR/stop.md" \
  WORK="$TEST_DIR/stop" "$SOURCE/bench/netns_cluster.sh" "$BUILD" > /dev/null 2> "$TEST_DIR/stop.log" &
pid=$!
until grep -q "servers up" "$TEST_DIR/stop.log"; do
  kill -0 "$pid" 2> /dev/null || { cat "$TEST_DIR/stop.log"; fail "the run to stop ended early"; }
  sleep 0.2
done
sleep 1
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
((rc != 0)) || fail "netns_cluster.sh exited 0 after SIGTERM"
ip netns list | grep -q "^$PREFIX" && fail "namespaces left behind after SIGTERM"
pgrep -f "$TEST_DIR/stop" > /dev/null && fail "processes left behind after SIGTERM"
[[ $(shm_folders) -le $shm_before ]] || fail "shared-memory folders left after SIGTERM"
echo "netns_cluster_test: ok"
