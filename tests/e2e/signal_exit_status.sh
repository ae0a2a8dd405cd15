#!/bin/bash
# e2e: an application killed by a signal makes cvisor exit 128+signal (SIGSEGV: 139).
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v cc >/dev/null || skip "no C compiler"
cat >"$WORK/segv.c" <<'C'
int main(void)
{
	*(volatile int *)0 = 0;
	return 0;
}
C
cc -O0 -o "$WORK/segv" "$WORK/segv.c" || fail "cannot compile the crashing program"
# The binary must be readable by the sandbox, which sees the host's tree.
chmod 755 "$WORK" "$WORK/segv"
native n "$WORK/segv"
[ "$(cat "$WORK/n.rc")" = 139 ] || fail "natively exit $(cat "$WORK/n.rc"), want 139 (test is broken)"
sandboxed s -- "$WORK/segv"
[ "$(cat "$WORK/s.rc")" = 139 ] || fail "sandboxed exit $(cat "$WORK/s.rc"), want 139; stderr: $(head -c 500 "$WORK/s.err")"
