#!/bin/sh
# run.sh - set up and run irbus's main job on a fresh Debian 12 machine:
# install dependencies, build, and walk through the command-line client:
# create two identities and show their fingerprints.
set -eu
cd "$(dirname "$0")/.."
sh deploy/bootstrap.sh
cmake -S . -B build -DIRBUS_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
irbus=build/client/irbus
demo=${IRBUS_DEMO_DIR:-var/demo}
mkdir -p "$demo"
for who in coordinator analyst; do
    if [ ! -f "$demo/$who" ]; then
        echo "\$ irbus keygen --out $demo/$who --comment $who"
        "$irbus" keygen --out "$demo/$who" --comment "$who"
    fi
    echo "\$ irbus key show $demo/$who.pub"
    "$irbus" key show "$demo/$who.pub"
done
