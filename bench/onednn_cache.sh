#!/usr/bin/env bash
# The bf16 model's oneDNN primitive caches: LibTorch's defaults (1024 cached
# primitives in oneDNN and 1024 in its ideep layer) against the trainer's
# (set in trainer_main.cc unless the environment sets them: 16 each at commit
# d3d7ad5, 64 since the model buckets its row counts).
#   (a) memory: bench/shm_bench.sh's (a), one graph server + one trainer on
#       the products-scale graph for one epoch, at hidden 16 and 256, with
#       the caches at 1024 and then at the trainer's default;
#   (b) time: bench/loader_priority.sh with the two settings as variants
#       (products-scale pipeline, Amazon Computers and Photo epochs).
# Writes RESULT (Markdown) and prints it.
#
#   bench/onednn_cache.sh [BUILD_DIR]
#
# env: SYNTH1 (1-partition config from bench/partition_bench.sh), SYNTH2
# (unused here, passed on), ROUNDS (3), RESULT
# (bench/results/onednn_cache.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
SYNTH1="${SYNTH1:-data/synth-products-1part/synthetic.json}"
ROUNDS="${ROUNDS:-3}"
RESULT="${RESULT:-bench/results/onednn_cache.md}"
WORK=$(mktemp -d /tmp/onednn_cache.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LIBRARY_DEFAULTS="LRU_CACHE_CAPACITY=1024 DNNL_PRIMITIVE_CACHE_CAPACITY=1024"
ROWS="shm --num_hidden=16;shm --num_hidden=256;shm --num_hidden=256 --precision=fp32"

memory() {  # TITLE [VAR=VALUE...]
  local title=$1
  shift
  env "$@" SYNTH1="$SYNTH1" PARTS=a ROWS="$ROWS" RESULT="$WORK/memory.md" \
    bench/shm_bench.sh "$BUILD" > /dev/null
  echo "### $title"
  echo
  sed -n '/^| trainer flags/,/^$/p' "$WORK/memory.md"
}

{
  echo "# The bf16 model's oneDNN primitive caches: 1024 (LibTorch's default) against the trainer's default"
  echo
  echo "Command: \`SYNTH1=$SYNTH1 ROUNDS=$ROUNDS bench/onednn_cache.sh $BUILD\`"
  echo
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git rev-parse --short HEAD)."
  echo
  echo "## (a) peak memory of one server + one trainer, one epoch (bench/shm_bench.sh (a))"
  echo
  memory "caches at 1024: $LIBRARY_DEFAULTS" $LIBRARY_DEFAULTS
  memory "the trainer's default"
  echo "## (b) time"
  echo
  SYNTH="$SYNTH1" ROUNDS="$ROUNDS" TITLE="oneDNN primitive caches" \
    VARIANTS="cache1024=$LIBRARY_DEFAULTS;trainer_default=" bench/loader_priority.sh "$BUILD" |
    sed -n '/^## /,$p'
} > "$RESULT"
cat "$RESULT"
