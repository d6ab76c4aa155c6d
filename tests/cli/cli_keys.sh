#!/bin/sh
# cli_keys.sh IRBUS - keygen and key show from the command line: files and
# modes, the fingerprint shown by both, refusals and their exit codes.
set -u
irbus=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { # check DESCRIPTION WANT_STATUS COMMAND...
    what=$1 want=$2
    shift 2
    "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, want $want"; cat "$dir/out" "$dir/err"; fail=1
    else
        echo "ok: $what"
    fi
}

check "help" 0 "$irbus" --help
grep -q keygen "$dir/out" || { echo "FAIL: --help does not list keygen"; fail=1; }
check "keygen help" 0 "$irbus" keygen --help
check "no verb" 64 "$irbus"
check "unknown verb" 64 "$irbus" frobnicate
check "keygen" 0 "$irbus" keygen --out "$dir/alice" --comment "alice@csirt"
fp=$(sed -n 's/^fingerprint \(irb1:[0-9a-f-]*\)$/\1/p' "$dir/out")
[ -n "$fp" ] || { echo "FAIL: keygen printed no fingerprint"; fail=1; }
[ "$(stat -c %a "$dir/alice")" = 600 ] || { echo "FAIL: secret mode"; fail=1; }
[ "$(stat -c %a "$dir/alice.pub")" = 644 ] || { echo "FAIL: public mode"; fail=1; }
check "key show secret" 0 "$irbus" key show "$dir/alice"
grep -q "$fp" "$dir/out" || { echo "FAIL: key show (secret) fingerprint differs"; fail=1; }
check "key show public" 0 "$irbus" key show "$dir/alice.pub"
grep -q "$fp" "$dir/out" || { echo "FAIL: key show (public) fingerprint differs"; fail=1; }
check "keygen refuses to overwrite" 73 "$irbus" keygen --out "$dir/alice"
chmod 0640 "$dir/alice"
check "group-readable secret refused" 77 "$irbus" key show "$dir/alice"
grep -qi "chmod\|permission" "$dir/err" || { echo "FAIL: no advice on permissions"; fail=1; }
head -c 40 "$dir/alice.pub" >"$dir/trunc.pub"
check "truncated key file" 65 "$irbus" key show "$dir/trunc.pub"
check "missing key file" 66 "$irbus" key show "$dir/nope"
exit $fail
