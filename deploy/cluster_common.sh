# Shell functions shared by copy_partitions and launch (sourced, not run):
# error reporting, DGL's ip_config.txt, and the ssh command line.
# The caller sets TOOL (its name, for messages) and `set -euo pipefail`.

# Prints "TOOL: message" on stderr and exits 1 (or $2).
die() {
  echo "$TOOL: $1" >&2
  exit "${2:-1}"
}

# Quotes $1 for a POSIX shell (the remote login shell runs our commands).
shquote() {
  printf "'%s'" "${1//\'/\'\\\'\'}"
}

# A remote folder path for a POSIX shell: a leading ~ becomes $HOME there, so
# `--workspace '~/graphsage'` means the home folder of the remote user.
remote_path() {
  case "$1" in
    "~") printf '"$HOME"' ;;
    "~/"*) printf '"$HOME"/%s' "$(shquote "${1#\~/}")" ;;
    *) shquote "$1" ;;
  esac
}

# Reads DGL's ip_config.txt ("IP [PORT]" per line, # comments) into
# MACHINE_HOSTS and MACHINE_PORTS (default port 30050), one entry per line.
read_ip_config() {
  local path=$1 line number=0 host port extra
  [[ -n "$path" ]] || die "--ip_config is required (DGL's ip_config.txt: one 'IP [PORT]' line per machine)" 2
  [[ -f "$path" && -r "$path" ]] || die "cannot read ip_config '$path': the file is missing or unreadable" 2
  MACHINE_HOSTS=()
  MACHINE_PORTS=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    number=$((number + 1))
    line=${line%%#*}
    read -r host port extra <<< "$line" || true
    [[ -z "$host" ]] && continue
    [[ -z "$extra" ]] || die "$path:$number: too many fields in '$line'; expected 'IP [PORT]'" 2
    port=${port:-30050}
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
      die "$path:$number: port '$port' is not a number in 1..65535" 2
    fi
    [[ "$host" =~ ^[A-Za-z0-9._:-]+$ ]] || die "$path:$number: '$host' is not a host name or IP address" 2
    MACHINE_HOSTS+=("$host")
    MACHINE_PORTS+=("$port")
  done < "$path"
  ((${#MACHINE_HOSTS[@]} > 0)) || die "$path lists no machines; add one 'IP [PORT]' line per machine" 2
}

# Builds SSH (the ssh command and its options, as an array) from the ssh
# flags: port, user, key, extra options (word-split, e.g. "-o Foo=bar").
# BatchMode: a machine that would ask for a password fails at once instead.
make_ssh_command() {
  local port=$1 user=$2 key=$3 extra=$4
  SSH=(ssh -o BatchMode=yes -o ConnectTimeout=15 -o ServerAliveInterval=15)
  [[ -n "$port" ]] && SSH+=(-p "$port")
  [[ -n "$user" ]] && SSH+=(-l "$user")
  if [[ -n "$key" ]]; then
    [[ -r "$key" ]] || die "--ssh_key '$key' is missing or unreadable" 2
    SSH+=(-i "$key")
  fi
  local -a words
  read -r -a words <<< "$extra" || true
  SSH+=("${words[@]}")
}

# Checks that a path flag has no characters that a remote shell or rsync
# would split or expand.
check_plain_path() {
  local flag=$1 value=$2
  [[ "$value" =~ ^[A-Za-z0-9._/~+@%=,-]+$ ]] ||
    die "$flag '$value' has characters other than letters, digits and ._/~+@%=,-" 2
}
