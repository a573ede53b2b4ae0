# shellcheck shell=bash
# A simulated cluster on this one machine (source this file; needs root): N
# network namespaces are N "machines", each with one interface (eth0,
# address SUBNET.(m+1)/24) on a bridge in a switch namespace, every link
# shaped with tc's token bucket (tbf) to a rate in both directions, as a NIC
# would be. A graph server and a trainer run in each machine namespace,
# seeing only that machine's own address: a partition on another machine is
# reached over TCP through the shaped links, the home partition through the
# machine's own Unix socket and shared-memory folder. The machines share this
# machine's cores and memory (say so beside any figure).
#
#   netns_up N                 creates the namespaces (sets NETNS_MACHINES, NETNS_ADDRS)
#   netns_shape RATE           shapes every link (e.g. 10gbit, 1gbit, 500mbit; none: unshaped)
#   netns_start_servers BIN CONFIG WORK [graph_server flags]
#                              one server per machine (partition m on machine m); sets IP_CONFIG
#   netns_train BIN CONFIG WORK NAME [trainer flags]
#                              one trainer per machine (rank m), WORK/NAME-rank<m>.{json,log}
#   netns_link_bytes           JSON: bytes each machine's eth0 sent and received so far
#   netns_throughput FROM TO MB  Gbit/s of one TCP stream of MB MiB from machine FROM to TO
#   netns_down                 ends every process in the namespaces, deletes them
# Set NETNS_PREFIX (default ds-) and NETNS_SUBNET (default 10.77.0) before
# netns_up to run two clusters side by side; the namespaces are private, so
# the subnet may repeat.

source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local_cluster.sh"

NETNS_PREFIX="${NETNS_PREFIX:-ds-}"
NETNS_SUBNET="${NETNS_SUBNET:-10.77.0}"
NETNS_MACHINES=()
NETNS_ADDRS=()
NETNS_CREATED=()  # Every namespace netns_up made, the switch included, for netns_down.
NETNS_SHM_DIR=""  # The servers' shared-memory folders (one per machine) live under it.
# shellcheck disable=SC2034  # Read by the scripts that source this file.
NETNS_RATE_BPS=0  # The rate netns_shape set, bits/s (0: unshaped).
TC=/usr/sbin/tc

netns_machine() { echo "${NETNS_PREFIX}m$1"; }

# netns_exec M COMMAND...: runs COMMAND in machine M's namespace.
netns_exec() {
  local machine=$1
  shift
  ip netns exec "$(netns_machine "$machine")" "$@"
}

# netns_up N: machines 0..N-1 and the switch. A leftover namespace of the
# same name (a run killed with -9) stops it with the command that clears it.
netns_up() {
  local n=$1 m ns switch="${NETNS_PREFIX}sw"
  for ns in "$switch" $(for ((m = 0; m < n; m++)); do netns_machine "$m"; done); do
    if [[ -e "/run/netns/$ns" ]]; then
      echo "netns_up: network namespace $ns already exists (a run that was killed?); check" \
        "'ip netns pids $ns', then 'ip netns del $ns', or set NETNS_PREFIX" >&2
      return 1
    fi
  done
  ip netns add "$switch" || {
    echo "netns_up: cannot create network namespaces (needs root and CAP_SYS_ADMIN)" >&2
    return 1
  }
  NETNS_CREATED+=("$switch")
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  for ((m = 0; m < n; m++)); do
    ns="$(netns_machine "$m")"
    ip netns add "$ns"
    NETNS_CREATED+=("$ns")
    ip link add name eth0 netns "$ns" type veth peer name "m$m" netns "$switch"
    ip -n "$switch" link set "m$m" master br0
    ip -n "$switch" link set "m$m" up
    ip -n "$ns" addr add "$NETNS_SUBNET.$((m + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    NETNS_MACHINES+=("$ns")
    NETNS_ADDRS+=("$NETNS_SUBNET.$((m + 1))")
  done
}

# netns_shape RATE: a tbf on both ends of every machine's link, so the link
# carries RATE each way (RATE as tc writes it: 10gbit, 1gbit, 500mbit; none
# removes the shaping). The bucket holds 1 ms at RATE (at least 64 KiB, the
# largest segment TCP offload hands the device), so a burst does not go out
# faster than a real NIC would send it.
netns_shape() {
  local rate=$1 m bits burst
  NETNS_RATE_BPS=0
  for ((m = 0; m < ${#NETNS_MACHINES[@]}; m++)); do
    if [[ $rate == none ]]; then
      ip netns exec "${NETNS_MACHINES[m]}" "$TC" qdisc del dev eth0 root 2> /dev/null || true
      ip netns exec "${NETNS_PREFIX}sw" "$TC" qdisc del dev "m$m" root 2> /dev/null || true
      continue
    fi
    if ! [[ $rate =~ ^([0-9]+)([kmg]?)bit$ ]]; then
      echo "netns_shape: rate '$rate' is not <number>[k|m|g]bit (e.g. 10gbit) or none" >&2
      return 1
    fi
    bits=${BASH_REMATCH[1]}
    case ${BASH_REMATCH[2]} in
      k) bits=$((bits * 1000)) ;;
      m) bits=$((bits * 1000000)) ;;
      g) bits=$((bits * 1000000000)) ;;
    esac
    # shellcheck disable=SC2034
    NETNS_RATE_BPS=$bits
    burst=$((bits / 8 / 1000))
    ((burst >= 65536)) || burst=65536
    ip netns exec "${NETNS_MACHINES[m]}" "$TC" qdisc replace dev eth0 root \
      tbf rate "$rate" burst "$burst" latency 50ms
    ip netns exec "${NETNS_PREFIX}sw" "$TC" qdisc replace dev "m$m" root \
      tbf rate "$rate" burst "$burst" latency 50ms
  done
}

# netns_start_servers BIN CONFIG WORK [graph_server flags...]: server m on
# machine m at NETNS_ADDRS[m]:30050 (every namespace has its own ports),
# serving partition m, with its Unix socket in WORK/m<m> and its
# shared-memory segment in a folder of its own (so that a trainer maps only
# its machine's segment). Needs one partition per machine.
netns_start_servers() {
  local bin=$1 config=$2 work=$3 m
  shift 3
  mkdir -p "$work"
  IP_CONFIG="$work/ip_config.txt"
  : > "$IP_CONFIG"
  NETNS_SHM_DIR="$(mktemp -d /dev/shm/distsage-netns.XXXXXX)"
  for ((m = 0; m < ${#NETNS_MACHINES[@]}; m++)); do
    echo "${NETNS_ADDRS[m]} 30050" >> "$IP_CONFIG"
    mkdir -p "$work/m$m" "$NETNS_SHM_DIR/m$m"
  done
  NETNS_WORK="$work"
  start_servers_from "$bin" "$config" "$IP_CONFIG" "$work" netns_server_wrap "$@"
}

# The start_servers_from wrapper: server M's command in machine M's
# namespace, with that machine's folders.
netns_server_wrap() {
  local machine=$1
  shift
  # exec: the caller's $! is then the server itself (ip netns exec execs too).
  exec ip netns exec "$(netns_machine "$machine")" "$@" --uds_dir="$NETNS_WORK/m$machine" \
    --shm_dir="$NETNS_SHM_DIR/m$machine"
}

# netns_train BIN CONFIG WORK NAME [trainer flags...]: trainer m on machine
# m (rank m of N; the rendezvous on machine 0), each printing its JSON line
# into WORK/NAME-rank<m>.json and its log beside it; waits for all and fails
# with the failed ranks' logs.
netns_train() {
  local bin=$1 config=$2 work=$3 name=$4 m failed=0
  shift 4
  local pids=()
  for ((m = 0; m < ${#NETNS_MACHINES[@]}; m++)); do
    netns_exec "$m" "$bin/trainer" --servers="$IP_CONFIG" --part_config="$config" \
      --world_size="${#NETNS_MACHINES[@]}" --rank="$m" --master_addr="${NETNS_ADDRS[0]}" \
      --master_port=29500 --uds_dir="$work/m$m" "$@" \
      > "$work/$name-rank$m.json" 2> "$work/$name-rank$m.log" &
    pids+=($!)
  done
  for ((m = 0; m < ${#pids[@]}; m++)); do
    if ! wait "${pids[m]}"; then
      echo "netns_train: rank $m failed; its log ($work/$name-rank$m.log) ends:" >&2
      tail -20 "$work/$name-rank$m.log" >&2
      failed=1
    fi
  done
  return "$failed"
}

# netns_link_bytes: {"tx": [bytes per machine], "rx": [...]} of the machines'
# eth0 since netns_up (TCP/IP headers included).
netns_link_bytes() {
  local m
  for ((m = 0; m < ${#NETNS_MACHINES[@]}; m++)); do
    ip -n "${NETNS_MACHINES[m]}" -s -j link show eth0
  done | python3 -c '
import json, sys
links = [json.loads(line)[0]["stats64"] for line in sys.stdin if line.strip()]
print(json.dumps({"tx": [l["tx"]["bytes"] for l in links], "rx": [l["rx"]["bytes"] for l in links]}))'
}

# netns_throughput FROM TO MB: what one TCP stream achieves from machine
# FROM to machine TO (Gbit/s; a check of the shaping, and of what this
# machine's CPUs can push through a veth when the rate is above it).
netns_throughput() {
  local from=$1 to=$2 mb=$3 pid rc=0
  netns_exec "$to" python3 -c '
import socket, sys
s = socket.create_server((sys.argv[1], 5001)); c, _ = s.accept()
while c.recv(1 << 20): pass
c.close()' "${NETNS_ADDRS[to]}" &
  pid=$!
  netns_exec "$from" python3 -c '
import socket, sys, time
for _ in range(50):
    try:
        c = socket.create_connection((sys.argv[1], 5001)); break
    except ConnectionRefusedError:
        time.sleep(0.1)
buf, n = b"x" * (1 << 20), int(sys.argv[2])
start = time.time()
for _ in range(n): c.sendall(buf)
c.shutdown(socket.SHUT_WR); c.recv(1)
print("%.2f" % (n * 8 * (1 << 20) / (time.time() - start) / 1e9))' "${NETNS_ADDRS[to]}" "$mb" || rc=$?
  wait "$pid" || rc=$?
  return "$rc"
}

# netns_down: ends the processes left in the namespaces (all started by this
# script: nothing else runs there), deletes the namespaces and the servers'
# shared-memory folders. Safe to call twice, and after a partial netns_up.
netns_down() {
  local ns pids
  stop_servers
  for ns in "${NETNS_CREATED[@]}"; do
    pids="$(ip netns pids "$ns" 2> /dev/null || true)"
    # shellcheck disable=SC2086
    [[ -z "$pids" ]] || kill $pids 2> /dev/null || true
  done
  for ns in "${NETNS_CREATED[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      [[ -z "$(ip netns pids "$ns" 2> /dev/null || true)" ]] && break
      sleep 0.5
    done
    pids="$(ip netns pids "$ns" 2> /dev/null || true)"
    # shellcheck disable=SC2086
    [[ -z "$pids" ]] || kill -9 $pids 2> /dev/null || true
    ip netns del "$ns" 2> /dev/null || true
  done
  NETNS_CREATED=()
  NETNS_MACHINES=()
  NETNS_ADDRS=()
  if [[ -n "$NETNS_SHM_DIR" ]]; then
    rm -rf "$NETNS_SHM_DIR"
    NETNS_SHM_DIR=""
  fi
}
