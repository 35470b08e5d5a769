#!/bin/sh
# An installed prefrl stands on its own.  `make install` of this build tree
# into a temporary DESTDIR, then:
#  - no installed file names the build or the source tree (outside the
#    install prefix itself, which `make distcheck` puts under the sources);
#  - the installed prefrl, with the environment cleared of everything that
#    points at the build tree, lists the plugins of the installed plugin
#    directory (and only those) and checks an installed recipe.
# With --installed (make installcheck), the prefix given by `make` is already
# installed: no DESTDIR, and prefrl runs with no PREFRL_* variable at all, so
# the directories compiled into it are what it searches.
# Run by `make check` with abs_top_srcdir, abs_top_builddir and MAKE set.
set -eu
: "${abs_top_srcdir:?}" "${abs_top_builddir:?}"
# as the compiler saw them: without "..", so that the search below matches
abs_top_srcdir=$(cd "$abs_top_srcdir" && pwd)
abs_top_builddir=$(cd "$abs_top_builddir" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prefrl-install.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

if [ "${1:-}" = --installed ]; then
    dest=
    prefix=${2:?usage: check_install.sh --installed PREFIX}
else
    dest=$tmp/root
    # a fresh make: no -j jobserver or variables of the `make check` above
    MAKEFLAGS= MFLAGS= ${MAKE:-make} -s -C "$abs_top_builddir" install DESTDIR="$dest" \
        >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }
    pc=$(find "$dest" -name prefrl.pc -path '*/pkgconfig/*')
    [ -n "$pc" ] || fail "no prefrl.pc installed"
    prefix=$(sed -n 's/^prefix=//p' "$pc")
fi
root=$dest$prefix
pc=$(find "$root" -name prefrl.pc -path '*/pkgconfig/*')
libdir=$(dirname "$(dirname "$pc")")
plugindir=$libdir/prefrl/plugins
bindir=$root/bin
configdir=$root/share/prefrl/configs
for f in "$bindir/prefrl" "$libdir/libprefrl.so" "$libdir/libprefrl-mujoco.so" \
    "$configdir/quickstart.yaml" "$root/include/prefrl/prefrl.h"; do
    [ -e "$f" ] || fail "$f not installed"
done
nplugins=$(find "$plugindir" -name 'prefrl-*.so' | wc -l)
[ "$nplugins" -gt 0 ] || fail "no plugin in $plugindir"
echo "installed under $root: $nplugins plugins"

# 1. no path of the build or source tree in any installed file (the install
#    paths themselves are compiled in, and may lie under the sources)
find "$root" -type f | while read -r f; do
    strings -a "$f" | grep -v -F "$prefix" |
        grep -F -e "$abs_top_builddir" -e "$abs_top_srcdir" | sed "s|^|$f: |" || true
done >"$tmp/paths"
if [ -s "$tmp/paths" ]; then
    head -20 "$tmp/paths"
    fail "installed files name the build or source tree"
fi
echo "no installed file names $abs_top_builddir or $abs_top_srcdir"

# 2. the installed program, with nothing pointing at the build tree: under
#    DESTDIR the compiled-in directories do not exist yet, so the plugin and
#    model paths name the installed copies (searched the same way)
unset PREFRL_PLUGIN_PATH PREFRL_MODEL_PATH PREFRL_CONFIG_DIR LD_LIBRARY_PATH
if [ -n "$dest" ]; then
    set -- env LD_LIBRARY_PATH="$libdir" PREFRL_PLUGIN_PATH="$plugindir" \
        PREFRL_MODEL_PATH="$root/share/prefrl/models" PREFRL_CONFIG_DIR="$configdir"
else
    set -- env
fi
cd "$tmp"
"$@" "$bindir/prefrl" plugins -v >"$tmp/plugins.txt" 2>&1 ||
    { cat "$tmp/plugins.txt"; fail "prefrl plugins"; }
cat "$tmp/plugins.txt"
! grep -q "(none installed)" "$tmp/plugins.txt" || fail "a kind has no component"
from=$(sed -n 's/^ *from //p' "$tmp/plugins.txt")
[ -n "$from" ] || fail "prefrl plugins -v names no plugin file"
echo "$from" | while read -r f; do
    case "$f" in
    "$plugindir"/*) ;;
    *) echo "component loaded from $f, outside $plugindir"; exit 1 ;;
    esac
done || fail "components from outside the installed plugin directory"
"$@" "$bindir/prefrl" check "$configdir/quickstart.yaml" >"$tmp/check.txt" 2>&1 ||
    { cat "$tmp/check.txt"; fail "prefrl check of the installed quickstart recipe"; }
echo "prefrl check $configdir/quickstart.yaml: ok"
