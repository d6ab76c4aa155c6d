#!/bin/sh
# run.sh - set up and run irbus's main job on a fresh Debian 12 machine:
# install dependencies, build irbusd and the irbus CLI, then start irbusd on
# its embedded defaults and play a short incident against it with the CLI
# (deploy/demo.sh): roster, incident, parties and SPOCs, a status update, a
# TLP:AMBER finding, a NIS2 early warning, live delivery, history, a
# receipt, a restart with recovery. The broker is stopped at the end.
#
# Environment (all optional):
#   BUILD_DIR       build directory (default: build)
#   IRBUS_DEMO_DIR  the demo's directory, wiped and re-created on each run
#                   (default: var/demo, which git ignores)
#   IRBUS_DEMO_ENDPOINT
#                   where irbusd listens (default: its own, tcp://127.0.0.1:7400)
set -eu
cd "$(dirname "$0")/.."
sh deploy/bootstrap.sh
build=${BUILD_DIR:-build}
echo "run: building irbusd and irbus in $build"
cmake -S . -B "$build" -DIRBUS_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
IRBUS="$build/client/irbus" IRBUSD="$build/broker/irbusd" exec sh deploy/demo.sh
