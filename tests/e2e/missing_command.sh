#!/bin/bash
# e2e: a missing executable exits 127 with exactly one line on stderr, by path or by name.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
check() {
	local what=$1
	sandboxed m -- "$what"
	[ "$(cat "$WORK/m.rc")" = 127 ] || fail "$what: exit status $(cat "$WORK/m.rc"), want 127"
	[ "$(wc -l <"$WORK/m.err")" = 1 ] || fail "$what: stderr is not one line: $(head -c 1000 "$WORK/m.err")"
	grep -qF "$what: executable file not found in \$PATH" "$WORK/m.err" ||
		fail "$what: unexpected message: $(cat "$WORK/m.err")"
	[ ! -s "$WORK/m.out" ] || fail "$what: unexpected stdout: $(head -c 500 "$WORK/m.out")"
}
check /nope
command -v nosuchcmd >/dev/null 2>&1 && skip "a nosuchcmd exists in PATH"
check nosuchcmd
