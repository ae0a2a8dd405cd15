#!/bin/bash
# e2e: --strace logs the application's syscalls on stderr and leaves its stdout alone.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
native n /bin/cat /etc/os-release
sandboxed s --strace -- /bin/cat /etc/os-release
[ "$(cat "$WORK/s.rc")" = 0 ] || fail "exit status $(cat "$WORK/s.rc"); stderr: $(tail -c 1000 "$WORK/s.err")"
same_file "$WORK/n.out" "$WORK/s.out" "stdout under --strace"
for call in 'openat(' 'read(' 'exit_group('; do
	grep -qF "$call" "$WORK/s.err" || fail "no line with $call in the --strace output: $(tail -c 1000 "$WORK/s.err")"
done
# The file the application opened is named in the log.
grep -F 'openat(' "$WORK/s.err" | grep -qF 'os-release' || fail "openat of os-release not logged"
