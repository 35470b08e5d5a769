#!/bin/sh
# Check that the dependency picture of docs/layers.md holds: no upward
# arrow and no circle.  Layers, top to bottom:
#   core/cli -> core/lab -> core/pbrl -> core/nn -> core/host -> include/prefrl
# and beside them core/mujoco (libprefrl-mujoco: core/host and include/prefrl
# only; of the layers only core/cli uses it).  A plugin folder
# plugins/<kind>/<name> uses include/prefrl/ alone (env plugins also mjenv.h
# and <mujoco/...>), never core/ and never another plugin.
#  1. includes: every #include of the .c/.h files under core/, plugins/ and
#     include/ is resolved the way the build's -I flags resolve it, and the
#     folder arrow it draws must be allowed; besides, config.h stays out of
#     plugins, mjenv.h and MuJoCo's headers in core/mujoco, core/cli and env
#     plugins, cairo in core/lab and core/cli, FFmpeg in core/lab, and a folder's *_internal.h
#     or *_private.h inside it; include cycles between files (and between
#     folders) fail;
#  2. symbols, when the objects are built: nm of each folder's objects gives
#     the object-level arrows (A uses a symbol B defines); arrows across
#     folders obey the same rules, and a circle of objects inside a folder
#     (A uses B and B uses A, or longer) fails;
#  3. no core/ C file names a plugin component or plugin (string literals,
#     comments left out): core builds components from recipes;
#  4. no plugin fragment (local.mk) builds a file outside its folder, and no
#     core fragment names plugins/;
#  5. libprefrl.so does not link MuJoCo, OSMesa/GL, cairo or FFmpeg,
#     libprefrl-mujoco.so not cairo or FFmpeg, and no plugin links another
#     plugin (nor MuJoCo unless env).
# Prints one line per problem, naming FILE:LINE where there is one; exit
# status 1 if any, 2 if the check itself could not run.
# Usage: scripts/check-layers.sh [--graph]  (abs_top_srcdir /
# abs_top_builddir from `make check`; by default this script's parent and its
# _build/); --graph also prints the folder arrows with their counts of
# includes and of symbols.
# Run by `make check` (tests/local.mk).
set -eu
LC_ALL=C
export LC_ALL
src=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${abs_top_builddir:-$src/_build}
NM=${NM:-nm}
cd "$src" || exit 2
if [ ! -d core ] || [ ! -d include/prefrl ]; then
    echo "check-layers: $src has no core/ and include/prefrl/" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prefrl-layers.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/problems"

# The rules, shared by the include and the symbol checks: folder(path) and
# why(F, G), the reason the arrow F -> G is not allowed ("" when it is).
cat >"$tmp/rules.awk" <<'EOF'
function folder(p,    a) {
    if (p ~ /^core\/[^\/]+\//) { sub(/^core\//, "", p); sub(/\/.*/, "", p); return "core/" p }
    if (p ~ /^plugins\/[^\/]+\/[^\/]+\//) {
        sub(/^plugins\//, "", p); split(p, a, "/"); return "plugins/" a[1] "/" a[2]
    }
    if (p ~ /^include\/prefrl\//) return "include/prefrl"
    sub(/\/.*/, "", p)
    return p
}
function rank(f) {
    if (f == "include/prefrl") return 0
    if (f == "core/host") return 1
    if (f == "core/nn") return 2
    if (f == "core/pbrl") return 3
    if (f == "core/lab") return 4
    if (f == "core/cli") return 5
    return -1
}
function libprefrl(f) { return f == "core/host" || f == "core/nn" || f == "core/pbrl" }
function why(F, G) {
    if (F == G) return ""
    if (F ~ /^plugins\//) {
        if (G ~ /^plugins\//) return "a plugin uses another plugin"
        if (G == "include/prefrl") return ""
        if (G ~ /^core\//) return "a plugin uses core/ (plugins use include/prefrl/ only)"
        return "a plugin uses " G "/"
    }
    if (G ~ /^plugins\//) return "core uses a plugin"
    if (F == "core/mujoco") {
        if (G == "core/host" || G == "include/prefrl") return ""
        return "libprefrl-mujoco uses only core/host and include/prefrl/"
    }
    if (G == "core/mujoco") {
        if (F == "core/cli") return ""
        return "only core/cli uses libprefrl-mujoco (libprefrl must not depend on MuJoCo)"
    }
    if (rank(F) < 0 || rank(G) < 0) return F " -> " G " is no arrow of the layers"
    if (rank(G) > rank(F)) return "upward arrow"
    return ""
}
EOF

# ---- 1. includes --------------------------------------------------------
find core plugins include tests -type f \( -name '*.c' -o -name '*.h' -o -name '*.h.in' \) |
    sort >"$tmp/known"
find core plugins include -type f \( -name '*.c' -o -name '*.h' -o -name '*.h.in' \) |
    sort >"$tmp/scanned"
# one line per include: FILE LINE TARGET SPELLED, TARGET a tree file,
# (config.h), (system) or (unresolved); problems go to problems
# shellcheck disable=SC2046 # the file names have no spaces (find above)
awk -v PROBLEMS="$tmp/problems" -f "$tmp/rules.awk" -f /dev/stdin "$tmp/known" $(cat "$tmp/scanned") >"$tmp/includes" <<'EOF' ||
function norm(p,    n, a, out, k, i) {
    n = split(p, a, "/"); k = 0
    for (i = 1; i <= n; i++) {
        if (a[i] == "." || a[i] == "") continue
        if (a[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
        out[++k] = a[i]
    }
    p = ""
    for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") out[i]
    return p
}
function dirof(f) { if (f !~ /\//) return "."; sub(/\/[^\/]*$/, "", f); return f }
# the build's search order: the including file's folder (quoted form only),
# then -I. -I$(srcdir) -I$(builddir)/include -I$(srcdir)/include
# -I$(srcdir)/core -I$(builddir); config.h and prefrl/version.h are generated
function resolve(file, quoted, name,    c) {
    if (quoted) { c = norm(dirof(file) "/" name); if (c in known) return c }
    if (name == "config.h") return "(config.h)"
    if (name == "prefrl/version.h") return "include/prefrl/version.h.in"
    c = norm(name); if (c in known) return c
    c = norm("include/" name); if (c in known) return c
    c = norm("core/" name); if (c in known) return c
    return quoted ? "(unresolved)" : "(system)"
}
function problem(msg) { print FILENAME ":" FNR ": " msg >> PROBLEMS }
FNR == NR { known[$0] = 1; next }
/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
    s = $0
    sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
    quoted = substr(s, 1, 1) == "\""
    name = substr(s, 2); sub(/[>"].*/, "", name)
    spelled = quoted ? "\"" name "\"" : "<" name ">"
    to = resolve(FILENAME, quoted, name)
    F = folder(FILENAME)
    print FILENAME, FNR, to, spelled
    if (to == "(unresolved)") { problem("#include " spelled ": no such file in the tree"); next }
    if (to == "(config.h)") {
        if (F ~ /^plugins\//)
            problem("#include " spelled ": a plugin includes the build's config.h (plugins build against include/prefrl/ alone)")
        next
    }
    if (to == "(system)") {
        # MuJoCo behind mjenv.h (libprefrl-mujoco, the CLI, env plugins);
        # cairo for the plots (core/lab, core/cli); FFmpeg for the videos (core/lab)
        if (name ~ /^mujoco\// && !(F == "core/mujoco" || F == "core/cli" || F ~ /^plugins\/env\// || FILENAME == "include/prefrl/mjenv.h"))
            problem("#include " spelled ": MuJoCo outside core/mujoco, core/cli and env plugins")
        if (name ~ /^cairo/ && F != "core/lab" && F != "core/cli")
            problem("#include " spelled ": cairo outside core/lab and core/cli")
        # OpenGL / OSMesa only behind libprefrl-mujoco's renderer
        if (name ~ /^GL\// && F != "core/mujoco")
            problem("#include " spelled ": GL/OSMesa outside core/mujoco")
        if (name ~ /^lib(avformat|avcodec|avutil|swscale)\// && F != "core/lab")
            problem("#include " spelled ": FFmpeg outside core/lab")
        next
    }
    G = folder(to)
    r = why(F, G)
    if (r != "") problem("#include " spelled ": " r " (" F " -> " G ")")
    else if (F != G && to ~ /_(internal|private)\.h$/)
        problem("#include " spelled ": another folder's private header (" F " -> " G ")")
    else if (to == "include/prefrl/mjenv.h" && !(F == "core/mujoco" || F == "core/cli" || F ~ /^plugins\/env\//))
        problem("#include " spelled ": libprefrl-mujoco's header outside core/mujoco, core/cli and env plugins")
}
EOF
    { echo "check-layers: reading the includes failed" >&2; exit 2; }
[ -s "$tmp/includes" ] || { echo "check-layers: no #include lines found" >&2; exit 2; }

# include cycles: between files of one folder, and between folders
awk -f "$tmp/rules.awk" -f /dev/stdin "$tmp/includes" >"$tmp/fileedges" <<'EOF'
$3 !~ /^\(/ && $1 != $3 && folder($1) == folder($3) { print $1, $3 }
EOF
awk -f "$tmp/rules.awk" -f /dev/stdin "$tmp/includes" >"$tmp/folderedges" <<'EOF'
$3 !~ /^\(/ && folder($1) != folder($3) { print folder($1), folder($3) }
EOF
# loops(EDGES, WHAT): tsort's loops, one line each, naming the arrows in it
# from DETAILS (lines "FROM TO TEXT...": the include lines or symbols)
loops() {
    sort -u "$1" | tsort >/dev/null 2>"$tmp/tsort" && return 0
    awk -v what="$2" '
    FILENAME == ARGV[1] { d = $1 " " $2; $1 = ""; $2 = ""; sub(/^  /, ""); if (!(d in det)) det[d] = $0; next }
    /input contains a loop:/ { flush(); next }
    { sub(/^tsort: /, ""); m[++n] = $0 }
    END { flush() }
    function flush(    i, j, s, d) {
        if (n == 0) return
        s = what " circle among"
        for (i = 1; i <= n; i++) s = s " " m[i]
        s = s ":"
        for (i = 1; i <= n; i++) for (j = 1; j <= n; j++) {
            d = m[i] " " m[j]
            if (i != j && (d in det)) s = s " [" m[i] " -> " m[j] ": " det[d] "]"
        }
        print s
        n = 0
    }' "$tmp/details" "$tmp/tsort" >>"$tmp/problems"
}
awk '$3 !~ /^\(/ { print $1, $3, $1 ":" $2 " #include " $4 }' "$tmp/includes" >"$tmp/details"
loops "$tmp/fileedges" "include"
awk -f "$tmp/rules.awk" -f /dev/stdin "$tmp/includes" >"$tmp/details" <<'EOF'
$3 !~ /^\(/ && folder($1) != folder($3) { print folder($1), folder($3), $1 ":" $2 " #include " $4 }
EOF
loops "$tmp/folderedges" "folder"

# ---- 2. symbols of the built objects --------------------------------------
# An object is F/.libs/X.o (libtool) or F/X.o (programs), named after its
# source F/S.c with an optional target prefix (libprefrl_lab_la-S.o,
# prefrl-S.o); objects whose source is gone are stale and skipped.
nobj=0
: >"$tmp/defs"
: >"$tmp/uses"
for f in $(find core plugins -name '*.c' -exec dirname {} \; | sort -u); do
    [ -d "$build/$f" ] || continue
    objs=$(find "$build/$f/.libs" -maxdepth 1 -name '*.o' 2>/dev/null)
    [ -n "$objs" ] || objs=$(find "$build/$f" -maxdepth 1 -name '*.o')
    for o in $objs; do
        b=$(basename "$o" .o)
        while [ ! -f "$f/$b.c" ] && [ "$b" != "${b#*-}" ]; do b=${b#*-}; done
        [ -f "$f/$b.c" ] || continue
        nobj=$((nobj + 1))
        # $NM may carry options ("nm -B" from configure)
        # shellcheck disable=SC2086
        if ! $NM -P -g --defined-only "$o" >"$tmp/nm-defs" || ! $NM -P -u "$o" >"$tmp/nm-uses"; then
            echo "check-layers: $NM failed on $o" >&2
            exit 2
        fi
        awk -v s="$f/$b.c" '{ print $1, s }' "$tmp/nm-defs" >>"$tmp/defs"
        awk -v s="$f/$b.c" '{ print s, $1 }' "$tmp/nm-uses" >>"$tmp/uses"
    done
done
if [ "$nobj" -gt 0 ]; then
    # USER DEFINER SYMBOL, the definer in the user's own folder when two define it
    awk -f "$tmp/rules.awk" -f /dev/stdin "$tmp/defs" "$tmp/uses" >"$tmp/symedges" <<'EOF'
FILENAME == ARGV[1] {
    if (!($1 in def) || folder(def[$1]) != folder($2)) def[$1] = $2
    all[$1] = all[$1] " " $2
    next
}
($2 in def) {
    d = def[$2]
    if (folder(d) != folder($1)) {
        n = split(all[$2], c, " ")
        for (i = 1; i <= n; i++) if (folder(c[i]) == folder($1)) d = c[i]
    }
    if (d != $1) print $1, d, $2
}
EOF
    # plugins reach libprefrl (and env plugins libprefrl-mujoco) through
    # the shared library: its exported surface is checked by check_exports.sh
    awk -f "$tmp/rules.awk" -f /dev/stdin "$tmp/symedges" >>"$tmp/problems" <<'EOF'
{
    F = folder($1); G = folder($2)
    if (F ~ /^plugins\// && (libprefrl(G) || (G == "core/mujoco" && F ~ /^plugins\/env\//))) next
    r = why(F, G)
    if (r != "" && !seen[$1 " " $2]++) print $1 ": uses " $3 " of " $2 ": " r " (" F " -> " G ")"
}
EOF
    awk -f "$tmp/rules.awk" -f /dev/stdin "$tmp/symedges" >"$tmp/objedges" <<'EOF'
folder($1) == folder($2) && !seen[$1 " " $2]++ { print $1, $2 }
EOF
    awk '{ k = $1 " " $2; if (!(k in s)) order[++n] = k; s[k] = s[k] (s[k] == "" ? "" : ",") $3 }
         END { for (i = 1; i <= n; i++) print order[i], "uses " s[order[i]] }' \
        "$tmp/symedges" >"$tmp/details"
    loops "$tmp/objedges" "call"
else
    echo "check-layers: no objects under $build: symbol checks skipped"
fi

# ---- 3. plugin component names in core/ -----------------------------------
# component names from `prefrl plugins` when it is built, and the literal
# names of the plugin sources (.name = "..." and the plugin names)
{
    if [ -x "$build/prefrl" ]; then
        "$build/prefrl" plugins 2>/dev/null | awk '/^  [^ ]/ { print $1 }'
    fi
    find plugins -name '*.c' -exec sed -n \
        -e 's/.*\.name[ \t]*=[ \t]*"\([^"]*\)".*/\1/p' \
        -e 's/.*PREFRL_PLUGIN_DEFINE("\([^"]*\)".*/\1/p' {} +
} | sort -u >"$tmp/names"
if [ ! -s "$tmp/names" ]; then
    echo "check-layers: no plugin component names found" >>"$tmp/problems"
fi
# FILE LINE LITERAL for each string literal of core/ C code, comments and
# character constants skipped
# shellcheck disable=SC2016 # an awk program, not shell
find core -name '*.[ch]' | sort | xargs awk '
FNR == 1 { incomment = 0 }
{
    s = $0; i = 1; n = length(s)
    while (i <= n) {
        c = substr(s, i, 1); c2 = substr(s, i, 2)
        if (incomment) { if (c2 == "*/") { incomment = 0; i += 2 } else i++; continue }
        if (c2 == "/*") { incomment = 1; i += 2; continue }
        if (c2 == "//") break
        if (c == "\"" || c == "\047") {
            q = c; lit = ""; i++
            while (i <= n && substr(s, i, 1) != q) {
                if (substr(s, i, 1) == "\\") { lit = lit substr(s, i, 2); i += 2 }
                else { lit = lit substr(s, i, 1); i++ }
            }
            i++
            if (q == "\"") print FILENAME, FNR, lit
            continue
        }
        i++
    }
}' >"$tmp/literals"
# the YAML boolean spellings share their text with the "true" reward
awk 'FILENAME == ARGV[1] { name[$0] = 1; next }
     $1 == "core/host/schema.c" && $3 == "true" { next }
     NF == 3 && ($3 in name) {
         print $1 ":" $2 ": \"" $3 "\": core names a plugin component (build it from a recipe through the registry)"
     }' "$tmp/names" "$tmp/literals" >>"$tmp/problems"

# ---- 4. build fragments ---------------------------------------------------
for mk in plugins/*/*/local.mk; do
    [ -f "$mk" ] || continue
    awk -v own="${mk%/local.mk}/" '
    { sub(/#.*/, "") }
    {
        for (i = 1; i <= NF; i++) {
            w = $i
            if (w ~ /^(core|plugins)\/.*\.(c|h)$/ && index(w, own) != 1)
                print FILENAME ":" FNR ": " w ": a plugin fragment builds a file outside its folder"
        }
    }' "$mk" >>"$tmp/problems"
done
for mk in core/*/*.mk; do
    awk '{ sub(/#.*/, "") } /plugins\// { print FILENAME ":" FNR ": a core fragment names plugins/" }' \
        "$mk" >>"$tmp/problems"
done

# ---- 5. what the shared objects link --------------------------------------
needed() {
    if command -v objdump >/dev/null 2>&1; then
        objdump -p "$1" | awk '$1 == "NEEDED" { print $2 }'
    else
        readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
    fi
}
if [ -f "$build/.libs/libprefrl.so" ]; then
    needed "$build/.libs/libprefrl.so" | grep -i -e mujoco -e cairo -e osmesa -e '^libgl\.' -e '^libopengl' -e libav -e libswscale |
        sed 's/^/libprefrl.so: links /; s/$/ (libprefrl must not depend on MuJoCo, GL, cairo or FFmpeg)/' \
            >>"$tmp/problems"
    if [ -f "$build/.libs/libprefrl-mujoco.so" ]; then
        needed "$build/.libs/libprefrl-mujoco.so" | grep -i -e cairo -e libav -e libswscale |
            sed 's/^/libprefrl-mujoco.so: links /' >>"$tmp/problems"
    fi
    for so in "$build"/plugins/*/*/.libs/*.so; do
        [ -f "$so" ] || continue
        rel=${so#"$build"/}
        case $rel in plugins/env/*) env=1 ;; *) env=0 ;; esac
        needed "$so" | awk -v so="$rel" -v env="$env" '
            /^prefrl-/ { print so ": links the plugin " $0 }
            !env && /mujoco/ { print so ": links " $0 " (only env plugins use MuJoCo)" }
            /cairo|libav|libswscale/ { print so ": links " $0 }' >>"$tmp/problems"
    done
else
    echo "check-layers: $build/.libs/libprefrl.so not built: link checks skipped"
fi

if [ "${1:-}" = "--graph" ]; then
    echo "folder arrows (includes, symbols):"
    # shellcheck disable=SC2016 # awk programs
    echo '$3 !~ /^\(/ && folder($1) != folder($3) { print folder($1), folder($3), "i" }' >"$tmp/g1.awk"
    # shellcheck disable=SC2016
    echo 'folder($1) != folder($2) { print folder($1), folder($2), "s" }' >"$tmp/g2.awk"
    : >>"$tmp/symedges"
    {
        awk -f "$tmp/rules.awk" -f "$tmp/g1.awk" "$tmp/includes"
        awk -f "$tmp/rules.awk" -f "$tmp/g2.awk" "$tmp/symedges"
    } | awk '{ k = $1 " -> " $2; if (!(k in i)) order[++n] = k; i[k] += $3 == "i"; s[k] += $3 == "s" }
             END { for (j = 1; j <= n; j++) printf "  %-40s %4d %4d\n", order[j], i[order[j]], s[order[j]] }' |
        sort
fi

nf=$(wc -l <"$tmp/scanned")
ni=$(awk '$3 !~ /^\(/' "$tmp/includes" | wc -l)
nfold=$(sort -u "$tmp/folderedges" | wc -l)
nsym=0
[ -f "$tmp/symedges" ] && nsym=$(awk '{ print $1, $2 }' "$tmp/symedges" | sort -u | wc -l)
echo "check-layers: $nf files, $ni includes in the tree, $nfold folder arrows;" \
    "$nobj objects, $nsym object arrows; $(wc -l <"$tmp/names") component names"
if [ -s "$tmp/problems" ]; then
    cat "$tmp/problems"
    exit 1
fi
echo "check-layers: no upward arrows, no circles"
exit 0
