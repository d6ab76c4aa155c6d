#!/bin/sh
# demo.sh - a short incident, played on a real irbusd with the irbus CLI only.
#
# An operator adds four organisations (the affected entity, its IR provider,
# the national CSIRT, the regulator) and their people; the CSIRT's
# coordinator opens an incident and adds the parties with their roles and
# SPOCs; a status update, a TLP:AMBER finding, a TLP:RED finding for one
# person and a NIS2 early warning are published; refusals show the policy;
# a subscriber shows what it received live; history shows the log; a
# receipt is shown; the operator lists the denials. Every step prints the command it runs and its
# output, under a one-line comment saying what the step shows.
#
# The broker runs on its embedded defaults: no options, started in the demo
# directory, so it keeps its data in ./var/irbusd there and finds the
# operator key as var/irbusd/admin.pub. The demo directory is wiped at the
# start of every run, so the demo can be run again and again. The broker is
# stopped at the end, and on any failure. Exit status 0 when every step did
# what it should, 1 otherwise (the failing step is named).
#
# Environment (all optional; deploy/run.sh uses the defaults, the ctest
# entry sets them all):
#   IRBUS                the irbus CLI           (default: build/client/irbus)
#   IRBUSD               the broker              (default: build/broker/irbusd)
#   IRBUS_DEMO_DIR       the demo's directory, wiped at start (default: var/demo)
#   IRBUS_DEMO_ENDPOINT  where the broker listens (default: irbusd's own,
#                        tcp://127.0.0.1:7400); e.g. ipc:///tmp/x/sock
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
irbus=${IRBUS:-$root/build/client/irbus}
irbusd=${IRBUSD:-$root/build/broker/irbusd}
demo=${IRBUS_DEMO_DIR:-$root/var/demo}
endpoint=${IRBUS_DEMO_ENDPOINT:-}

die() {
    echo "demo: $*" >&2
    exit 1
}

abspath() {
    case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd)" "$1" ;;
    esac
}

[ -x "$irbus" ] || die "no irbus CLI at $irbus; build first (cmake --build build) or set IRBUS"
[ -x "$irbusd" ] || die "no irbusd at $irbusd; build first (cmake --build build) or set IRBUSD"
irbus=$(abspath "$irbus")
irbusd=$(abspath "$irbusd")
demo=$(abspath "$demo")

# A fresh directory every run. Only a directory this script made (it holds
# the marker file) is ever removed.
if [ -e "$demo" ]; then
    [ -f "$demo/.irbus-demo" ] || die "$demo exists and is not a demo directory; remove it or set IRBUS_DEMO_DIR"
    rm -rf "$demo"
fi
mkdir -p "$demo"
: >"$demo/.irbus-demo"
cd "$demo"

# ---- presentation -----------------------------------------------------------

started=$(date +%s)
nstep=0

# Print a word for a shell command line, quoted when it needs it.
shq() {
    case $1 in
    '' | *[!A-Za-z0-9_./:@=,+-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf '%s' "$1" ;;
    esac
}

# show_cmd WORD...: print "$ WORD..." as a reader would type it; the words
# '&', '>', '<' and '|' are shell syntax here and are printed as they are.
show_cmd() {
    printf '$'
    for w in "$@"; do
        printf ' '
        case $w in
        '&' | '>' | '<' | '|') printf '%s' "$w" ;;
        *) shq "$w" ;;
        esac
    done
    printf '\n'
}

# comment "what this step shows"
comment() {
    nstep=$((nstep + 1))
    printf '\n# %d. %s\n' "$nstep" "$1"
}

# run irbus ARGS...: print the command, run it, fail the demo if it fails.
run() {
    shift # the word "irbus"
    show_cmd irbus "$@"
    if "$irbus" "$@" >out.txt 2>&1; then
        cat out.txt
        return 0
    else
        rc=$?
        cat out.txt
        die "step $nstep failed: 'irbus $*' exited $rc (broker log: $demo/irbusd.log)"
    fi
}

# expect STATUS irbus ARGS...: a step that must be refused with STATUS.
expect() {
    want=$1
    shift 2
    show_cmd irbus "$@"
    rc=0
    "$irbus" "$@" >out.txt 2>&1 || rc=$?
    cat out.txt
    echo "(exit status $rc)"
    [ "$rc" -eq "$want" ] || die "step $nstep: 'irbus $*' exited $rc, expected $want"
}

# The sequence number in the "accepted ..." line of a step's output.
seq_of() {
    s=$(sed -n 's/^accepted incident=[^ ]* seq=\([0-9][0-9]*\) .*/\1/p' "$1")
    [ -n "$s" ] || die "step $nstep: no 'accepted ... seq=N' line in its output"
    printf '%s\n' "$s"
}

# ---- the broker -------------------------------------------------------------

broker_pid=""
sub_pid=""

cleanup() {
    status=$?
    if [ -n "$sub_pid" ]; then
        kill "$sub_pid" 2>/dev/null || true
        wait "$sub_pid" 2>/dev/null || true
    fi
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        echo "demo: broker stopped" >&2
    fi
    if [ "$status" -ne 0 ] && [ -s "$demo/irbusd.log" ]; then
        echo "demo: last lines of the broker log:" >&2
        tail -n 15 "$demo/irbusd.log" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "irbus demo: a ransomware incident at a water utility, coordinated over irbus"
echo "(working directory: $demo)"

comment "Every participant has one Ed25519 identity key: the operator and five people in four organisations."
mkdir -p keys
for who in operator anna@waterco ivan@blueshield ines@blueshield carla@ncsc rob@rdi; do
    run irbus keygen --out "keys/$who" --comment "$who"
done

comment "The broker takes operator keys from its data directory; irbusd's defaults need nothing else."
show_cmd mkdir -p var/irbusd
show_cmd cp keys/operator.pub var/irbusd/admin.pub
mkdir -p var/irbusd
chmod 700 var/irbusd
cp keys/operator.pub var/irbusd/admin.pub

# start_broker: start irbusd in the background, wait until it listens.
start_broker() {
    : >irbusd.out
    if [ -n "$endpoint" ]; then
        show_cmd irbusd --listen "$endpoint" '&'
        "$irbusd" --listen "$endpoint" >irbusd.out 2>>irbusd.log &
    else
        show_cmd irbusd '&'
        "$irbusd" >irbusd.out 2>>irbusd.log &
    fi
    broker_pid=$!
    i=0
    until grep -q '^broker public key' irbusd.out 2>/dev/null; do
        if ! kill -0 "$broker_pid" 2>/dev/null; then
            rc=0
            wait "$broker_pid" || rc=$?
            broker_pid=""
            case $rc in
            71) hint=" (is another irbusd on ${endpoint:-tcp://127.0.0.1:7400}? stop it or set IRBUS_DEMO_ENDPOINT)" ;;
            *) hint="" ;;
            esac
            die "irbusd exited with status $rc before it was ready$hint"
        fi
        i=$((i + 1))
        [ "$i" -lt 100 ] || die "irbusd did not say it was ready within 10 s"
        sleep 0.1
    done
    cat irbusd.out
}

# stop_broker: SIGTERM, and check that it exits 0.
stop_broker() {
    show_cmd kill -TERM "$broker_pid"
    kill "$broker_pid"
    rc=0
    wait "$broker_pid" || rc=$?
    broker_pid=""
    echo "(irbusd exited with status $rc)"
    [ "$rc" -eq 0 ] || die "irbusd exited $rc on SIGTERM"
}

comment "Start irbusd on its embedded defaults: it creates its key, binds CURVE, and prints its fingerprint."
start_broker

# Everything the CLI needs besides --key comes from one client config file.
comment "A client config names the broker, its public key and where receipts are kept."
{
    echo "broker = ${endpoint:-tcp://127.0.0.1:7400}"
    echo "broker_key = var/irbusd/broker.key.pub"
    echo "receipts = receipts"
} >client.conf
IRBUS_CONFIG=$demo/client.conf
export IRBUS_CONFIG
unset IRBUS_BROKER IRBUS_BROKER_KEY IRBUS_KEY IRBUS_RECEIPTS
show_cmd cat client.conf
cat client.conf
show_cmd export IRBUS_CONFIG=client.conf
run irbus key show var/irbusd/broker.key.pub

inc=INC-2026-0042

comment "The operator adds the four organisations; each roster change is signed and answered with a receipt."
run irbus admin org-add waterco entity "WaterCo Utilities" --key keys/operator
run irbus admin org-add blueshield ir_provider "BlueShield Incident Response" --key keys/operator
run irbus admin org-add ncsc csirt "National CSIRT" --key keys/operator
run irbus admin org-add rdi regulator "Digital Infrastructure Inspectorate" --key keys/operator

comment "... and a participant per organisation, with a second analyst at the IR provider."
run irbus admin participant-add anna@waterco waterco keys/anna@waterco.pub --key keys/operator
run irbus admin participant-add ivan@blueshield blueshield keys/ivan@blueshield.pub --key keys/operator
run irbus admin participant-add ines@blueshield blueshield keys/ines@blueshield.pub --key keys/operator
run irbus admin participant-add carla@ncsc ncsc keys/carla@ncsc.pub --key keys/operator
run irbus admin participant-add rob@rdi rdi keys/rob@rdi.pub --key keys/operator

comment "Carla (CSIRT) opens the incident under the NIS2 regime and so becomes its coordinator."
run irbus incident open $inc --title "Ransomware at WaterCo pumping stations" --regime nis2 --key keys/carla@ncsc

comment "She adds the four parties, each with its role and its single point of contact (SPOC)."
run irbus incident party-add $inc waterco affected --spoc anna@waterco --key keys/carla@ncsc
run irbus incident party-add $inc blueshield ir_provider --spoc ivan@blueshield --key keys/carla@ncsc
run irbus incident party-add $inc ncsc csirt --spoc carla@ncsc --key keys/carla@ncsc
run irbus incident party-add $inc rdi regulator --spoc rob@rdi --key keys/carla@ncsc

last_seq=$(seq_of out.txt)
comment "Only coordinators change an incident: Ines, an analyst, is refused (exit 77) and the denial is logged."
expect 77 irbus incident party-add $inc rdi regulator --key keys/ines@blueshield
show_cmd grep denied irbusd.log
grep denied irbusd.log || die "the broker did not log the denial"

# The subscriber starts at the next record of the log (rather than --from
# new), so it misses nothing however long it takes to connect.
next=$((last_seq + 1))
comment "Rob (regulator) subscribes to status and notifications from record $next on, and keeps listening."
show_cmd irbus sub --incident $inc --channels status,notifications --from $next --follow --key keys/rob@rdi '>' sub.txt '&'
"$irbus" sub --incident $inc --channels status,notifications --from $next --follow \
    --key keys/rob@rdi >sub.txt 2>sub.err &
sub_pid=$!

comment "The coordinator broadcasts a status update (TLP:GREEN: the whole incident community)."
run irbus pub --incident $inc --channel status --tlp GREEN \
    --data "Incident opened. Pumping-station SCADA isolated; next call 14:00 UTC." --key keys/carla@ncsc

comment "Ines (IR analyst) shares a finding under TLP:AMBER with the affected entity and the CSIRT, PAP:GREEN."
run irbus pub --incident $inc --channel findings --tlp AMBER --pap GREEN --to waterco --to ncsc \
    --data "Initial access via exposed VPN appliance; C2 at 203.0.113.45:443 (LockBit-like loader)." \
    --key keys/ines@blueshield
amber_seq=$(seq_of out.txt)

comment "Ines is not BlueShield's SPOC, so she cannot speak for it on coordination: refused, the rule named."
expect 77 irbus pub --incident $inc --channel coordination --tlp GREEN \
    --data "BlueShield will take the VPN appliance offline at 15:00." --key keys/ines@blueshield
grep -q "spoc_speaks_for_the_organisation" out.txt || die "step $nstep: the rule is not named"

comment "Ines sends Anna alone a TLP:RED finding: the ransom note's contact address."
run irbus pub --incident $inc --channel findings --tlp RED --to anna@waterco \
    --data "Ransom note contact: negotiator mailbox at a .onion address; do not reply yet." \
    --key keys/ines@blueshield
red_seq=$(seq_of out.txt)

comment "TLP:RED reaches only whom it names: Ines's colleague Ivan and the coordinator see nothing; Anna sees it."
run irbus history --incident $inc --channels findings --from "$red_seq" --key keys/ivan@blueshield
grep -q " RED " out.txt && die "step $nstep: Ivan was shown the RED finding"
run irbus history --incident $inc --channels findings --from "$red_seq" --key keys/carla@ncsc
grep -q " RED " out.txt && die "step $nstep: the coordinator was shown the RED finding"
run irbus history --incident $inc --channels findings --from "$red_seq" --key keys/anna@waterco
grep -q " RED " out.txt || die "step $nstep: Anna was not shown the RED finding"

comment "Carla would pass Ines's AMBER finding to the regulator: AMBER does not reach that far, so it is refused."
expect 77 irbus forward --incident $inc --ref "$amber_seq" --channel findings --tlp AMBER --to rdi \
    --key keys/carla@ncsc
grep -q "label_forbids_forwarding" out.txt || die "step $nstep: the rule is not named"

comment "Carla asks Ines, the source, who grants it: both are signed records bound to the finding's digest."
run irbus share request --incident $inc --ref "$amber_seq" --to rdi --key keys/carla@ncsc
run irbus share grant --incident $inc --ref "$amber_seq" --to rdi --key keys/ines@blueshield

comment "Now the forward is accepted, and Rob (regulator) reads the finding through it."
run irbus forward --incident $inc --ref "$amber_seq" --channel findings --tlp AMBER --to rdi \
    --key keys/carla@ncsc
run irbus history --incident $inc --channels findings --from "$amber_seq" --key keys/rob@rdi
grep -q "#$amber_seq .*msg findings AMBER" out.txt ||
    die "step $nstep: Rob was not shown the forwarded finding"
grep -q " RED " out.txt && die "step $nstep: Rob was shown the RED finding"

aware=$(date -u -d '3 hours ago' +%Y-%m-%dT%H:%M:%SZ)
comment "Anna, WaterCo's SPOC, submits the NIS2 early warning (within 24 h) to the CSIRT and the regulator."
run irbus pub --incident $inc --channel notifications --kind nis2.early_warning --tlp AMBER \
    --to ncsc --to rdi --ctype application/json \
    --data "{\"aware_at\":\"$aware\",\"suspected_malicious\":true,\"cross_border_impact\":false,\"summary\":\"Ransomware on OT network; drinking-water supply not affected so far\"}" \
    --key keys/anna@waterco
ew_seq=$(seq_of out.txt)

comment "What Rob's subscriber received live: the status update and the early warning (he did not ask for findings)."
i=0
until [ "$(grep -c '^\[' sub.txt 2>/dev/null || true)" -ge 2 ]; do
    i=$((i + 1))
    [ "$i" -lt 100 ] || die "the subscriber did not receive both messages within 10 s: $(cat sub.txt sub.err)"
    sleep 0.1
done
kill "$sub_pid"
rc=0
wait "$sub_pid" || rc=$?
sub_pid=""
[ "$rc" -eq 0 ] || die "the subscriber exited $rc after SIGTERM: $(cat sub.err)"
show_cmd cat sub.txt
cat sub.txt
grep -q "nis2.early_warning notifications AMBER" sub.txt || die "the subscriber did not show the early warning"

comment "Rob records that he has read the early warning: the read receipt the regime asks for."
run irbus ack --incident $inc --seq "$ew_seq" --key keys/rob@rdi

comment "The same early warning as JSON, from the stored history, verified against Anna's signature."
run irbus history --incident $inc --channels notifications --json --key keys/rob@rdi
grep -q '"suspected_malicious\\":true' out.txt ||
    die "step $nstep: the early warning's payload is not what Anna sent"

comment "The incident's log as the coordinator sees it: every command and message, in order, with its sender."
run irbus history --incident $inc --key keys/carla@ncsc

comment "The broker-signed receipt Anna keeps: it proves when the early warning was accepted and pins the log before it."
show_cmd cat "receipts/$inc/$ew_seq.json"
cat "receipts/$inc/$ew_seq.json"
bfp=$("$irbus" key show var/irbusd/broker.key.pub | sed -n 's/^fingerprint *//p')
grep -q "\"broker_fingerprint\": \"$bfp\"" "receipts/$inc/$ew_seq.json" ||
    die "the receipt does not name the broker's fingerprint $bfp"

comment "Months later, anyone with the broker's public key can check the receipt offline."
run irbus receipt verify --broker-key var/irbusd/broker.key.pub "receipts/$inc/$ew_seq.json"
grep -q "^valid " out.txt || die "step $nstep: the receipt does not verify"

comment "Move the broker time one minute earlier, to claim an earlier arrival, and the receipt no longer verifies."
bt=$(sed -n 's/^ *"btime": \([0-9]*\),$/\1/p' "receipts/$inc/$ew_seq.json")
[ -n "$bt" ] || die "step $nstep: no btime in the receipt"
sed "s/\"btime\": $bt,/\"btime\": $((bt - 60000)),/" "receipts/$inc/$ew_seq.json" >forged.json
cmp -s forged.json "receipts/$inc/$ew_seq.json" && die "step $nstep: the forged copy is unchanged"
expect 65 irbus receipt verify --broker-key var/irbusd/broker.key.pub forged.json
grep -q "^INVALID " out.txt || die "step $nstep: the forged receipt was not called INVALID"

comment "The operator lists the broker's recent policy denials: a count per rule, then each one."
run irbus admin denials --key keys/operator
grep -q "rule=spoc_speaks_for_the_organisation" out.txt || die "step $nstep: the SPOC denial is not listed"

comment "Restart the broker: it rebuilds roster and incidents from LMDB and verifies every chain tail first."
stop_broker
start_broker
show_cmd grep recovered irbusd.log
grep recovered irbusd.log | tail -n 1
run irbus history --incident $inc --from "$ew_seq" --key keys/anna@waterco

comment "Stop the broker (SIGTERM): it finishes the loop and exits 0."
stop_broker

echo
echo "demo: all $nstep steps passed in $(($(date +%s) - started)) s; data, keys and receipts are in $demo"
