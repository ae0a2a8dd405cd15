#!/bin/bash
# e2e: an unknown flag is rejected with one line on stderr and no process left behind.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
t0=$(now_ticks)
sandboxed b --bogus -- /bin/true
[ "$(cat "$WORK/b.rc")" != 0 ] || fail "exit status 0 for --bogus"
[ "$(wc -l <"$WORK/b.err")" = 1 ] || fail "stderr is not one line: $(head -c 1000 "$WORK/b.err")"
grep -q -- 'bogus' "$WORK/b.err" || fail "the message does not name the flag: $(cat "$WORK/b.err")"
left=$(leftovers_since "$t0")
[ -z "$left" ] || fail "processes left behind: $left"
