#!/usr/bin/env bash
# An OpenTelemetry Collector for the tests: tests/tools/otelcol/main.go built from Debian sid's
# golang-opentelemetry-collector-dev (Go source, in GOPATH mode) inside a throwaway sid root
# (debootstrap --variant=minbase). The result is one static binary, which runs on Debian 12 and is
# the only thing kept. Root only (debootstrap, chroot, mount).
#
#   scripts/otelcol.sh [setup]     build .cache/otelcol/otelcol-gotap (idempotent: does nothing when
#                                  it exists and its --version runs)
#   scripts/otelcol.sh path        print the binary's path (exit 1 if it is missing)
#   scripts/otelcol.sh teardown    unmount what a killed setup left; delete the sid root and the
#                                  binary
#
# Environment:
#   GOTAP_OTELCOL_DIR    where the binary goes (default: .cache/otelcol of the repository)
#   GOTAP_OTELCOL_SID    the sid root, while building (default: .cache/otelcol-sid)
#   GOTAP_DEBIAN_MIRROR  the Debian mirror (default http://deb.debian.org/debian)
#
# setup: debootstrap sid into $root.tmp; apt-get install golang-go and
# golang-opentelemetry-collector-dev there (with /proc mounted; the machine's clock may be past sid's
# Release validity, the signature is still checked); rename it $root; copy main.go in and build it
# with CGO_ENABLED=0, -trimpath and no build id (the same sources give the same bytes); check that
# the binary is static and that its --version runs here; move it into place; delete the root.
#
# Contract: $dir/otelcol-gotap exists only once it passed those checks. $root/.complete marks a
# root whose packages are installed: a setup that fails while building leaves the root, and the next
# setup builds again in it without downloading anything (edit main.go, run setup again). An
# interrupted debootstrap leaves $root.tmp, which the next setup removes.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$repo_root/tests/tools/otelcol/main.go
dir=$(realpath -m "${GOTAP_OTELCOL_DIR:-$repo_root/.cache/otelcol}")
bin=$dir/otelcol-gotap
# Mount points are listed by their real path (.cache may be a symlink).
root=$(realpath -m "${GOTAP_OTELCOL_SID:-$repo_root/.cache/otelcol-sid}")
mirror=${GOTAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log=$dir/setup.log
packages=(golang-go golang-opentelemetry-collector-dev)

die() {
  echo "otelcol: error: $*" >&2
  exit 1
}

mounts_tag=otelcol
# shellcheck source=scripts/mounts.sh
source "$repo_root/scripts/mounts.sh"

# The binary's --version line ("otelcol-gotap version 0.152.0-1"), or nothing.
bin_version() {
  [[ -x $1 ]] || return 0
  "$1" --version 2>/dev/null | head -1
}

# The last lines of the log, on one line, for an error message.
log_tail() {
  tail -3 "$log" 2>/dev/null | tr '\n' ' '
}

# make_root — a sid root with the packages installed, at $root (with .complete).
make_root() {
  ensure_debootstrap
  local tmp=$root.tmp
  remove_tree "$tmp"
  remove_tree "$root"
  trap 'unmount_all "'"$tmp"'"' EXIT
  echo "otelcol: debootstrap --variant=minbase sid $tmp $mirror (a few minutes)"
  debootstrap --variant=minbase sid "$tmp" "$mirror" >>"$log" 2>&1 ||
    die "debootstrap failed (see $log): $(log_tail)"
  mount -t proc proc "$tmp/proc"
  local apt=(chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get -qq
    -o Acquire::Check-Valid-Until=false)
  echo "otelcol: apt-get install ${packages[*]} (in the sid root)"
  { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${packages[@]}"; } \
    </dev/null >>"$log" 2>&1 || die "apt-get install failed (see $log): $(log_tail)"
  "${apt[@]}" clean >/dev/null 2>&1 || true
  unmount_all "$tmp"
  [[ -z $(mounts_under "$tmp") ]] || die "still mounted under $tmp: $(mounts_under "$tmp" | xargs)"
  trap - EXIT
  touch "$tmp/.complete"
  mv "$tmp" "$root"
}

# build — builds main.go in $root and leaves the checked binary at $bin.
build() {
  local pkg_version go_version
  # shellcheck disable=SC2016 # ${Version} is dpkg-query's, not the shell's
  pkg_version=$(chroot "$root" dpkg-query -W -f '${Version}' golang-opentelemetry-collector-dev) ||
    die "golang-opentelemetry-collector-dev is not installed in $root"
  rm -rf "$root/build"
  mkdir -p "$root/build/otelcol-gotap"
  cp "$src" "$root/build/otelcol-gotap/main.go"
  trap 'unmount_all "'"$root"'"' EXIT
  # go needs /proc (/proc/self/exe).
  mount -t proc proc "$root/proc"
  go_version=$(chroot "$root" go version 2>/dev/null) || go_version="go (version unknown)"
  echo "otelcol: building otelcol-gotap $pkg_version with $go_version (a few minutes)"
  chroot "$root" env -i -C /build/otelcol-gotap PATH=/usr/bin:/bin HOME=/build \
    GOCACHE=/build/cache GO111MODULE=off GOPATH=/usr/share/gocode GOTOOLCHAIN=local GOPROXY=off \
    CGO_ENABLED=0 go build -trimpath -o /build/otelcol-gotap.bin \
    -ldflags "-s -w -buildid= -X main.version=$pkg_version" . \
    </dev/null >>"$log" 2>&1 || die "go build failed (see $log): $(log_tail)"
  unmount_all "$root"
  [[ -z $(mounts_under "$root") ]] || die "still mounted under $root: $(mounts_under "$root" | xargs)"
  trap - EXIT
  local new=$bin.tmp
  cp "$root/build/otelcol-gotap.bin" "$new"
  # ldd exits non-zero on a static binary ("not a dynamic executable").
  if ldd "$new" >/dev/null 2>&1; then
    die "the binary is dynamically linked: $(ldd "$new" | tr '\n' ' ')"
  fi
  [[ -n $(bin_version "$new") ]] || die "the binary does not run here: $("$new" --version 2>&1 | head -1)"
  mv "$new" "$bin"
  printf 'golang-opentelemetry-collector-dev %s\n%s\nsha256 %s\n' "$pkg_version" "$go_version" \
    "$(sha256sum "$bin" | cut -d' ' -f1)" >"$dir/otelcol-gotap.buildinfo"
}

setup() {
  local v
  v=$(bin_version "$bin")
  if [[ -n $v ]]; then
    echo "otelcol: $v ready at $bin (nothing to do)"
    return 0
  fi
  ((EUID == 0)) || die "needs root (debootstrap, chroot, mount)"
  [[ -f $src ]] || die "no $src"
  mkdir -p "$dir"
  rm -f "$bin" "$bin.tmp" "$log"
  if [[ -f $root/.complete ]]; then
    echo "otelcol: reusing the sid root $root"
  else
    make_root
  fi
  build
  local size
  size=$(du -sh --one-file-system "$root" | cut -f1)
  remove_tree "$root"
  rm -f "$log"
  echo "otelcol: $(bin_version "$bin") ready at $bin ($(du -h "$bin" | cut -f1)); sid root ($size) removed"
}

teardown() {
  remove_tree "$root"
  remove_tree "$root.tmp"
  rm -rf "$dir"
  echo "otelcol: removed $root and $dir"
}

case ${1:-setup} in
  setup) setup ;;
  path)
    [[ -x $bin ]] || exit 1
    echo "$bin"
    ;;
  teardown) teardown ;;
  *) die "usage: $0 [setup | path | teardown]" ;;
esac
