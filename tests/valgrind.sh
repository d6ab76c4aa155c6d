#!/bin/sh
# valgrind.sh [BUILD_DIR] - run irbusd under valgrind memcheck through the
# integration tests and the demo, and the unit tests under memcheck too.
# Prints one line per run and exits non-zero if valgrind reported anything
# (memory errors, or definite/indirect leaks at a clean shutdown). Slow: run
# by hand, not in CI. Needs a plain build (no sanitizers).
set -u
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
command -v valgrind >/dev/null || { echo "valgrind.sh: install valgrind" >&2; exit 69; }
work=$(mktemp -d "${TMPDIR:-/tmp}/irb-vg-XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/irbusd" <<WRAP
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --log-file="$work/broker.%p.log" "$build/broker/irbusd" "\$@"
WRAP
chmod +x "$work/irbusd"
fail=0
note() { printf '%-28s %s\n' "$1" "$2"; }

for t in 10-security 20-durability; do
    if IRB_KILL_CYCLES=5 "$build/tests/integration/itest_$t" "$work/irbusd" >"$work/$t.out" 2>&1; then
        note "$t (irbusd in memcheck)" passed
    else
        note "$t (irbusd in memcheck)" FAILED; tail -5 "$work/$t.out"; fail=1
    fi
done
if sh tests/demo/run_demo.sh deploy/demo.sh "$build/client/irbus" "$work/irbusd" "$work/demo" \
    >"$work/demo.out" 2>&1; then
    note "demo (irbusd in memcheck)" passed
else
    note "demo (irbusd in memcheck)" FAILED; tail -5 "$work/demo.out"; fail=1
fi
nlogs=0
for log in "$work"/broker.*.log; do
    [ -f "$log" ] || continue
    nlogs=$((nlogs + 1))
    if [ -s "$log" ]; then
        echo "valgrind reported in irbusd:"; cat "$log"; fail=1
    fi
done
note "irbusd runs under memcheck" "$nlogs, reports in $(grep -l . "$work"/broker.*.log 2>/dev/null | wc -l)"

# Unit tests in memcheck. test_hostile's RSS bound counts valgrind's own
# memory, so only valgrind's verdict (exit 99) counts for it.
for t in test_mp test_wire test_vectors test_hostile test_sign test_keys test_client \
    test_broker_modules; do
    valgrind --quiet --error-exitcode=99 --leak-check=full "$build/tests/$t" \
        >"$work/$t.out" 2>&1
    rc=$?
    if [ "$rc" -eq 99 ] || { [ "$rc" -ne 0 ] && [ "$t" != test_hostile ]; }; then
        note "$t (memcheck)" "FAILED (exit $rc)"; tail -20 "$work/$t.out"; fail=1
    else
        note "$t (memcheck)" "no errors"
    fi
done
exit $fail
