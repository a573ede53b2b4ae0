# Shell functions (source this file) that run a whole cluster on this one
# machine, for the example job and the distributed benchmarks: one
# graph_server per partition on loopback, stopped again at the end.
#
#   start_servers BIN CONFIG NUM_PARTS WORK [graph_server flags]   # sets IP_CONFIG, SERVER_PIDS
#   start_servers_from BIN CONFIG IP_CONFIG WORK WRAP [graph_server flags]
#   stop_servers

# start_servers BIN CONFIG NUM_PARTS WORK [graph_server flags...]: starts
# partition p's server on 127.0.0.1:(base + p) with the flags, its log in
# WORK, and waits until every server is listening (a server that exits first
# fails the script with its log). Sets IP_CONFIG (in WORK) and adds the
# servers to SERVER_PIDS, so a second call starts a second set beside the
# first and stop_servers stops both.
SERVER_PIDS=()
start_servers() {
  local bin=$1 config=$2 num_parts=$3 work=$4
  local base=$((20000 + RANDOM % 20000)) part
  shift 4
  mkdir -p "$work"
  IP_CONFIG="$work/ip_config.txt"
  : > "$IP_CONFIG"
  for ((part = 0; part < num_parts; part++)); do
    echo "127.0.0.1 $((base + part))" >> "$IP_CONFIG"
  done
  start_servers_from "$bin" "$config" "$IP_CONFIG" "$work" "" "$@"
}

# start_servers_from BIN CONFIG IP_CONFIG WORK WRAP [graph_server flags...]:
# as start_servers, for an ip_config the caller wrote (server p serves
# partition p at line p). With WRAP non-empty, server p is started as
# `WRAP p graph_server flags...`: WRAP is a function that runs that command
# on machine p (e.g. in its network namespace, adding its own flags).
start_servers_from() {
  local bin=$1 config=$2 ip_config=$3 work=$4 wrap=$5 part first=${#SERVER_PIDS[@]}
  local num_parts
  shift 5
  num_parts=$(grep -c . "$ip_config")
  for ((part = 0; part < num_parts; part++)); do
    ${wrap:+"$wrap" "$part"} "$bin/graph_server" --ip_config="$ip_config" \
      --part_config="$config" --server_id="$part" "$@" > "$work/server$part.log" 2>&1 &
    SERVER_PIDS+=($!)
  done
  for ((part = 0; part < num_parts; part++)); do
    until grep -q "listening on" "$work/server$part.log" 2> /dev/null; do
      # A server that exited is a zombie until waited for: kill -0 would
      # still succeed.
      if [[ "$(ps -o stat= -p "${SERVER_PIDS[first + part]}" | tr -d " ")" != [^Z]* ]]; then
        cat "$work/server$part.log" >&2
        return 1
      fi
      sleep 1
    done
  done
}

stop_servers() {
  if [[ ${#SERVER_PIDS[@]} -gt 0 ]]; then
    kill "${SERVER_PIDS[@]}" 2> /dev/null || true
    wait "${SERVER_PIDS[@]}" 2> /dev/null || true
  fi
  SERVER_PIDS=()
}

# A TCP port for the trainers' rendezvous (--master_port).
next_master_port() {
  echo $((40000 + RANDOM % 20000))
}
