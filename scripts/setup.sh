#!/usr/bin/env bash
# Installs everything gotap needs to build and test on Debian 12, then fetches the third-party Go
# binaries used by the tests (scripts/fetch_npm.sh) and the Go 1.21-1.27 toolchains of the fixture
# matrix (scripts/fetch_go.sh), and builds the OpenTelemetry Collector of the tests
# (scripts/otelcol.sh). Idempotent: when every package is installed
# and the npm cache verifies, it touches neither apt nor the network. Installing needs root.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config
  clang llvm clang-format clang-tidy
  libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libzstd-dev
  libcapstone-dev libcli11-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  golang-1.19-go golang-opentelemetry-otel-dev
  bpftrace delve linux-perf hyperfine librsvg2-bin prometheus
  python3
  nodejs npm
)

die() {
  echo "setup: error: $*" >&2
  exit 1
}

installed() {
  # Some nodejs builds (e.g. NodeSource's) ship npm themselves and conflict with Debian's npm
  # package; asking apt for it would try to replace nodejs, so a working npm command counts.
  if [[ $1 == npm ]] && command -v npm >/dev/null; then
    return 0
  fi
  [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == "ii "* ]]
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} Debian packages present"
else
  echo "setup: installing ${missing[*]}"
  ((EUID == 0)) || die "missing packages (${missing[*]}); run this script as root"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null ||
    die "apt-get install failed for: ${missing[*]}"
  for p in "${missing[@]}"; do
    installed "$p" || die "package $p is still not installed"
  done
fi

[[ -x /usr/lib/go-1.19/bin/go ]] || die "/usr/lib/go-1.19/bin/go not found after install"

"$repo_root/scripts/fetch_npm.sh"
"$repo_root/scripts/fetch_go.sh"
# The OpenTelemetry Collector the serve --otlp tests export to (built once, minutes; then cached).
"$repo_root/scripts/otelcol.sh" setup
echo "setup: done"
