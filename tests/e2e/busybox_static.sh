#!/bin/bash
# e2e: a static binary (busybox: no loader, no libc from the rootfs) runs its applets.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
bb=/bin/busybox
[ -x "$bb" ] || skip "busybox not installed (apt-get install busybox-static)"
if command -v readelf >/dev/null && readelf -l "$bb" | grep -q INTERP; then
	skip "$bb is dynamically linked (install busybox-static)"
fi
sandboxed e -- "$bb" echo hi
[ "$(cat "$WORK/e.rc")" = 0 ] || fail "busybox echo: exit status $(cat "$WORK/e.rc"); stderr: $(head -c 500 "$WORK/e.err")"
[ "$(cat "$WORK/e.out")" = hi ] || fail "busybox echo printed: $(head -c 200 "$WORK/e.out")"
compare ls "$bb" ls /
compare cat "$bb" cat /etc/passwd
