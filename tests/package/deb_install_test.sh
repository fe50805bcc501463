#!/usr/bin/env bash
# Builds the gotap .deb from a complete build, installs it for real, checks what a user gets
# (/usr/bin/gotap --help, man gotap, the bash completion, the systemd unit), then purges it:
#   deb_install_test.sh BUILD_DIR
# Needs root and dpkg (exit 77, a skip for ctest, otherwise). The machine is left as it was:
# a gotap package left installed by a killed run is purged first, the package is purged on
# every exit, and a /usr/bin/gotap that no package owns is never overwritten. Runs of this test
# from different build directories take turns (flock); other tests use BUILD_DIR/gotap and are
# not affected. The .deb is built by cpack in a private directory (no ninja run here).
set -u
build=${1:?usage: deb_install_test.sh BUILD_DIR}
build=$(cd "$build" && pwd) || exit 1
here=$(cd "$(dirname "$0")" && pwd)
pkg=gotap
lock=/run/lock/gotap-package-test.lock
started=$(date +%s)

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
note() { echo "deb_install_test: $*"; }

if [[ $(id -u) != 0 ]]; then
    echo "SKIP: needs root to install a package" >&2
    exit 77
fi
for tool in dpkg dpkg-deb dpkg-query cpack flock; do
    command -v "$tool" >/dev/null || { echo "SKIP: no $tool" >&2; exit 77; }
done
[[ -f $build/CPackConfig.cmake ]] || fail "no $build/CPackConfig.cmake: configure the build first"

exec 9>"$lock" || fail "cannot open $lock"
flock -w 600 9 || fail "another package test held $lock for 10 minutes"
rm -rf /tmp/gotap-deb-test.*  # a killed run's; under the lock no other run has one

installed() { dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qv '^not-installed$'; }
purge() {
    if installed; then
        dpkg --purge "$pkg" >/dev/null || echo "deb_install_test: dpkg --purge $pkg failed" >&2
    fi
}

# What a killed run left behind.
if installed; then
    note "purging a $pkg package left installed ($(dpkg-query -W -f='${Version}' $pkg))"
    purge
    installed && fail "could not purge the leftover $pkg package"
fi
for f in /usr/bin/gotap /usr/share/man/man1/gotap.1.gz /usr/share/bash-completion/completions/gotap \
    /usr/lib/systemd/system/gotap-serve.service; do
    [[ -e $f ]] && fail "$f exists and no package owns it: not overwriting it (remove it first)"
done

tmp=$(mktemp -d /tmp/gotap-deb-test.XXXXXX) || fail "mktemp"
trap 'purge; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# 1. The .deb, from what the build made (gotap, man/gotap.1.gz).
[[ -x $build/gotap ]] || fail "no $build/gotap: build first (ninja -C $build)"
[[ -f $build/man/gotap.1.gz ]] ||
    fail "no man page $build/man/gotap.1.gz: build first (ninja -C $build gotap_manpage)"
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp" >"$tmp/cpack.log" 2>&1; then
    cat "$tmp/cpack.log" >&2
    fail "cpack could not build the .deb (is the build complete? ninja -C $build)"
fi
deb=$(find "$tmp" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
[[ -n $deb ]] || { cat "$tmp/cpack.log" >&2; fail "cpack made no ${pkg}_*.deb"; }
note "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# 2. Its metadata.
info=$(dpkg-deb --field "$deb") || fail "dpkg-deb --field $deb"
for field in Package Version Architecture Maintainer Depends Section Description; do
    grep -q "^$field: ." <<<"$info" || fail "the .deb has no $field field"
done
grep -qx "Package: $pkg" <<<"$info" || fail "package name is not $pkg"
grep -qx "Section: utils" <<<"$info" || fail "section is not utils"
grep -q "^Depends:.*libc6" <<<"$info" || fail "Depends was not computed (no libc6): $info"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/gotap ./usr/share/man/man1/gotap.1.gz ./usr/share/bash-completion/completions/gotap \
    ./usr/share/doc/gotap/README.md ./usr/lib/systemd/system/gotap-serve.service; do
    grep -q " $f\$" <<<"$contents" || fail "the .deb does not contain $f"
done

# 3. Installed for real.
dpkg --install "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg --install failed"; }
installed || fail "dpkg says $pkg is not installed after dpkg --install"

out=$(/usr/bin/gotap --help 2>&1) || fail "/usr/bin/gotap --help exited $?: $out"
grep -q "^Subcommands:" <<<"$out" || fail "/usr/bin/gotap --help lists no subcommands: $out"
/usr/bin/gotap trace --help >/dev/null 2>&1 || fail "/usr/bin/gotap trace --help failed"
if command -v ldd >/dev/null && ldd /usr/bin/gotap | grep -q 'not found'; then
    fail "/usr/bin/gotap misses libraries: $(ldd /usr/bin/gotap | grep 'not found')"
fi

if command -v man >/dev/null; then
    page=$(man -w gotap 2>&1) || fail "man -w gotap: $page"
    [[ $page == /usr/share/man/man1/gotap.1.gz ]] || fail "man -w gotap gives $page"
    rendered=$(MANWIDTH=80 man -P cat gotap 2>&1) || fail "man gotap failed: $rendered"
    for section in NAME SYNOPSIS DESCRIPTION SUBCOMMANDS "EXIT STATUS"; do
        grep -q "^$section" <<<"$rendered" || fail "man gotap has no $section section"
    done
    for sub in $(/usr/bin/gotap --help | awk '/^Subcommands:/{s=1; next} /^$/{s=0} s{print $1}'); do
        grep -q "^   $sub\$" <<<"$rendered" || fail "man gotap does not describe '$sub'"
    done
else
    [[ -f /usr/share/man/man1/gotap.1.gz ]] || fail "no /usr/share/man/man1/gotap.1.gz"
    note "no man(1) here: checked that the page is installed only"
fi
if command -v groff >/dev/null; then
    warnings=$(zcat /usr/share/man/man1/gotap.1.gz | groff -man -Tutf8 -ww -z 2>&1)
    [[ -z $warnings ]] || fail "groff warns about the man page: $warnings"
fi

completion=/usr/share/bash-completion/completions/gotap
[[ -f $completion ]] || fail "no bash completion at $completion"
"$here/completion_test.sh" /usr/bin/gotap "$completion" || fail "the installed completion is off"

unit=/usr/lib/systemd/system/gotap-serve.service
[[ -f $unit ]] || fail "no systemd unit at $unit"
if command -v systemd-analyze >/dev/null; then
    verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $verify"
    [[ -z $verify ]] || fail "systemd-analyze verify $unit: $verify"
fi

# 4. Removed: nothing of it left.
dpkg --purge "$pkg" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg --purge failed"; }
installed && fail "$pkg still installed after dpkg --purge"
for f in /usr/bin/gotap /usr/share/man/man1/gotap.1.gz "$completion" "$unit"; do
    [[ -e $f ]] && fail "$f left behind after dpkg --purge"
done
note "ok: built, installed, checked and purged in $(($(date +%s) - started)) s"
