#!/bin/bash
# e2e: ls -la /etc (a dynamic binary: loader, statx, getdents, locale files) matches the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
# Times are the one thing that may legitimately differ (atime of files the
# run itself reads); --time-style=+ prints none.
compare ls /bin/ls -la --time-style=+ /etc
[ -s "$WORK/ls.sandbox.out" ] || fail "empty listing"
grep -q ' passwd$' "$WORK/ls.sandbox.out" || fail "passwd missing from the listing"
