#!/usr/bin/env bash
# Installs distsage's systemd unit templates on this machine:
#   ROOT/etc/systemd/system/distsage-graph-server@.service
#   ROOT/etc/systemd/system/run-distsage-shm.mount (the servers' huge-page tmpfs)
#   ROOT/etc/distsage/graph-server.env.example (always) and
#   ROOT/etc/distsage/graph-server.env (only when there is none: an
#   administrator's settings are never replaced)
# then reloads systemd (not with --root, nor where systemd is not running).
#
#   deploy/systemd/install_units.sh [--root DIR] [--bindir DIR] [--no-reload]
#
# --root DIR    install under DIR instead of / (packaging, tests)
# --bindir DIR  where graph_server is installed (default /usr/local/bin, where
#               `cmake --install` puts it); written into ExecStart
# --no-reload   skip `systemctl daemon-reload`
#
# Then: edit /etc/distsage/graph-server.env, put the partitions and
# ip_config.txt in /var/lib/distsage, and
#   systemctl enable --now distsage-graph-server@K.service   (K = server ID)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=""
bindir=/usr/local/bin
reload=1
usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --root) root=${2:?--root needs a folder}; shift 2 ;;
    --root=*) root=${1#--root=}; shift ;;
    --bindir) bindir=${2:?--bindir needs a folder}; shift 2 ;;
    --bindir=*) bindir=${1#--bindir=}; shift ;;
    --no-reload) reload=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install_units: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ "$bindir" != /* ]]; then
  echo "install_units: --bindir must be an absolute path (systemd's ExecStart needs one): $bindir" >&2
  exit 2
fi
if [[ -n "$root" ]]; then
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
fi
if [[ ! -x "$root$bindir/graph_server" && ! -x "$bindir/graph_server" ]]; then
  echo "install_units: note: $bindir/graph_server is not installed yet (cmake --install first)" >&2
fi

unit_dir="$root/etc/systemd/system"
conf_dir="$root/etc/distsage"
install -d -m 0755 "$unit_dir" "$conf_dir"
for unit in "$here"/*.service "$here"/*.mount; do
  name=$(basename "$unit")
  sed "s|/usr/local/bin/graph_server|$bindir/graph_server|g" "$unit" >"$unit_dir/$name.tmp"
  chmod 0644 "$unit_dir/$name.tmp"
  mv "$unit_dir/$name.tmp" "$unit_dir/$name"
  echo "installed $unit_dir/$name"
done
install -m 0644 "$here/graph-server.env.example" "$conf_dir/graph-server.env.example"
if [[ -e "$conf_dir/graph-server.env" ]]; then
  echo "kept $conf_dir/graph-server.env (see graph-server.env.example for the settings)"
else
  install -m 0644 "$here/graph-server.env.example" "$conf_dir/graph-server.env"
  echo "installed $conf_dir/graph-server.env (edit IP_CONFIG, PART_CONFIG, NUM_SERVERS)"
fi

if ((reload)) && [[ -z "$root" ]]; then
  if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    echo "systemctl daemon-reload: done"
  else
    echo "install_units: systemd is not running here; skipped systemctl daemon-reload" >&2
  fi
fi
