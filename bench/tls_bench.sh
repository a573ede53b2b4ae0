#!/usr/bin/env bash
# The cost of mutual TLS on sampling and feature pulls over loopback: the
# same graph_servers and server_bench load (bench/server_bench.sh), plaintext
# then mutual TLS (certificates from deploy/make_certs), alternating round by
# round so that the machine's drift touches both. Prints, per operation and
# client-thread count, the median (and range) of the per-round ratios
# mTLS / plaintext of the throughput; writes the tables and the summary to
# RESULT.
#
# Usage: bench/tls_bench.sh [BUILD_DIR]
#   env: DATASET (amazon_photo, 4 partitions), ROUNDS (3), FIGURE_SECONDS (2 per
#        figure), RESULT (bench/results/tls_cost.md), WORK (scratch)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-build}/bin")
DATASET=${DATASET:-amazon_photo}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_FIGURE=${FIGURE_SECONDS:-2}
RESULT=${RESULT:-bench/results/tls_cost.md}
WORK=${WORK:-$(mktemp -d /tmp/tls_bench.XXXXXX)}
mkdir -p "$WORK" "$(dirname "$RESULT")"
"$BIN/partition_graph" --dataset_dir "datasets/$DATASET" --num_parts 4 --out "$WORK/data" \
  --overwrite > "$WORK/partition.log" 2>&1
CONFIG=$(ls "$WORK"/data/*.json)
echo "127.0.0.1 30050" > "$WORK/certs_ip_config.txt"
"$BIN/make_certs" "$WORK/certs_ip_config.txt" "$WORK/certs" > /dev/null
C=$WORK/certs
SERVER_TLS="--tls_cert $C/server-127.0.0.1.pem --tls_key $C/server-127.0.0.1-key.pem --tls_ca $C/ca.pem"
CLIENT_TLS=(--tls_ca "$C/ca.pem" --tls_cert "$C/client.pem" --tls_key "$C/client-key.pem")

{
  echo "# tls_bench $(date -u +%FT%H:%MZ) on $(nproc) cores: $DATASET, 4 partitions, 1 server each, loopback TCP, $ROUNDS rounds, ${SECONDS_PER_FIGURE} s per figure"
  echo
} > "$WORK/tables.md"
for ((round = 1; round <= ROUNDS; ++round)); do
  for variant in plaintext mtls; do
    flags=(--in_process=false --transports tcp --seconds "$SECONDS_PER_FIGURE")
    server_flags=""
    if [[ $variant == mtls ]]; then
      flags+=("${CLIENT_TLS[@]}")
      server_flags=$SERVER_TLS
    fi
    echo "## round $round, $variant (load $(cut -d' ' -f1 /proc/loadavg))" >> "$WORK/tables.md"
    SERVER_FLAGS=$server_flags BASE_PORT=$((41000 + RANDOM % 10000)) \
      bench/server_bench.sh "$CONFIG" "$BIN" memory -- "${flags[@]}" 2> "$WORK/$variant-$round.log" |
      grep '^|' | tee "$WORK/$variant-$round.txt" >> "$WORK/tables.md"
  done
done

python3 - "$WORK" "$ROUNDS" <<'PY' > "$WORK/summary.md"
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def table(path):
    rows = [l.strip().strip("|").split("|") for l in open(path) if l.startswith("|")]
    header = [c.strip() for c in rows[0]]
    column = header.index("tcp")
    out = {}
    for row in rows[2:]:
        cells = [c.strip() for c in row]
        out[(cells[0], cells[1])] = float(cells[column].split()[0])
    return out
ratios = {}
for r in range(1, rounds + 1):
    plain, mtls = table(f"{work}/plaintext-{r}.txt"), table(f"{work}/mtls-{r}.txt")
    for key in plain:
        ratios.setdefault(key, []).append(mtls[key] / plain[key])
print("| operation | client threads | mTLS / plaintext throughput, median | range |")
print("| --- | --- | --- | --- |")
for (op, threads), values in ratios.items():
    print("| %s | %s | %.2f | %.2f-%.2f |" % (op, threads, statistics.median(values), min(values), max(values)))
PY
cat "$WORK/summary.md"
{ cat "$WORK/summary.md"; echo; cat "$WORK/tables.md"; } > "$RESULT"
echo "wrote $RESULT (scratch: $WORK)" >&2
