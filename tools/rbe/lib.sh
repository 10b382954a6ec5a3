# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source it
# Shared by tools/rbe/up and tools/rbe/down (sourced, not run).
# Everything the local cluster runs lives under .cache/rbe/run/: PID files, logs, the
# PostgreSQL data directory, the BuildGrid config, the unpacked arm64 rootfs.
# RBE_RUN_DIR=DIR puts a separate cluster in DIR instead (tests/test_rbe.py uses one, so
# that it never touches a cluster you started yourself).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rbe_cache="$root/.cache/rbe"
run=$(realpath -m "${RBE_RUN_DIR:-$rbe_cache/run}")
# How messages name it: relative to the checkout when inside it.
run_shown=${run#"$root"/}
venv="$rbe_cache/venv"
rootfs="$run/arm64-rootfs"
pg_bin=/usr/lib/postgresql/15/bin

log() { printf '[rbe/%s] %s\n' "$(basename "$0")" "$*"; }
die() { printf '[rbe/%s] error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# What each PID file's process must look like: a PID is only ever signalled when its
# command line still matches, so a reused PID is never hit.
cmdline_marker() {
  case "$1" in
    postgres) echo "postgres" ;;
    buildgrid) echo "bgd" ;;
    worker-*) echo "worker.py" ;;
  esac
}

# Prints the PID of component $1 (postgres, buildgrid, worker-amd64, ...) if it runs.
running_pid() {
  local name=$1 pidfile="$run/$1.pid" pid marker
  [[ -f "$pidfile" ]] || return 1
  pid=$(head -n1 "$pidfile" | tr -dc 0-9)
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  marker=$(cmdline_marker "$name")
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$marker" || return 1
  echo "$pid"
}

# Mount points at or below directory $1, deepest first.
mounts_below() {
  local dir
  dir=$(realpath -m "$1")
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r
}

unmount_below() {
  local m
  while read -r m; do
    [[ -n "$m" ]] || continue
    log "umount $m"
    umount "$m" 2>/dev/null || umount -l "$m"
  done < <(mounts_below "$1")
}

# Deletes a directory only when nothing is mounted below it any more.
remove_tree() {
  local dir=$1
  [[ -e "$dir" ]] || return 0
  unmount_below "$dir"
  if [[ -n "$(mounts_below "$dir")" ]]; then
    die "refusing to delete $dir: something is still mounted below it"
  fi
  rm -rf --one-file-system -- "$dir"
}

# Serialises tools/rbe/up and tools/rbe/down: two of them at once (two terminals, a test
# run) would otherwise both start a server. Held on fd 9 until the script exits; every
# process the scripts start gets `9>&-`, else it would hold the lock for its lifetime.
lock_run_dir() {
  mkdir -p "$run"
  exec 9>"$run/.lock"
  if ! flock -n 9; then
    log "waiting for another tools/rbe/up or down to finish"
    flock -w 300 9 || die "$run_shown/.lock is still held after 300 s"
  fi
}
