#!/bin/sh
# A reward learner written outside the tree: install this build into a
# scratch prefix (make install DESTDIR=...), compile docs/examples/my_reward.c
# against it with nothing but `pkg-config --cflags --libs prefrl`, and train
# it for a few hundred steps with the installed `prefrl run`.  Passes when
# the run finishes ("done") and wrote its CSVs.  The environment is the test
# fixture's reach task (built by make check), so no MuJoCo model is needed.
set -eu
top_builddir=$(pwd)
top_srcdir=$(cd "${srcdir:-.}" && pwd)
fixtures="$top_builddir/tests/common/fixtures/.libs"
[ -f "$fixtures/prefrl-fixture-pbrl.so" ] || { echo "outoftree: build the fixtures first (make check)"; exit 99; }
command -v pkg-config >/dev/null || { echo "outoftree: no pkg-config"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prefrl-outoftree-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"

# 1. install into the scratch prefix
${MAKE:-make} -s -C "$top_builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; echo "outoftree: make install failed"; exit 1; }
pc=$(find "$root" -name prefrl.pc | head -n 1)
prefrl=$(find "$root" -path '*/bin/prefrl' | head -n 1)
[ -n "$pc" ] && [ -n "$prefrl" ] || { echo "outoftree: no prefrl.pc or bin/prefrl installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")

# 2. compile the example against the installed headers and library only
export PKG_CONFIG_PATH="$(dirname "$pc")"
if [ ! -f "$(pkg-config --variable=includedir prefrl)/prefrl/reward_model.h" ]; then
    # a prefix fixed at configure time: point the scratch copy of prefrl.pc
    # at the scratch root, as an install with --prefix there would have it
    sed "s|^prefix=|prefix=$root|" "$pc" >"$tmp/prefrl.pc" && cp "$tmp/prefrl.pc" "$pc"
fi
mkdir "$tmp/plugins"
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC \
    -fvisibility=hidden "$top_srcdir/docs/examples/my_reward.c" \
    -o "$tmp/plugins/prefrl-reward-my_reward.so" $(pkg-config --cflags --libs prefrl)

# 3. train it with the installed program: its plugins, ours, the fixture env
plugindir=$(dirname "$(find "$root" -name 'prefrl-reward-pebble.so' | head -n 1)")
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir "$tmp/fixture"
cp "$fixtures/prefrl-fixture-pbrl.so" "$tmp/fixture/"
export PREFRL_PLUGIN_PATH="$tmp/plugins:$plugindir:$tmp/fixture"
"$prefrl" plugins | grep -q "my_reward" || { "$prefrl" plugins; echo "outoftree: my_reward not listed"; exit 1; }
"$prefrl" run "$top_srcdir/docs/examples/tiny.yaml" out_dir="$tmp/runs" >"$tmp/run.log" 2>&1 ||
    { cat "$tmp/run.log"; echo "outoftree: the run failed"; exit 1; }

run="$tmp/runs/my_reward"
[ "$(cat "$run/status")" = done ] || { cat "$tmp/run.log"; echo "outoftree: status $(cat "$run/status")"; exit 1; }
for f in train.csv eval.csv reward.csv labels.csv; do
    [ "$(wc -l <"$run/$f")" -ge 2 ] || { echo "outoftree: $f has no row"; exit 1; }
done
head -n 1 "$run/reward.csv" | grep -q accuracy || { echo "outoftree: reward.csv lacks my_reward's columns"; exit 1; }
echo "outoftree: my_reward built against $(pkg-config --modversion prefrl) and trained: $(tail -n 1 "$run/eval.csv")"
