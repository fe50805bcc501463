#!/usr/bin/env bash
# Fetches the Go toolchains of the test matrix (Go 1.21-1.27) from Debian's archive into
# .cache/go/go-1.N/ (or $GOTAP_GO_DIR), without installing anything system-wide and without touching
# the system's apt sources: `apt-get download` runs against a sources file and package lists of
# its own (.cache/go/apt/), and the packages are unpacked with `dpkg-deb -x`.
# Go 1.19 is Debian 12's own package (scripts/setup.sh installs it); Go 1.20 has no Debian package.
#
# Contract: .cache/go/go-1.N/bin/go exists only for a complete, unpacked toolchain whose `go version`
# printed go1.N; an interrupted run leaves a .tmp.* directory that the next run removes.
# A version already in place is not fetched again (no network at all when all are present).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GOTAP_GO_DIR:-$repo_root/.cache/go}

# Which Debian suite carries each version (golang-1.N-go + golang-1.N-src).
declare -A suite_of=(
  [1.21]=bookworm-backports [1.22]=bookworm-backports [1.23]=bookworm-backports
  [1.24]=trixie [1.25]=trixie-backports [1.26]=trixie-backports [1.27]=sid
)
versions=(1.21 1.22 1.23 1.24 1.25 1.26 1.27)
mirror=${GOTAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

die() {
  echo "fetch_go: error: $*" >&2
  exit 1
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
rm -rf "$cache"/.tmp.*

missing=()
for v in "${versions[@]}"; do
  [[ -x $cache/go-$v/bin/go ]] || missing+=("$v")
done
if ((${#missing[@]} == 0)); then
  echo "fetch_go: Go ${versions[*]} cached"
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (Debian only)"
[[ -r $keyring ]] || die "missing $keyring (package debian-archive-keyring)"

apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial"
: >"$apt_dir/sources.list"
for suite in $(printf '%s\n' "${suite_of[@]}" | sort -u); do
  echo "deb [signed-by=$keyring] $mirror $suite main" >>"$apt_dir/sources.list"
done
apt_opts=(
  -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  # The machine's clock may be past sid's Release validity; the signature is still checked.
  -o "Acquire::Check-Valid-Until=false" -o "APT::Sandbox::User=root"
)
mkdir -p "$apt_dir/cache/archives/partial"
echo "fetch_go: fetching Go ${missing[*]} (Debian: ${mirror})"
apt-get "${apt_opts[@]}" -qq update </dev/null || die "apt-get update for the Go suites failed"

tmp=
trap '[[ -n $tmp ]] && rm -rf "$tmp"' EXIT
for v in "${missing[@]}"; do
  suite=${suite_of[$v]}
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  (cd "$tmp" && apt-get "${apt_opts[@]}" -qq download "golang-$v-go/$suite" "golang-$v-src/$suite" \
    </dev/null) || die "apt-get download golang-$v-go/$suite golang-$v-src/$suite failed"
  mkdir "$tmp/root"
  for deb in "$tmp"/*.deb; do
    dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
  done
  # usr/lib/go-1.N links api, src, ... to ../../share/go-1.N: keep both trees, link the root.
  goroot=$tmp/root/usr/lib/go-$v
  [[ -x $goroot/bin/go ]] || die "golang-$v-go has no usr/lib/go-$v/bin/go"
  got=$(GOTOOLCHAIN=local GOENV=off "$goroot/bin/go" env GOVERSION) ||
    die "Go $v does not run"
  [[ $got == go$v || $got == go$v.* ]] || die "golang-$v-go reports $got"
  rm -f "$tmp"/*.deb
  chmod 755 "$tmp"
  rm -rf "$cache/root-$v"
  mv "$tmp" "$cache/root-$v"
  tmp=
  ln -sfn "root-$v/root/usr/lib/go-$v" "$cache/go-$v"
  echo "fetch_go: $got in $cache/go-$v"
done
