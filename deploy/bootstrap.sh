#!/bin/sh
# bootstrap.sh - install every Debian package that irbus's build, tests and
# demo need, on a fresh Debian 12 machine. Idempotent: packages already
# installed are left alone and the package index is refreshed only when
# something is missing. Runs as root, or through sudo.
set -eu

PACKAGES="
build-essential
cmake
pkg-config
libzmq3-dev
libsodium-dev
liblmdb-dev
lmdb-utils
libmsgpack-dev
libjansson-dev
clang
libclang-rt-14-dev
libhiredis-dev
libnats-dev
libmosquitto-dev
redis-server
nats-server
mosquitto
strace
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "bootstrap: all packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "bootstrap: missing packages:$missing; run this script as root or install sudo" >&2
    exit 1
fi
echo "bootstrap: installing$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
