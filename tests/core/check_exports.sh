#!/bin/sh
# The exported surface of the installed libraries is include/prefrl/: every
# dynamic symbol libprefrl and libprefrl-mujoco define must be a prefrl_
# function that a public header declares with PREFRL_API, and every such
# declaration must be exported by one of them (a definition that does not see
# its PREFRL_API declaration is hidden, and plugins could not link it).
# Run by `make check` with abs_top_srcdir, abs_top_builddir and NM set.
set -eu
: "${abs_top_srcdir:?}" "${abs_top_builddir:?}"
NM=${NM:-nm}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prefrl-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# declared: the identifier before the '(' of each PREFRL_API declaration
# (declarations start at column 0 and name the function on their first line)
for h in "$abs_top_srcdir"/include/prefrl/*.h; do
    sed -n 's/^PREFRL_API[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$h"
done | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || { echo "no PREFRL_API declarations found"; exit 1; }

status=0
: >"$tmp/exported"
for lib in libprefrl libprefrl-mujoco; do
    so="$abs_top_builddir/.libs/$lib.so"
    [ -f "$so" ] || { echo "$so not built"; exit 1; }
    # defined dynamic symbols, less the ones the linker itself adds
    $NM -D --defined-only "$so" | awk '{print $NF}' |
        grep -v -x -e _init -e _fini -e _edata -e _end -e __bss_start | sort -u >"$tmp/$lib"
    n=$(wc -l <"$tmp/$lib")
    echo "$lib.so: $n exported symbols"
    unprefixed=$(grep -v '^prefrl_' "$tmp/$lib" || true)
    if [ -n "$unprefixed" ]; then
        echo "$lib.so exports symbols without the prefrl_ prefix:"
        echo "$unprefixed" | sed 's/^/  /'
        status=1
    fi
    undeclared=$(comm -23 "$tmp/$lib" "$tmp/declared")
    if [ -n "$undeclared" ]; then
        echo "$lib.so exports symbols no public header declares with PREFRL_API:"
        echo "$undeclared" | sed 's/^/  /'
        status=1
    fi
    cat "$tmp/$lib" >>"$tmp/exported"
done
sort -u "$tmp/exported" -o "$tmp/exported"
missing=$(comm -13 "$tmp/exported" "$tmp/declared")
if [ -n "$missing" ]; then
    echo "declared PREFRL_API in include/prefrl/ but not exported by either library:"
    echo "$missing" | sed 's/^/  /'
    status=1
fi
echo "$(wc -l <"$tmp/declared") public functions declared"
exit $status
