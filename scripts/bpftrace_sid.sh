#!/usr/bin/env bash
# bpftrace 0.27 for the benchmarks only: a Debian sid root (debootstrap --variant=minbase) with
# sid's bpftrace in it, beside Debian 12's own bpftrace 0.17, which stays the system's. Root only.
#
#   scripts/bpftrace_sid.sh [setup]          create the root and install bpftrace (idempotent: does
#                                            nothing when the root's bpftrace --version says 0.27)
#   scripts/bpftrace_sid.sh version          print the root's bpftrace version (exit 1 if none)
#   scripts/bpftrace_sid.sh run ARGS...      run the root's bpftrace with ARGS
#   scripts/bpftrace_sid.sh teardown         unmount what a killed run may have left; delete
#                                            the root
#
# Environment:
#   GOTAP_BPFTRACE_SID   the root (default: .cache/bpftrace-sid of the repository)
#   GOTAP_DEBIAN_MIRROR  the Debian mirror (default http://deb.debian.org/debian)
#   BPFTRACE_SID_BIND    colon-separated folders bind-mounted (read-only) at the same path
#                        inside the root for `run`, so that the traced binaries' paths mean the
#                        same files inside (default: the repository; symlinks are resolved first)
#   BPFTRACE_SID_NO_NS   set: mount in the machine's mount namespace (the fallback below)
#
# `run` mounts what bpftrace 0.27 needs inside the root: /proc, /sys, /dev (bind mounts), a tracefs
# at /sys/kernel/tracing (0.27 refuses to start without one; this machine mounts none) and a debugfs
# at /sys/kernel/debug, plus the BPFTRACE_SID_BIND folders. It does so in a mount namespace of its
# own (unshare --mount, private propagation), and then execs bpftrace in the same process: the pid
# the caller holds is bpftrace's (signals reach it, /proc/PID/fd shows its BPF programs), and the
# mounts vanish with the namespace when bpftrace exits, however it exits (even by SIGKILL).
# Nothing is mounted in the machine's own namespace, so there is nothing to leak. Should unshare
# be unavailable (or BPFTRACE_SID_NO_NS be set), `run` mounts in the machine's namespace instead,
# runs bpftrace as its child, and a trap unmounts everything (deepest first) when it ends; there
# the wrapper's pid is not bpftrace's, and `teardown` cleans up after a wrapper killed by SIGKILL.
#
# Contract: $root/.complete exists only for a root whose bpftrace --version printed v0.27; an
# interrupted setup leaves $root.tmp, which the next setup removes.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${GOTAP_BPFTRACE_SID:-$repo_root/.cache/bpftrace-sid}
# Mount points are listed by their real path (.cache may be a symlink).
root=$(realpath -m "$root")
mirror=${GOTAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
want=0.27

die() {
  echo "bpftrace_sid: error: $*" >&2
  exit 1
}

mounts_tag=bpftrace_sid
# shellcheck source=scripts/mounts.sh
source "$repo_root/scripts/mounts.sh"

# The root's bpftrace version ("0.27.1"), or nothing. No mounts needed for --version.
root_version() {
  [[ -x $1/usr/bin/bpftrace ]] || return 0
  chroot "$1" /usr/bin/bpftrace --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1
}

is_ready() {
  [[ -f $root/.complete ]] || return 1
  local v
  v=$(root_version "$root")
  [[ $v == "$want" || $v == "$want".* ]]
}

setup() {
  ((EUID == 0)) || die "needs root (debootstrap, chroot)"
  if is_ready; then
    echo "bpftrace_sid: bpftrace $(root_version "$root") ready in $root"
    return 0
  fi
  ensure_debootstrap
  local tmp=$root.tmp
  remove_tree "$tmp"
  mkdir -p "$(dirname "$root")"
  trap 'unmount_all "'"$tmp"'"' EXIT
  echo "bpftrace_sid: debootstrap --variant=minbase sid $tmp $mirror (a few minutes)"
  debootstrap --variant=minbase sid "$tmp" "$mirror" >"$tmp.log" 2>&1 ||
    die "debootstrap failed: $(tail -3 "$tmp.log")"
  # apt's postinst scripts want /proc; the machine's clock may be past sid's Release validity (the
  # signature is still checked).
  mount -t proc proc "$tmp/proc"
  local apt=(chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get -qq
    -o Acquire::Check-Valid-Until=false)
  echo "bpftrace_sid: apt-get install bpftrace (in the sid root)"
  { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends bpftrace; } \
    </dev/null >>"$tmp.log" 2>&1 || die "apt-get install bpftrace failed: $(tail -3 "$tmp.log")"
  "${apt[@]}" clean >/dev/null 2>&1 || true
  unmount_all "$tmp"
  [[ -z $(mounts_under "$tmp") ]] || die "still mounted under $tmp: $(mounts_under "$tmp" | xargs)"
  trap - EXIT
  local v
  v=$(root_version "$tmp")
  [[ $v == "$want" || $v == "$want".* ]] || die "sid's bpftrace is '$v', not $want"
  touch "$tmp/.complete"
  remove_tree "$root"
  rm -f "$tmp.log"
  mv "$tmp" "$root"
  echo "bpftrace_sid: bpftrace $v ready in $root"
}

# Mounts the root's file systems under $root (in whatever mount namespace this runs in).
mount_root() {
  local dir
  mount --bind /proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --make-rslave "$root/sys"
  mount --rbind /dev "$root/dev"
  mount --make-rslave "$root/dev"
  mountpoint -q "$root/sys/kernel/tracing" || mount -t tracefs tracefs "$root/sys/kernel/tracing"
  mountpoint -q "$root/sys/kernel/debug" || mount -t debugfs debugfs "$root/sys/kernel/debug"
  # Where 0.27 looks for available_filter_functions (kprobes only; it warns without it).
  local dt=$root/sys/kernel/debug/tracing
  if [[ -d $dt ]] && ! mountpoint -q "$dt"; then
    mount -t tracefs tracefs "$dt" 2>/dev/null || true
  fi
  local IFS=:
  for dir in ${BPFTRACE_SID_BIND:-$repo_root}; do
    [[ -n $dir ]] || continue
    dir=$(realpath -e "$dir") || die "no folder $dir to bind into the root"
    mkdir -p "$root$dir"
    mount --rbind "$dir" "$root$dir"
    mount -o remount,bind,ro "$root$dir" 2>/dev/null || true
  done
}

run() {
  ((EUID == 0)) || die "needs root"
  [[ -f $root/.complete ]] || die "no bpftrace root in $root (run scripts/bpftrace_sid.sh setup)"
  if [[ -z ${BPFTRACE_SID_NS:-} && -z ${BPFTRACE_SID_NO_NS:-} ]] &&
    unshare --mount --propagation private true 2>/dev/null; then
    # Again, inside a mount namespace of its own; mount_root and exec happen there.
    BPFTRACE_SID_NS=1 exec unshare --mount --propagation private -- \
      bash "$repo_root/scripts/bpftrace_sid.sh" run "$@"
  fi
  if [[ -n ${BPFTRACE_SID_NS:-} ]]; then
    mount_root
    exec chroot "$root" /usr/bin/bpftrace "$@"
  fi
  # No namespace of our own: mount in the machine's, unmount on the way out (one such run at a
  # time: the mounts are shared). SIGINT, SIGTERM and SIGHUP are passed on to bpftrace as SIGINT
  # (it detaches and prints its maps). Bash cannot trap a signal it was started ignoring, as a job
  # started with & from a script is SIGINT: stop such a wrapper with SIGTERM.
  exec 8>"$root/.run.lock"
  flock -n 8 || die "another run of $root without a mount namespace is active"
  local child="" status=0
  trap 'unmount_all "$root"' EXIT
  trap '[[ -n $child ]] && kill -INT "$child" 2>/dev/null' INT TERM HUP
  mount_root
  chroot "$root" /usr/bin/bpftrace "$@" 8>&- &
  child=$!
  while kill -0 "$child" 2>/dev/null; do wait "$child" && status=0 || status=$?; done
  return "$status"
}

teardown() {
  remove_tree "$root"
  remove_tree "$root.tmp"
  rm -f "$root.tmp.log"
  echo "bpftrace_sid: removed $root"
}

case ${1:-setup} in
  setup) setup ;;
  version)
    is_ready || exit 1
    root_version "$root"
    ;;
  run)
    shift
    run "$@"
    ;;
  teardown) teardown ;;
  *) die "usage: $0 [setup | version | run BPFTRACE_ARGS... | teardown]" ;;
esac
