#!/bin/sh
# Install the Debian packages prefrl needs (when missing) and build it in
# _build/.  Idempotent: a second run with everything in place only runs make.
# Usage: scripts/setup.sh [configure arguments]
# Arguments (re)configure _build/ with them, e.g. an install prefix:
#   scripts/setup.sh --prefix=/opt/prefrl && make -C _build install
# Without arguments the arguments of the last configure are kept.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packages="gcc make autoconf automake libtool pkg-config libmujoco-dev libyaml-dev \
libopenblas-dev libglib2.0-dev libcairo2-dev libosmesa6-dev libavformat-dev libavcodec-dev \
libswscale-dev libavutil-dev libmicrohttpd-dev libdnnl-dev check"
"$top/scripts/install-packages.sh" "prefrl setup" $packages || {
    echo "prefrl setup: cannot continue without them (run as root on Debian 12)" >&2
    exit 1
}

scripts/autogen.sh
mkdir -p _build
cd _build
if [ $# -gt 0 ] || [ ! -f config.status ]; then
    ../configure -q --enable-silent-rules "$@"
elif [ ../configure -nt config.status ]; then
    ./config.status --recheck >/dev/null
    ./config.status -q
fi
make -s -j"$(nproc)"
