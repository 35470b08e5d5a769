#!/bin/sh
# The labelling page in a real browser: runs browser.py (its docstring says
# what it asserts) with Debian's /usr/bin/python3, Selenium, Chromium and
# chromedriver, which scripts/test.sh installs.  Skips (77) with the reason
# when one of them is missing; anything else is the test's own verdict.
# Run by `make check` with abs_top_srcdir and abs_top_builddir set.
set -eu
: "${abs_top_srcdir:?}" "${abs_top_builddir:?}"
need="install them with: apt-get install chromium chromium-driver python3-selenium (scripts/test.sh does)"
for f in /usr/bin/python3 /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$f" ] || { echo "browser: SKIP: $f is missing; $need"; exit 77; }
done
# Debian's python3-selenium is for Debian's python3, not a python3 earlier on PATH
/usr/bin/python3 -c 'import selenium' 2>/dev/null ||
    { echo "browser: SKIP: /usr/bin/python3 cannot import selenium; $need"; exit 77; }
exec /usr/bin/python3 "$abs_top_srcdir/tests/plugins/teacher/human/browser.py"
