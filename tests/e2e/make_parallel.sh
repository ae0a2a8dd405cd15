#!/bin/bash
# e2e: make -j2 runs independent recipes two at a time through its jobserver, with the host's output.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v make >/dev/null || skip "make not installed"
mk=$(command -v make)
# Not `make -f -`: GNU make copies a makefile read from stdin into /tmp,
# which is read-only in the sandbox. The sandbox sees the host's tree, so
# it reads the makefile where the script wrote it.
cat >"$WORK/Makefile" <<'MK'
.PHONY: all a b c d
all: a b c d
	@echo all done
a b c d:
	@echo start $@; sleep 0.1; echo end $@
MK
chmod 755 "$WORK"
chmod 644 "$WORK/Makefile"
native n "$mk" -j2 -f "$WORK/Makefile" all
sandboxed s -- "$mk" -j2 -f "$WORK/Makefile" all
[ "$(cat "$WORK/n.rc")" = 0 ] || fail "natively make exited $(cat "$WORK/n.rc") (test is broken): $(head -c 500 "$WORK/n.err")"
[ "$(cat "$WORK/s.rc")" = 0 ] || fail "sandboxed make exited $(cat "$WORK/s.rc"); stderr: $(head -c 1000 "$WORK/s.err")"
# Parallel recipes interleave: compare the sorted lines, and that "all" is last.
sort "$WORK/n.out" >"$WORK/n.sorted"
sort "$WORK/s.out" >"$WORK/s.sorted"
same_file "$WORK/n.sorted" "$WORK/s.sorted" "sorted make output"
[ "$(wc -l <"$WORK/s.out")" = 9 ] || fail "want 9 lines, got: $(cat "$WORK/s.out")"
[ "$(tail -n 1 "$WORK/s.out")" = "all done" ] || fail "\"all done\" is not last: $(cat "$WORK/s.out")"

# `make -f -` (the makefile on stdin) once the sandbox's /tmp takes files.
probe=$(timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "$CVISOR" "do" $PLATFORM_FLAG -- /usr/bin/mktemp -p /tmp 2>/dev/null) || exit 0
# Were the file to land on the host, it is ours to remove.
case $probe in /tmp/tmp.*) rm -f "$probe" ;; esac
for side in n s; do
	if [ $side = n ]; then run=("${CLEAN_ENV[@]}"); else run=("${CLEAN_ENV[@]}" "$CVISOR" "do" $PLATFORM_FLAG --); fi
	(timeout -k 5 "$CMD_TIMEOUT" "${run[@]}" "$mk" -j2 -f - all <"$WORK/Makefile" >"$WORK/$side.stdin.out" 2>"$WORK/$side.stdin.err"
		echo $? >"$WORK/$side.stdin.rc") 2>/dev/null
done
[ "$(cat "$WORK/s.stdin.rc")" = 0 ] || fail "sandboxed make -f - exited $(cat "$WORK/s.stdin.rc"); stderr: $(head -c 1000 "$WORK/s.stdin.err")"
sort "$WORK/n.stdin.out" >"$WORK/n.stdin.sorted"
sort "$WORK/s.stdin.out" >"$WORK/s.stdin.sorted"
same_file "$WORK/n.stdin.sorted" "$WORK/s.stdin.sorted" "sorted output of make -f -"
