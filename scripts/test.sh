#!/bin/sh
# Set everything up (Debian packages, build) and run the test suite.
# Usage: scripts/test.sh            (make check)
#        scripts/test.sh --sanitize (also the suite under ASan+UBSan in _build-san/)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
# Slurm (slurm-wlm, munge) for check_slurm's one-node cluster: installed when
# missing; if that is impossible (not root) check_slurm says SKIP and why
"$top/scripts/slurm-cluster.sh" install || [ $? -eq 77 ]
# Packages only the tests use: the browser test (tests/plugins/teacher/human/
# browser.sh) drives Debian's Chromium through chromedriver and Selenium (for
# /usr/bin/python3).  Installed when missing; if that fails the test says so
# and skips, the rest of the suite still runs.
"$top/scripts/install-packages.sh" "prefrl test" chromium chromium-driver python3-selenium ||
    echo "prefrl test: warning: the browser test will skip" >&2
cd "$top/_build"
status=0
make -s -j"$(nproc)" check || status=$?
# each Check program's summary line, then the total: the logs sit beside the
# programs (tests/core/, tests/core/<layer>/, tests/plugins/<kind>/<name>/)
find tests -name '*.log' | sort | while read -r log; do
    grep -h -E '^[0-9]+%: Checks' "$log" | sed "s|^|$log: |"
done | awk '{ print; n += $4 } END { print "checks: " n + 0 }'
if [ $status -ne 0 ]; then
    cat test-suite.log 2>/dev/null || true
    exit $status
fi
if [ "${1:-}" = "--sanitize" ]; then
    mkdir -p "$top/_build-san"
    cd "$top/_build-san"
    [ -f Makefile ] || ../configure -q --enable-silent-rules --enable-sanitizers
    ASAN_OPTIONS=detect_leaks=1 make -s -j"$(nproc)" check || { cat test-suite.log; exit 1; }
fi
