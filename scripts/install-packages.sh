#!/bin/sh
# Install the Debian packages among PACKAGE... that are missing (apt-get,
# quietly; `apt-get update` first only if the plain install fails).
# Usage: scripts/install-packages.sh WHO PACKAGE...
# WHO prefixes the messages ("prefrl setup", "slurm-cluster", ...).
# Exit status: 0 when every package is installed; 77 when some are missing
# and cannot be installed here (not root, no apt-get, or apt-get failed),
# with the reason on stderr; the caller decides whether that is fatal.
set -eu
who=$1
shift
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$who: Debian packages$missing are missing and cannot be installed here" \
         "(needs root and apt-get)" >&2
    exit 77
fi
echo "$who: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -q $missing >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing >/dev/null 2>&1; }; then
    exit 0
fi
echo "$who: apt-get could not install$missing" >&2
exit 77
