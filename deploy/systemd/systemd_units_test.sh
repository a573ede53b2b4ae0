#!/usr/bin/env bash
# Checks deploy/systemd/ as an administrator would use it (CTest runs it with
# the build's bin folder):
#   - install_units.sh --root puts the units and the env file in place, keeps
#     an edited env file on a second run, and refuses bad arguments;
#   - `systemd-analyze verify` passes every unit without a word, with
#     ExecStart pointed at the built graph_server (verify needs the binary);
#   - `systemd-analyze security` rates the hardening "OK" or better;
#   - the env file sets what ExecStart uses, and graph_server knows every
#     flag ExecStart passes;
#   - the default SHM_DIR is the mount unit's huge-page tmpfs, writable by
#     the hardened service.
# Exit 77 (CTest: skipped) when systemd-analyze is missing (Debian: systemd).
set -euo pipefail

bin_dir=${1:?usage: systemd_units_test.sh BUILD_BIN_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (apt-get install systemd; deploy/install_deps.sh has it)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

units=("$here"/*.service "$here"/*.mount)
((${#units[@]} > 1)) || fail "no unit files in $here"

# The templates as shipped start /usr/local/bin/graph_server (cmake --install's default).
for unit in "$here"/*.service; do
  grep -q '^ExecStart=/usr/local/bin/graph_server ' "$unit" || fail "$unit: ExecStart is not /usr/local/bin/graph_server"
done

# Install into a scratch root, ExecStart pointed at the built binary.
"$here/install_units.sh" --root "$work/root" --bindir "$bin_dir" >"$work/install.log" 2>&1 ||
  fail "install_units.sh: $(cat "$work/install.log")"
for unit in "${units[@]}"; do
  installed="$work/root/etc/systemd/system/$(basename "$unit")"
  [[ -f "$installed" ]] || fail "not installed: $installed"
  # Only the binary's folder differs from the template.
  diff <(sed "s|/usr/local/bin/graph_server|$bin_dir/graph_server|g" "$unit") "$installed" >/dev/null ||
    fail "$installed differs from $unit beyond ExecStart's folder"
  out=$(systemd-analyze verify "$installed" 2>&1) || fail "systemd-analyze verify $installed: $out"
  [[ -z "$out" ]] || fail "systemd-analyze verify $installed warns: $out"
  echo "verify OK: $(basename "$unit")"
  [[ "$unit" == *.service ]] || continue
  # systemd's exposure score: 0 (locked down) .. 10 (unprotected); "OK" is below 2.5.
  out=$(systemd-analyze security --offline=yes --threshold=25 "$installed" 2>&1) ||
    fail "systemd-analyze security $installed rates the hardening worse than OK: $(tail -3 <<<"$out")"
  echo "security: $(grep -o 'Overall exposure level.*' <<<"$out")"
done
env_file="$work/root/etc/distsage/graph-server.env"
[[ -f "$env_file" && -f "$env_file.example" ]] || fail "env file and example not installed"

# Every variable ExecStart uses is set by the env file, and graph_server
# knows every flag ExecStart passes.
exec_start=$(grep '^ExecStart=' "$here/distsage-graph-server@.service")
for var in $(grep -o '\${\?[A-Z_]*}\?' <<<"$exec_start" | tr -d '${}' | sort -u); do
  grep -q "^$var=" "$env_file" || fail "ExecStart uses \$$var, which graph-server.env does not set"
done
help=$("$bin_dir/graph_server" --helpfull 2>&1 || true)
for flag in $(grep -o -- '--[a-z_]*=' <<<"$exec_start" | tr -d '=' | sort -u); do
  grep -q -- "$flag" <<<"$help" || fail "ExecStart passes $flag, which graph_server does not know"
done

# The default SHM_DIR is the huge-page tmpfs the mount unit makes, and the
# hardened service may write there.
where=$(sed -n 's/^Where=//p' "$here/run-distsage-shm.mount")
options=$(sed -n 's/^Options=//p' "$here/run-distsage-shm.mount")
grep -q "^SHM_DIR=$where\$" "$env_file" || fail "graph-server.env's SHM_DIR is not the mount's $where"
grep -q "SHM_DIR=$where " "$here/distsage-graph-server@.service" || fail "the unit's default SHM_DIR is not $where"
grep -q "^ReadWritePaths=-$where\$" "$here/distsage-graph-server@.service" ||
  fail "the service may not write $where (ReadWritePaths)"
[[ ",$options," == *,huge=within_size,* ]] || fail "the mount gives no huge pages: Options=$options"

# A second run keeps the administrator's env file.
echo "PART_CONFIG=mine/mine.json" >>"$env_file"
"$here/install_units.sh" --root "$work/root" --bindir "$bin_dir" >"$work/install2.log" 2>&1
grep -q '^PART_CONFIG=mine/mine.json$' "$env_file" || fail "a second install replaced the edited env file"
grep -q "kept $env_file" "$work/install2.log" || fail "the second install did not say it kept the env file"

# Bad arguments are refused with exit 2 and a reason.
if out=$("$here/install_units.sh" --root "$work/x" --bogus 2>&1); then fail "accepted --bogus"; fi
grep -q "unknown argument '--bogus'" <<<"$out" || fail "no reason for --bogus: $out"
if out=$("$here/install_units.sh" --root "$work/x" --bindir relative/bin 2>&1); then
  fail "accepted a relative --bindir"
fi
grep -q "absolute path" <<<"$out" || fail "no reason for a relative --bindir: $out"
echo "PASS"
