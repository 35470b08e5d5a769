#!/bin/sh
# Set everything up (Debian packages, build) and run the default recipe.
# Usage: scripts/quickstart.sh [section.key=value ...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
cd "$top"
prefrl=_build/prefrl
$prefrl --version
$prefrl plugins
$prefrl check configs/quickstart.yaml "$@"
$prefrl run configs/quickstart.yaml --force "$@"
