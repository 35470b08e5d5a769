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
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "prefrl setup: installing Debian packages:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "prefrl setup: need root to install packages (run as root or with sudo)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q $missing >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
fi

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
