#!/bin/sh
# run_demo.sh DEMO_SH IRBUS IRBUSD DEMO_DIR - run deploy/demo.sh on the
# given binaries, in DEMO_DIR (kept after the run for inspection), with the
# broker on an ipc:// endpoint in a fresh temporary directory (short, so it
# fits a socket path, and private to this run).
set -eu
[ $# -eq 4 ] || { echo "usage: run_demo.sh DEMO_SH IRBUS IRBUSD DEMO_DIR" >&2; exit 64; }
sock_dir=$(mktemp -d "${TMPDIR:-/tmp}/irb-demo-XXXXXX")
trap 'rm -rf "$sock_dir"' EXIT
IRBUS=$2 IRBUSD=$3 IRBUS_DEMO_DIR=$4 IRBUS_DEMO_ENDPOINT="ipc://$sock_dir/irbusd.sock" sh "$1"
