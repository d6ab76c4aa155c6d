#!/bin/bash
# run.sh - irbus side by side with Redis streams, NATS JetStream and
# Mosquitto (tests/bench/README.md). Installs the peers from Debian if they
# are missing, starts each broker on loopback with a fresh data directory
# under one work directory (so every system writes to the same
# filesystem), runs the workload matrix with one load generator, stops the
# brokers, and writes into the output directory:
#   machine.csv   CPU, kernel, filesystem, fsync probe before and after
#   ceiling.csv   irbus's ceiling on this machine (crypto costs, LMDB commits)
#   results.csv   one line per cell (loadgen's columns)
#   fsync.csv     fsync-family calls per 1,000 acknowledgements (strace -c)
#   durability.csv  kill -9 mid-run, then every acknowledged message present?
#   table.md      all of it as Markdown
#
# Usage: run.sh [--smoke] [--sanitized] --irbusd PATH --loadgen PATH --ceiling PATH
#               [--out DIR] [--work DIR] [--base-port N] [--systems "LIST"]
#               [--workloads "LIST"]
#   --smoke      a few seconds per cell, small counts (CI); default: the full matrix
#   --sanitized  the binaries are built with sanitizers: smaller still
#   --systems    subset of: irbus irbus-pipe redis-always redis-everysec nats-sync
#                nats-async mqtt-qos1 mqtt-qos2 (irbus: irbus_publish, one receipt
#                per round trip; irbus-pipe: irbus_publish_send, 128 in flight)
#   --workloads  subset of: w1 w2 w3 w4 w5 w6 fsync (default: all)
#   --table-only rewrite OUT/table.md from the CSV files already in --out DIR
# Exit status: 0 when every cell ran and produced non-zero results (and no
# acknowledged message was lost), 1 otherwise.
set -u

MODE=full
SANITIZED=0
IRBUSD=""
LOADGEN=""
CEILING=""
OUT=""
WORK=""
BASE_PORT=""
SYSTEMS="irbus irbus-pipe redis-always redis-everysec nats-sync nats-async mqtt-qos1 mqtt-qos2"
WORKLOADS="w1 w2 w3 w4 w5 w6 fsync"
TABLE_ONLY=0

while [ $# -gt 0 ]; do
    case "$1" in
    --smoke) MODE=smoke ;;
    --sanitized) SANITIZED=1 ;;
    --irbusd) IRBUSD=$2; shift ;;
    --loadgen) LOADGEN=$2; shift ;;
    --ceiling) CEILING=$2; shift ;;
    --out) OUT=$2; shift ;;
    --work) WORK=$2; shift ;;
    --base-port) BASE_PORT=$2; shift ;;
    --systems) SYSTEMS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --table-only) TABLE_ONLY=1 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$TABLE_ONLY" = 1 ]; then
    [ -n "$OUT" ] && [ -f "$OUT/results.csv" ] || { echo "run.sh: --table-only needs --out DIR with results" >&2; exit 2; }
fi
for v in IRBUSD LOADGEN CEILING; do
    [ "$TABLE_ONLY" = 1 ] && break
    if [ -z "${!v}" ] || [ ! -x "${!v}" ]; then
        echo "run.sh: --$(echo "$v" | tr 'A-Z' 'a-z') PATH (an executable) is required" >&2
        exit 2
    fi
done

# ---- sizes of the matrix -----------------------------------------------------
# N*: messages per cell (publishing also stops after T seconds); W5_SECS: the
# length of each latency run; W4_*: the late joiner's backlog.
if [ "$MODE" = smoke ]; then
    N256=300 N4K=200 N64K=40 T=8 W5_SECS=1 W4_256=2000 W4_64K=100 FSYNC_N=200 W6_KILL_MS=600
    CEIL_T=0.05 IDLE_MS=5000 SCAN_PUBS=16 SCAN_T=8
    if [ "$SANITIZED" = 1 ]; then
        N256=150 N4K=100 N64K=20 W4_256=600 W4_64K=40 FSYNC_N=100 CEIL_T=0.02
    fi
else
    N256=300000 N4K=200000 N64K=50000 T=10 W5_SECS=10 W4_256=1000000 W4_64K=10000 FSYNC_N=2000
    W6_KILL_MS=3000 CEIL_T=0.5 IDLE_MS=5000 SCAN_PUBS="1 16 64" SCAN_T=5
fi
W4_T=1800

# ---- directories and ports ----------------------------------------------------
TMPROOT=${TMPDIR:-/tmp}
OWN_WORK=""
[ "$TABLE_ONLY" = 1 ] && WORK=$OUT
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "$TMPROOT/irb-bench-XXXXXX")
    OWN_WORK=$WORK
fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
[ -n "$OUT" ] || OUT="$WORK/out"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

port_busy() { # any TCP socket (listening or not) with this local port?
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
if [ -z "$BASE_PORT" ]; then
    # below the kernel's ephemeral range (32768 and up by default), where
    # outgoing connections could take a port between our check and the bind
    BASE_PORT=$((20000 + ($$ * 4) % 12000))
fi
for _ in $(seq 1 50); do
    if ! port_busy "$BASE_PORT" && ! port_busy $((BASE_PORT + 1)) &&
        ! port_busy $((BASE_PORT + 2)) && ! port_busy $((BASE_PORT + 3)); then
        break
    fi
    BASE_PORT=$((BASE_PORT + 4))
done
PORT_IRBUS=$BASE_PORT
PORT_REDIS=$((BASE_PORT + 1))
PORT_NATS=$((BASE_PORT + 2))
PORT_MQTT=$((BASE_PORT + 3))

FAILED=0
fail() {
    echo "run.sh: FAIL: $*" >&2
    FAILED=1
}

# ---- the table ----------------------------------------------------------------------
mval() { awk -F, -v k="$1" '$1 == k { print $2 }' "$OUT/machine.csv"; }
write_table() {
{
    echo "# irbus and its peers, $(mval date_utc | cut -c1-10) ($(mval mode) run)"
    echo
    echo "One run on one machine; the machine is shared, so read ratios within this run, not"
    echo "absolute figures. Latency in µs from the intended send time (open loop); at rate 0"
    echo "(\"max\") publishers send as fast as acknowledgements allow and latency includes queueing."
    echo
    echo "## Machine"
    echo
    echo "| key | value |"
    echo "|---|---|"
    tail -n +2 "$OUT/machine.csv" | sed 's/"//g' | awk -F, '{ print "| " $1 " | " substr($0, length($1) + 2) " |" }'
    echo
    echo "## What an acknowledgement means"
    echo
    echo "| system | variant | acknowledged when |"
    echo "|---|---|---|"
    echo "| irbus | signed-fsync | signature verified, LMDB commit fsynced (group commit), receipt signed; irbus_publish: one receipt per round trip |"
    echo "| irbus | pipelined | the same receipt; irbus_publish_send keeps up to 128 publishes in flight on one connection |"
    echo "| redis | always | AOF written and fsynced (appendfsync always, once per event-loop pass) |"
    echo "| redis | everysec | AOF written to the page cache; fsync within about a second |"
    echo "| nats | sync / async | JetStream file store written to the page cache (fsync later); sync: one PubAck per round trip, async: pipelined |"
    echo "| mqtt | qos1 / qos2 | Mosquitto holds it in memory (persistence file written at exit or autosave) |"
    echo
    echo "## Results"
    echo
    echo "msg/s ratio: this system's acknowledged messages/s over irbus's (synchronous, signed-fsync)"
    echo "in the same cell."
    echo
    echo "| cell | system | variant | pubs→subs | rate | acked | msg/s | ratio | MB/s | deliveries/s | ack p50 / p99 / p99.9 | deliver p50 / p99 / p99.9 | broker CPU µs/msg | peak RSS MiB anon / all | disk B/msg | status |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    awk -F, 'NR == FNR { if (FNR > 1) { split($3, c, "-"); if (!(c[1] in order)) order[c[1]] = ++n
                                          if ($1 == "irbus" && $2 == "signed-fsync") irb[c[1]] = $15 } next }
        FNR > 1 {
            split($3, c, "-"); cell = c[1]
            disk = $26 < 0 ? "–" : $26
            ratio = (cell in irb && irb[cell] > 0) ? sprintf("%.2f", $15 / irb[cell]) : "–"
            rate = $7 == 0 ? "max" : $7
            printf "%05d\t%05d\t| %s | %s | %s | %s→%s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s | %s |\n",
                order[cell], FNR, cell, $1, $2, $5, $6, rate, $9, $15, ratio, $16, $17, $18, $19, $20,
                (cell ~ /late/ || $6 == 0) ? "–" : $21 " / " $22 " / " $23,
                $24, ($27 > 0 ? sprintf("%.1f", $27 / 1024) : "–") " / " ($25 > 0 ? sprintf("%.1f", $25 / 1024) : "–"), disk, $28
        }' "$OUT/results.csv" "$OUT/results.csv" | sort -n | cut -f3-
    echo
    echo "W4 (late joiner): \"deliveries/s\" is the replay rate of one subscriber reading the whole"
    echo "backlog from the start after publishing ended. Peak RSS, two figures: \"anon\", the broker's"
    echo "anonymous memory (RssAnon, sampled every 20 ms), and \"all\" (VmHWM), which also counts resident"
    echo "pages of memory-mapped files: irbus's LMDB map, page cache the kernel may take back, grows with"
    echo "the data touched. Redis and NATS hold their data in anonymous memory."
    echo "Disk B/msg \"–\": the data directory shrank during the cell (Redis rewrote its AOF)."
    echo
    echo "## fsync-family calls per 1,000 acknowledgements (strace -c -f on the broker, separate short run)"
    echo
    echo "| system | variant | calls | acked | per 1,000 acks |"
    echo "|---|---|---|---|---|"
    awk -F, 'NR > 1 { print "| " $1 " | " $2 " | " $3 " | " $4 " | " $5 " |" }' "$OUT/fsync.csv"
    echo
    echo "LMDB also writes its meta page through a descriptor opened with O_DSYNC: one synchronous"
    echo "write per commit that no fsync-family call shows."
    echo
    echo "## Durability: kill -9 of the broker mid-W1, restart, read back"
    echo
    echo "| system | variant | acknowledged | read back | lost |"
    echo "|---|---|---|---|---|"
    awk -F, 'NR > 1 { print "| " $1 " | " $2 " | " $3 " | " $4 " | " $5 " |" }' "$OUT/durability.csv"
    echo
    echo "## The ceiling for irbus on this machine"
    echo
    echo "| metric | payload B | value | unit |"
    echo "|---|---|---|---|"
    awk -F, '{ print "| " $2 " | " $3 " | " $4 " | " $5 " |" }' "$OUT/ceiling.csv"
    echo
    echo "implied_box: both cores doing only irbus's per-message crypto for a 1→1 message (publisher"
    echo "sign, broker verify and receipt sign, publisher receipt verify, subscriber verify, BLAKE2b of"
    echo "the envelope three times, four CURVE boxes). implied_broker_thread: one thread doing the"
    echo "broker's share. The _batch64 lines: the same with batch signatures in full batches of 64"
    echo "(schema/protocol.md 7.6: one signature and one verification per batch and signer, a leaf"
    echo "and a node of a tree and a walk of seven nodes per message), which pipelined publishers use; synchronous"
    echo "ones sign alone. curve_echo: a bare CURVE DEALER/ROUTER echo, 128 in flight;"
    echo "implied_box_transport: the _batch64 crypto plus that echo's cost per message moved (less its"
    echo "boxes): one move in and one out per subscriber. Measured irbus W1/W2/W3 1→1 msg/s for comparison:"
    echo
    awk -F, 'FNR > 1 && $1 == "irbus" && $3 ~ /^w[123]_.*_1x1-/ { split($3, c, "-"); print "- " c[1] " (" $2 "): " $15 " msg/s" }' \
        "$OUT/results.csv"
} >"$OUT/table.md"
}

# ---- peers from Debian ----------------------------------------------------------
install_peers() {
    local missing="" c
    for c in redis-server nats-server mosquitto strace; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    [ -z "$missing" ] && return 0
    echo "run.sh: installing$missing from Debian"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "run.sh: missing$missing; run as root" >&2; exit 1; }
        sudo=sudo
    fi
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends redis-server nats-server mosquitto strace >/dev/null ||
        { echo "run.sh: apt-get failed" >&2; exit 1; }
}
if [ "$TABLE_ONLY" = 1 ]; then
    write_table
    exit 0
fi
install_peers

# ---- the brokers ---------------------------------------------------------------------
PID=""
PORT=""
DATA=""
SYS=""

wait_port() { # wait_port PORT PID
    for _ in $(seq 1 200); do
        if ! kill -0 "$2" 2>/dev/null; then
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# start SYSTEM [keep]: a fresh data directory unless keep.
start() {
    SYS=$1
    local keep=${2:-}
    DATA="$WORK/data-$SYS"
    if [ -z "$keep" ]; then
        rm -rf "$DATA"
        mkdir -p "$DATA"
    fi
    case "$SYS" in
    irbus | irbus-pipe)
        PORT=$PORT_IRBUS
        mkdir -p "$WORK/keys"
        [ -f "$WORK/keys/op.pub" ] || "$LOADGEN" -G -K "$WORK/keys" || return 1
        cat >"$WORK/irbusd.conf" <<EOF
listen = tcp://127.0.0.1:$PORT
data = $DATA
admin_key = $WORK/keys/op.pub
log_level = warn
mapsize_mb = 16384
EOF
        "$IRBUSD" -c "$WORK/irbusd.conf" >>"$WORK/$SYS.log" 2>&1 &
        PID=$!
        ;;
    redis-always | redis-everysec)
        PORT=$PORT_REDIS
        redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DATA" --appendonly yes \
            --appendfsync "${SYS#redis-}" --save '' --daemonize no --protected-mode no \
            >>"$WORK/$SYS.log" 2>&1 &
        PID=$!
        ;;
    nats-sync | nats-async)
        PORT=$PORT_NATS
        nats-server -a 127.0.0.1 -p "$PORT" -js -sd "$DATA" >>"$WORK/$SYS.log" 2>&1 &
        PID=$!
        ;;
    mqtt-qos1 | mqtt-qos2)
        PORT=$PORT_MQTT
        cat >"$WORK/mosquitto.conf" <<EOF
listener $PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $DATA/
max_queued_messages 0
user $(id -un)
EOF
        mosquitto -c "$WORK/mosquitto.conf" >>"$WORK/$SYS.log" 2>&1 &
        PID=$!
        ;;
    esac
    if ! wait_port "$PORT" "$PID"; then
        kill -TERM "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=""
        # Another process took the port after we chose it: move this
        # system 100 ports up and try again (twice at most).
        if [ "${START_RETRY:-0}" -lt 2 ] && tail -n 5 "$WORK/$SYS.log" 2>/dev/null | grep -qi 'in use'; then
            case "$SYS" in
            irbus*) PORT_IRBUS=$((PORT_IRBUS + 100)) ;;
            redis-*) PORT_REDIS=$((PORT_REDIS + 100)) ;;
            nats-*) PORT_NATS=$((PORT_NATS + 100)) ;;
            mqtt-*) PORT_MQTT=$((PORT_MQTT + 100)) ;;
            esac
            echo "run.sh: $SYS: port $PORT in use, trying $((PORT + 100))" >&2
            START_RETRY=$((${START_RETRY:-0} + 1))
            start "$@"
            local rc=$?
            START_RETRY=0
            return $rc
        fi
        fail "$SYS did not start (log: $WORK/$SYS.log)"
        return 1
    fi
    if [ "${SYS%%-*}" = irbus ]; then
        for _ in $(seq 1 100); do
            [ -s "$DATA/broker.key.pub" ] && break
            sleep 0.05
        done
    fi
    return 0
}

stop() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=""
    fi
}
cleanup() {
    stop
    # A work directory we made ourselves goes after a clean run (unless the
    # results are inside it); after a failure only its data goes, so the
    # logs are there to read.
    if [ -n "$OWN_WORK" ]; then
        case "$OUT/" in
        "$OWN_WORK"/*) rm -rf "$OWN_WORK"/data-* "$OWN_WORK"/keys ;;
        *)
            if [ "$FAILED" = 0 ]; then
                rm -rf "$OWN_WORK"
            else
                rm -rf "$OWN_WORK"/data-* "$OWN_WORK"/keys
                echo "run.sh: logs kept in $OWN_WORK" >&2
            fi
            ;;
        esac
    fi
}
trap cleanup EXIT

variant_of() {
    case "$1" in
    irbus) echo signed-fsync ;;
    irbus-pipe) echo pipelined ;;
    redis-always) echo always ;;
    redis-everysec) echo everysec ;;
    nats-sync) echo sync ;;
    nats-async) echo async ;;
    mqtt-qos1) echo qos1 ;;
    mqtt-qos2) echo qos2 ;;
    esac
}
system_of() { echo "${1%%-*}"; }
want() { case " $CUR_WORKLOADS " in *" $1 "*) return 0 ;; esac; return 1; }
# The workloads for system $1. Smoke runs of the pipelined irbus keep to W1
# (the rest exercises the same broker as irbus's; 32-pipeline checks kill -9),
# so CI's smoke stays about as long as it was.
workloads_of() {
    if [ "$MODE" = smoke ] && [ "$1" = irbus-pipe ]; then
        case " $WORKLOADS " in *" w1 "*) echo w1 ;; esac
    else
        echo "$WORKLOADS"
    fi
}
CUR_WORKLOADS=$WORKLOADS

# Synchronous publishers wait for each acknowledgement: several connections
# give them their throughput. Asynchronous ones pipeline on one.
pubs_of() {
    case "$1" in
    irbus-pipe | nats-async | mqtt-*) echo 1 ;;
    *) echo 4 ;;
    esac
}

# lg CELL ARGS...: one loadgen run for the current system; appends to results.csv.
lg() {
    local cell=$1
    shift
    local sys variant line rc
    sys=$(system_of "$SYS")
    variant=$(variant_of "$SYS")
    line=$("$LOADGEN" -S "$sys" -V "$variant" -C "$cell-$variant" -P "$PORT" \
        -B "$DATA/broker.key.pub" -x "$PID" -D "$DATA" -I "$IDLE_MS" "$@" 2>>"$WORK/loadgen.log")
    rc=$?
    if [ -z "$line" ]; then
        fail "$SYS $cell: loadgen printed nothing (rc $rc; $WORK/loadgen.log)"
        return 1
    fi
    echo "$line" >>"$OUT/results.csv"
    echo "  $line"
    # the CSV's cell column carries the variant; the status column is last
    case "$line" in
    *,ok) ;;
    *) fail "$SYS $cell: $line" ;;
    esac
    [ $rc -eq 0 ] || fail "$SYS $cell: loadgen exit $rc"
    return 0
}

# ---- machine details --------------------------------------------------------------
fsync_probe() { # writes/s of 4 KiB O_DSYNC writes in the work directory
    local n=$1 s
    s=$(dd if=/dev/zero of="$WORK/fsync-probe" bs=4096 count="$n" oflag=dsync 2>&1 |
        awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) print $(i-1) }' | tr ',' '.')
    rm -f "$WORK/fsync-probe"
    awk -v n="$n" -v s="$s" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }'
}

PROBE_N=$([ "$MODE" = smoke ] && echo 100 || echo 2000)
{
    echo "key,value"
    echo "date_utc,$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mode,$MODE$([ "$SANITIZED" = 1 ] && echo '-sanitized')"
    echo "cpu,\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\""
    echo "cpus,$(nproc)"
    echo "mem_kib,$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
    echo "kernel,$(uname -r)"
    echo "filesystem,$(df -T "$WORK" | awk 'NR == 2 { print $2 }')"
    echo "device,$(df "$WORK" | awk 'NR == 2 { print $1 }')"
    echo "loadavg_before,\"$(cut -d' ' -f1-3 /proc/loadavg)\""
    echo "fsync_probe_before_writes_per_s,$(fsync_probe "$PROBE_N")"
    echo "redis_version,$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
    echo "nats_server_version,$(nats-server --version 2>&1 | awk '{ print $NF }')"
    echo "mosquitto_version,$(mosquitto -h 2>&1 | awk 'NR == 1 { print $3 }')"
} >"$OUT/machine.csv"

echo "== ceiling"
"$CEILING" -d "$WORK" -t "$CEIL_T" >"$OUT/ceiling.csv" || fail "ceiling failed"
if [ "$(grep -c ',0\.000,\|,0,msg/s\|,-' "$OUT/ceiling.csv")" -ne 0 ] ||
    [ "$(wc -l <"$OUT/ceiling.csv")" -lt 20 ]; then
    fail "ceiling: missing or zero figures"
fi

"$LOADGEN" -H >"$OUT/results.csv"
echo "system,variant,calls,acked,per_1000_acks,syscalls" >"$OUT/fsync.csv"
echo "system,variant,acked,read_back,lost" >"$OUT/durability.csv"

# ---- the matrix --------------------------------------------------------------------
for S in $SYSTEMS; do
    echo "== $S"
    start "$S" || { stop; continue; }
    P=$(pubs_of "$S")
    V=$(variant_of "$S")
    CUR_WORKLOADS=$(workloads_of "$S")
    # W1 status 256 B; W2 findings 4 KiB; W3 reports 64 KiB: as fast as the
    # acknowledgements allow.
    if want w1; then
        lg w1_256B_1x1 -s 256 -p "$P" -n 1 -N "$N256" -r 0 -T "$T"
        lg w1_256B_1x4 -s 256 -p "$P" -n 4 -N "$N256" -r 0 -T "$T"
    fi
    if want w2; then
        lg w2_4KiB_1x1 -s 4096 -p "$P" -n 1 -N "$N4K" -r 0 -T "$T"
        lg w2_4KiB_1x4 -s 4096 -p "$P" -n 4 -N "$N4K" -r 0 -T "$T"
        lg w2_4KiB_1x16 -s 4096 -p "$P" -n 16 -N "$N4K" -r 0 -T "$T"
    fi
    want w3 && lg w3_64KiB_1x1 -s 65536 -p "$P" -n 1 -N "$N64K" -r 0 -T "$T"
    # W1 again with more publisher connections, for the synchronous
    # publishers: does throughput grow with concurrency (group commit)?
    want w1 && case "$S" in
    irbus | redis-always | nats-sync)
        for NP in $SCAN_PUBS; do
            lg "w1_256B_1x1_p$NP" -s 256 -p "$NP" -n 1 -N "$N256" -r 0 -T "$SCAN_T"
        done
        ;;
    esac
    # W5: open-loop latency at 10/50/90 % of this system's own W1 maximum.
    MAX=$(awk -F, -v c="w1_256B_1x1-$V" '$3 == c { print $15 }' "$OUT/results.csv" | tail -1)
    if ! want w5; then
        :
    elif [ -n "$MAX" ] && [ "${MAX%.*}" -gt 0 ] 2>/dev/null; then
        for PCT in 10 50 90; do
            R=$(awk -v m="$MAX" -v p="$PCT" 'BEGIN { printf "%.0f", m * p / 100 }')
            N=$(awk -v r="$R" -v s="$W5_SECS" 'BEGIN { n = r * s; if (n < 20) n = 20; printf "%.0f", n }')
            lg "w5_256B_1x1_at${PCT}pct" -s 256 -p "$P" -n 1 -N "$N" -r "$R" -T $((W5_SECS * 3))
        done
    else
        fail "$S: no W1 maximum for W5"
    fi
    # W4: a late joiner replays the whole backlog (MQTT has no replay).
    want w4 && case "$S" in
    mqtt-*) ;;
    *)
        lg w4_256B_late -s 256 -p "$P" -n 1 -N "$W4_256" -r 0 -T "$W4_T" -L
        lg w4_64KiB_late -s 65536 -p "$P" -n 1 -N "$W4_64K" -r 0 -T "$W4_T" -L
        ;;
    esac
    # fsyncs per 1,000 acknowledgements: a short separate run under strace -c
    # (attached to the broker, all threads; the ptrace stops slow it down, so
    # only the counts are used).
    if want fsync && command -v strace >/dev/null 2>&1; then
        SC="fsync,fdatasync,sync_file_range,msync,syncfs"
        strace -qq -c -f -e trace=$SC -o "$WORK/strace-$S.txt" -p "$PID" 2>/dev/null &
        SPID=$!
        sleep 0.5
        line=$("$LOADGEN" -S "$(system_of "$S")" -V "$V" -C "fsync-$V" -P "$PORT" \
            -B "$DATA/broker.key.pub" -s 256 -p "$P" -n 0 -N "$FSYNC_N" -r 0 -T 60 2>>"$WORK/loadgen.log")
        sleep 0.3
        kill -INT "$SPID" 2>/dev/null
        wait "$SPID" 2>/dev/null
        ACKED=$(echo "$line" | awk -F, '{ print $9 }')
        CALLS=$(awk '/^-/ { sep++ } sep == 1 && !/^-/ && NF >= 5 { n += $4 } END { print n + 0 }' \
            "$WORK/strace-$S.txt" 2>/dev/null)
        if [ -n "$ACKED" ] && [ "$ACKED" -gt 0 ] 2>/dev/null; then
            echo "$(system_of "$S"),$V,$CALLS,$ACKED,$(awk -v c="$CALLS" -v a="$ACKED" \
                'BEGIN { printf "%.1f", 1000 * c / a }'),$(echo "$SC" | tr , ';')" >>"$OUT/fsync.csv"
        else
            fail "$S: fsync run acknowledged nothing"
        fi
    fi
    stop
    # W6: kill -9 mid-W1, restart on the same data, read everything back.
    want w6 && case "$S" in
    irbus | irbus-pipe | redis-always)
        start "$S" || continue
        rm -f "$WORK/acked-$S"
        lg w6_256B_kill9 -s 256 -p "$P" -n 0 -N 100000000 -r 0 -T 60 -t 2000 \
            -k "$W6_KILL_MS" -a "$WORK/acked-$S"
        wait "$PID" 2>/dev/null
        PID=""
        start "$S" keep || continue
        line=$("$LOADGEN" -S "$(system_of "$S")" -V "$V" -C "w6_256B_kill9-$V" -P "$PORT" \
            -B "$DATA/broker.key.pub" -s 256 -p "$P" -n 1 -I "$IDLE_MS" -v "$WORK/acked-$S" \
            2>>"$WORK/loadgen.log")
        rc=$?
        echo "  $line"
        echo "$line" | awk -F, '{ sub("acked=", "", $5); sub("read=", "", $6); sub("lost=", "", $7);
            print $2 "," $3 "," $5 "," $6 "," $7 }' >>"$OUT/durability.csv"
        [ $rc -eq 0 ] || fail "$S: W6 verification: $line"
        stop
        ;;
    esac
    # Its cells are measured: its data goes now, so that the disk holds one
    # system's data at a time (a full matrix writes gigabytes per system).
    stop
    rm -rf "$WORK/data-$S"
done

echo "loadavg_after,\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >>"$OUT/machine.csv"
echo "fsync_probe_after_writes_per_s,$(fsync_probe "$PROBE_N")" >>"$OUT/machine.csv"

write_table

# A result that is missing or zero fails the run.
while IFS=, read -r sys var cell size pubs subs rate sent acked errors delivered expected dups \
    elapsed mps rest; do
    [ "$sys" = system ] && continue
    case "$cell" in w6_*) continue ;; esac
    if [ "${acked:-0}" = 0 ] || [ "${mps%.*}" = 0 ]; then
        fail "$sys $var $cell: zero result"
    fi
done <"$OUT/results.csv"
CUR_WORKLOADS=$WORKLOADS
for S in $SYSTEMS; do
    V=$(variant_of "$S")
    want w1 || break
    grep -q ",$V,w1_256B_1x1-$V," "$OUT/results.csv" || fail "$S: no results"
done

echo "run.sh: results in $OUT (table.md, results.csv, machine.csv, ceiling.csv)"
if [ "$FAILED" != 0 ]; then
    echo "run.sh: some cells failed; the load generator's last words:" >&2
    tail -n 20 "$WORK/loadgen.log" >&2 2>/dev/null
    exit 1
fi
exit 0
