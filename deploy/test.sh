#!/bin/sh
# test.sh - set up and run the whole irbus test suite on a fresh Debian 12
# machine: install dependencies, configure, build, run ctest.
#
# Environment (all optional):
#   BUILD_DIR        build directory (default: build)
#   IRBUS_WERROR     ON to treat warnings as errors (default: ON)
#   IRBUS_SANITIZE   none | address,undefined | thread (default: none)
#   CTEST_ARGS       extra arguments for ctest, e.g. "-L unit"
set -eu
cd "$(dirname "$0")/.."
sh deploy/bootstrap.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DIRBUS_BUILD_TESTS=ON -DIRBUS_WERROR="${IRBUS_WERROR:-ON}" \
    -DIRBUS_SANITIZE="${IRBUS_SANITIZE:-none}"
cmake --build "$build" -j "$(nproc)"
if [ "${IRBUS_SANITIZE:-none}" = thread ]; then
    # libzmq, libsodium and LMDB are not built with TSan: what they touch is
    # not tracked (ignore_noninstrumented_modules; without it every message
    # costs a symbolised report that a suppression then hides, some 20 times
    # slower), and tests/tsan.supp names the rest.
    TSAN_OPTIONS="ignore_noninstrumented_modules=1 suppressions=$(pwd)/tests/tsan.supp ${TSAN_OPTIONS:-}"
    export TSAN_OPTIONS
fi
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j 2 ${CTEST_ARGS:-}
