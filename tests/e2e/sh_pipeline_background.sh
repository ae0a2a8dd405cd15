#!/bin/bash
# e2e: sh runs a three-process pipeline and a background subshell it waits for, as on the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
compare pipe /bin/sh -c 'seq 1 100000 | sort -rn | head -3; (cd /etc && ls | wc -l) & wait'
printf '100000\n99999\n99998\n' >"$WORK/want"
head -n 3 "$WORK/pipe.sandbox.out" >"$WORK/got"
same_file "$WORK/want" "$WORK/got" "the first three lines (sorted numbers)"
