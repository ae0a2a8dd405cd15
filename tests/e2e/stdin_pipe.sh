#!/bin/bash
# e2e: the application reads the host's stdin (a pipe, then a file).
. "$(dirname "$0")/lib/common.sh"
need_cvisor
out=$(echo abc | timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "$CVISOR" "do" $PLATFORM_FLAG -- /bin/cat)
rc=$?
[ "$rc" = 0 ] || fail "exit status $rc"
[ "$out" = abc ] || fail "printed '$out', want 'abc'"
timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "$CVISOR" "do" $PLATFORM_FLAG -- /bin/cat \
	</etc/passwd >"$WORK/f.out" || fail "cat < /etc/passwd: exit status $?"
same_file /etc/passwd "$WORK/f.out" "cat of stdin redirected from /etc/passwd"
# End of input on an empty stdin.
out=$(timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "$CVISOR" "do" $PLATFORM_FLAG -- /bin/cat </dev/null)
[ $? = 0 ] && [ -z "$out" ] || fail "cat < /dev/null: '$out'"
