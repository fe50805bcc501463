# shellcheck shell=bash
# Sourced by the scripts that build Debian sid roots (bpftrace_sid.sh, otelcol.sh): installing
# debootstrap, taking down what was mounted in a root, and deleting a root without ever deleting
# through a bind mount.
# The sourcing script defines die MESSAGE and sets mounts_tag (its name, for messages).

# Mount points under DIR, deepest first.
mounts_under() {
  awk -v d="$1" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r
}

unmount_all() {
  local m
  while read -r m; do
    [[ -n $m ]] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
      echo "${mounts_tag:-mounts}: cannot unmount $m" >&2
  done < <(mounts_under "$1")
}

# remove_tree DIR — deletes a root, never what a bind mount left in it shows (/dev, /sys, /work).
remove_tree() {
  unmount_all "$1"
  [[ -z $(mounts_under "$1") ]] || die "still mounted under $1: $(mounts_under "$1" | xargs)"
  rm -rf --one-file-system "$1"
}

# Installs Debian's debootstrap when it is missing (apt's lists are refreshed only if needed).
ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  echo "${mounts_tag:-mounts}: installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
    </dev/null >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends debootstrap </dev/null >/dev/null
  } || die "cannot install debootstrap"
}
