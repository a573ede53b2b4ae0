#!/usr/bin/env bash
# How long CI takes from a clean clone: clones this repository (a local
# `git clone`, so nothing is downloaded) into a fresh temporary folder and
# times `.ci/run` there (deploy/run_tests.sh: install the Debian packages,
# configure, build everything, run the whole CTest suite). Prints the wall
# time, the exit status, the CTest summary and the machine's load (1-minute
# load average before, during - sampled every 10 s - and after), and appends
# one row to RESULT. It occupies every core for many minutes: run it on a
# quiet machine, alone, and read the load columns before quoting the time.
#
# Usage: bench/ci_duration.sh [REF]   (default HEAD; any commit of this repository)
#   env: RUN (the command timed in the clone, default .ci/run; e.g.
#        RUN=deploy/run_example.sh times the README's main job from a clean
#        clone), RESULT (bench/results/ci_duration.md), KEEP=1 keeps the clone
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(git rev-parse --show-toplevel)"
REF="${1:-HEAD}"
COMMIT="$(git rev-parse --verify "$REF^{commit}")"
RUN="${RUN:-.ci/run}"
RESULT="${RESULT:-bench/results/ci_duration.md}"
CLONE="$(mktemp -d "${TMPDIR:-/tmp}/distsage-ci.XXXXXX")"
LOG="$CLONE.log"
LOADS="$CLONE.loads"
mkdir -p "$(dirname "$RESULT")"

git clone --quiet --no-hardlinks "$REPO" "$CLONE"
git -C "$CLONE" checkout --quiet --detach "$COMMIT"
[[ -z "$(git -C "$CLONE" status --porcelain)" ]] || { echo "clone of $COMMIT is not clean" >&2; exit 1; }

load_before="$(cut -d' ' -f1 /proc/loadavg)"
while sleep 10; do cut -d' ' -f1 /proc/loadavg; done > "$LOADS" &
sampler=$!
trap 'kill "$sampler" 2> /dev/null || true' EXIT
start=$(date +%s.%N)
status=0
# shellcheck disable=SC2086  # RUN may carry arguments
(cd "$CLONE" && $RUN) > "$LOG" 2>&1 || status=$?
end=$(date +%s.%N)
kill "$sampler" 2> /dev/null || true
load_after="$(cut -d' ' -f1 /proc/loadavg)"

summary="$(grep -E 'tests passed|tests failed' "$LOG" | tail -1 || true)"
read -r wall minutes load_mean load_max < <(python3 - "$start" "$end" "$LOADS" <<'PY'
import sys
wall = float(sys.argv[2]) - float(sys.argv[1])
loads = [float(x) for x in open(sys.argv[3]) if x.strip()]
mean, top = ("%.2f" % (sum(loads) / len(loads)), "%.2f" % max(loads)) if loads else ("n/a", "n/a")
print("%.0f %.1f %s %s" % (wall, wall / 60, mean, top))
PY
)
echo "ci_duration: $RUN at commit ${COMMIT:0:12}, exit $status, wall ${wall} s (${minutes} min) on $(nproc) cores"
echo "load (1-minute average): before $load_before, during mean $load_mean / max $load_max, after $load_after"
echo "ctest: ${summary:-no summary line (see $LOG)}"

if [[ ! -s "$RESULT" ]]; then
  {
    echo "# CI duration from a clean clone"
    echo
    echo "Command: \`[RUN=...] bench/ci_duration.sh [REF]\` (times \`.ci/run\`, or RUN, in a fresh"
    echo "local clone: install + configure + build + test). One row per run; the load columns"
    echo "are the 1-minute load average before, during (mean / max of 10-second samples) and after."
    echo
    echo "| date (UTC) | command | commit | cores | wall | exit | ctest | load before | load during (mean / max) | load after |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  } > "$RESULT"
fi
echo "| $(date -u +%Y-%m-%dT%H:%MZ) | \`$RUN\` | ${COMMIT:0:12} | $(nproc) | ${wall} s (${minutes} min) | $status" \
  "| ${summary:-?} | $load_before | $load_mean / $load_max | $load_after |" >> "$RESULT"
echo "recorded in $RESULT; log in $LOG"
if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$CLONE"; fi
exit "$status"
