#!/bin/bash
# e2e: stdout and stderr of the application reach the host's fds 1 and 2, separately.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
cmd=(/bin/sh -c 'echo hello; echo err >&2')
native n "${cmd[@]}"
sandboxed s -- "${cmd[@]}"
[ "$(cat "$WORK/s.rc")" = 0 ] || fail "exit status $(cat "$WORK/s.rc"); stderr: $(head -c 500 "$WORK/s.err")"
printf 'hello\n' >"$WORK/want.out"
printf 'err\n' >"$WORK/want.err"
same_file "$WORK/want.out" "$WORK/n.out" "native stdout (test is broken)"
same_file "$WORK/n.out" "$WORK/s.out" "stdout"
same_file "$WORK/n.err" "$WORK/s.err" "stderr"
