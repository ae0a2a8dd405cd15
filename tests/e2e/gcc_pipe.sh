#!/bin/bash
# e2e: gcc drives cc1 through a pipe and prints the same assembly for a program read from stdin.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v gcc >/dev/null || skip "gcc not installed"
gcc=$(command -v gcc)
printf 'int main(){return 42;}\n' >"$WORK/in.c"
# compare() gives the command /dev/null as stdin: this one reads the program.
# The root filesystem is read-only: -pipe and -o - keep gcc off /tmp.
cmd=("$gcc" -pipe -S -o - -x c -)
(timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "${cmd[@]}" <"$WORK/in.c" >"$WORK/n.out" 2>"$WORK/n.err"
	echo $? >"$WORK/n.rc") 2>/dev/null
(timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "$CVISOR" "do" $PLATFORM_FLAG -- "${cmd[@]}" \
	<"$WORK/in.c" >"$WORK/s.out" 2>"$WORK/s.err"
	echo $? >"$WORK/s.rc") 2>/dev/null
[ "$(cat "$WORK/n.rc")" = 0 ] || fail "natively gcc exited $(cat "$WORK/n.rc") (test is broken): $(head -c 500 "$WORK/n.err")"
[ "$(cat "$WORK/s.rc")" = 0 ] || fail "sandboxed gcc exited $(cat "$WORK/s.rc"); stderr: $(head -c 1000 "$WORK/s.err")"
same_file "$WORK/n.out" "$WORK/s.out" "assembly"
grep -q 'movl	\$42, %eax' "$WORK/s.out" || fail "no 'movl \$42, %eax' in the assembly"
