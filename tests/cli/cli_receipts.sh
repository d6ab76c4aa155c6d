#!/bin/sh
# cli_receipts.sh IRBUS MKRECEIPTS - `irbus receipt verify` on receipts the
# broker signed together (schema/protocol.md 7.6): each verifies through its
# proof; a changed proof, a proof taken away or moved to another receipt,
# and a proof that is not hex are refused; a receipt signed alone verifies.
set -u
irbus=$1
mk=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { # check DESCRIPTION WANT_STATUS FILE...
    what=$1 want=$2
    shift 2
    "$irbus" receipt verify --broker-key "$dir/broker.pub" "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, want $want"; cat "$dir/out" "$dir/err"; fail=1
    else
        echo "ok: $what"
    fi
}

"$mk" "$dir" || { echo "FAIL: mkreceipts"; exit 1; }
check "three receipts of one batch" 0 "$dir/batch-1.json" "$dir/batch-2.json" "$dir/batch-3.json"
[ "$(grep -c '^valid' "$dir/out")" = 3 ] || { echo "FAIL: not three valid lines"; cat "$dir/out"; fail=1; }
check "a receipt signed alone" 0 "$dir/alone.json"
# the proof's last hex digit changed (its last sibling)
p2=$(sed -n 's/.*"proof": "\([0-9a-f]*\)".*/\1/p' "$dir/batch-2.json")
case "$p2" in *0) p2x="${p2%?}1" ;; *) p2x="${p2%?}0" ;; esac
sed "s/$p2/$p2x/" "$dir/batch-2.json" >"$dir/t.json"
cmp -s "$dir/t.json" "$dir/batch-2.json" && { echo "FAIL: the proof was not changed"; fail=1; }
check "a changed proof" 65 "$dir/t.json"
sed 's/, "proof": "[0-9a-f]*"//' "$dir/batch-2.json" >"$dir/t.json"
check "the proof taken away" 65 "$dir/t.json"
p1=$(sed -n 's/.*"proof": "\([0-9a-f]*\)".*/\1/p' "$dir/batch-1.json")
sed "s/\"proof\": \"[0-9a-f]*\"/\"proof\": \"$p1\"/" "$dir/batch-2.json" >"$dir/t.json"
check "another receipt's proof" 65 "$dir/t.json"
sed 's/"proof": "[0-9a-f]*"/"proof": "zz"/' "$dir/batch-2.json" >"$dir/t.json"
check "a proof that is not hex" 65 "$dir/t.json"
grep -q "proof" "$dir/err" || { echo "FAIL: the error does not name the proof"; cat "$dir/err"; fail=1; }
exit $fail
