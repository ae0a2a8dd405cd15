#!/bin/bash
# e2e: the application's exit status becomes cvisor's (sh -c 'exit 7', true, false).
. "$(dirname "$0")/lib/common.sh"
need_cvisor
for c in 'exit 7:7' 'exit 0:0' 'exit 255:255' 'true:0' 'false:1'; do
	sandboxed st -- /bin/sh -c "${c%:*}"
	[ "$(cat "$WORK/st.rc")" = "${c##*:}" ] ||
		fail "sh -c '${c%:*}' exited $(cat "$WORK/st.rc"), want ${c##*:}; stderr: $(head -c 500 "$WORK/st.err")"
done
sandboxed t -- /bin/true
[ "$(cat "$WORK/t.rc")" = 0 ] || fail "/bin/true exited $(cat "$WORK/t.rc")"
sandboxed f -- /bin/false
[ "$(cat "$WORK/f.rc")" = 1 ] || fail "/bin/false exited $(cat "$WORK/f.rc")"
