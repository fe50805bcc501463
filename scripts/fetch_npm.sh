#!/usr/bin/env bash
# Fetches the stripped third-party Go binaries that tests read as real-world inputs, from the npm
# registry, into .cache/npm/<dir>/ (or $GOTAP_NPM_DIR). scripts/npm-binaries.sha256 is the only list:
# each line is "<sha256>  <dir>/<path in package>", where <dir> is the npm spec with '/' written as
# '+' (so "@esbuild+linux-x64@0.24.2" is fetched as "@esbuild/linux-x64@0.24.2").
#
# Contract: a <dir> that exists was extracted completely and its binary matched the recorded hash.
# Each package is unpacked into a temporary directory beside the cache and renamed into place only
# after verification, so an interrupted run leaves either nothing or a verified directory.
# A cached directory whose binary already matches is not fetched again (no network).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifest=$repo_root/scripts/npm-binaries.sha256
cache=${GOTAP_NPM_DIR:-$repo_root/.cache/npm}

die() {
  echo "fetch_npm: error: $*" >&2
  exit 1
}

# Prints the sha256 of FILE, or nothing when it does not exist.
sha256_of() {
  [[ -f $1 ]] && sha256sum "$1" | cut -d' ' -f1
  return 0
}

[[ -r $manifest ]] || die "missing $manifest"
command -v npm >/dev/null || die "npm not found; run scripts/setup.sh as root first"
mkdir -p "$cache"

# One run at a time per cache: a concurrent run would race on the rename below.
exec 9>"$cache/.lock"
flock 9
# Leftovers of an interrupted run (never read as cache entries).
rm -rf "$cache"/.tmp.*

tmp=
trap '[[ -n $tmp ]] && rm -rf "$tmp"' EXIT

while read -r want rel <&3; do
  [[ -z $want || $want == \#* ]] && continue
  dir=${rel%%/*}
  inner=${rel#*/}
  spec=${dir//+//}
  if [[ $(sha256_of "$cache/$rel") == "$want" ]]; then
    echo "npm: $spec cached"
    continue
  fi

  echo "npm: fetching $spec"
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  npm pack --loglevel=error --pack-destination "$tmp" "$spec" </dev/null >"$tmp/pack.out" ||
    die "npm pack $spec failed (is the npm registry reachable?)"
  tarball=$tmp/$(tail -n1 "$tmp/pack.out")
  [[ -f $tarball ]] || die "npm pack $spec did not produce a tarball"
  mkdir "$tmp/x"
  tar -xzf "$tarball" -C "$tmp/x" --no-same-owner || die "cannot extract $tarball"
  got=$(sha256_of "$tmp/x/package/$inner")
  [[ -n $got ]] || die "$spec: the package has no $inner"
  [[ $got == "$want" ]] ||
    die "$spec: sha256 mismatch for $inner: expected $want, got $got (tarball changed upstream?)"
  chmod 0755 "$tmp/x/package/$inner"

  # A stale or broken copy is moved aside first; -T refuses to move into an existing directory.
  if [[ -e $cache/$dir ]]; then
    mv -T "$cache/$dir" "$tmp/stale"
  fi
  mv -T "$tmp/x/package" "$cache/$dir"
  rm -rf "$tmp"
  tmp=
  echo "npm: $spec ok ($cache/$rel)"
done 3<"$manifest"
