# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source it
# Shared by tools/rbe/up and tools/rbe/down (sourced, not run).
# Everything the local cluster runs lives under .cache/rbe/run/: PID files, logs, the
# BuildGrid config, the unpacked arm64 rootfs. RBE_RUN_DIR=DIR puts a separate cluster in
# DIR instead (the tests use one each, so that they never touch a cluster you started).
#
# Only root's processes use the run directory. What another user must reach (PostgreSQL,
# which runs as the postgres user: its data directory and log) lives in the cluster's
# state directory, $state_root/<hash of the run directory>, so that a checkout under a
# directory only root can enter (a home directory, a `mktemp -d` folder) works too. The
# run directory's `state` link points to it; tools/rbe/down deletes both.
#
# RBE_CACHE_DIR=DIR takes the tools that tools/rbe/setup prepared (the BuildGrid venv
# and the arm64 rootfs tarball) from DIR instead of this checkout's .cache/rbe, e.g.
# from another checkout's .cache/rbe.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rbe_cache=$(realpath -m "${RBE_CACHE_DIR:-$root/.cache/rbe}")
run=$(realpath -m "${RBE_RUN_DIR:-$root/.cache/rbe/run}")
# How messages name them: relative to the checkout when inside it.
run_shown=${run#"$root"/}
rbe_cache_shown=${rbe_cache#"$root"/}
venv="$rbe_cache/venv"
rootfs="$run/arm64-rootfs"
pg_bin=/usr/lib/postgresql/15/bin
# Runtime state of the machine's services (FHS): world-searchable, owned by root.
state_root=/run/rules_pyuv-rbe
state="$state_root/$(printf '%s' "$run" | sha256sum | cut -c1-16)"

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

# Creates (empty) the cluster's state directory for the run directory: the parents are
# root-owned and world-searchable, so the postgres user reaches it whatever the run
# directory's parents allow. A symlink or foreign owner on the way is refused.
make_state_dir() {
  local d
  for d in "$state_root" "$state"; do
    if [[ -L "$d" ]] || { [[ -e "$d" ]] && [[ "$(stat -c %u "$d")" != 0 ]]; }; then
      die "$d is not a directory owned by root; remove it"
    fi
  done
  install -d -o root -g root -m 755 "$state_root"
  remove_tree "$state"
  install -d -o root -g root -m 755 "$state"
  printf '%s\n' "$run" >"$state/run-dir"
  ln -sfn "$state" "$run/state"
}

# Deletes the cluster's state directory and the run directory's link to it, keeping
# PostgreSQL's log in the run directory with the other logs.
remove_state_dir() {
  if [[ -f "$state/postgres.log" ]]; then
    cp "$state/postgres.log" "$run/postgres.log"
  fi
  remove_tree "$state"
  rm -f "$run/state"
}
