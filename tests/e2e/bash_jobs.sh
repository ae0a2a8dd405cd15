#!/bin/bash
# e2e: bash job control in a script: background jobs, wait statuses, jobs, kill %N, subshells, $(...), traps.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /bin/bash ] || skip "/bin/bash not installed"
# Output is kept free of pids and of background-output ordering, so the
# native and sandboxed runs can be compared byte for byte.
script='
sleep 30 &
long=$!
(exit 3) &
wait $!
echo "wait \$! status $?"
(sleep 0.1; exit 5) &
echo "jobs: $(jobs -l | wc -l)"
wait %2
echo "wait %2 status $?"
kill %1
wait $long
echo "killed job status $?"
echo "jobs after: $(jobs -l | wc -l)"
(echo in subshell; exit 4)
echo "subshell status $?"
x=$(echo hi | tr a-z A-Z)
echo "substitution $x ${#x}"
trap "echo trapped" USR1
kill -USR1 $$
echo "after the trap"
f() { echo $(( $1 * 2 )); }
echo "function $(f 21)"
{ for i in 3 1 2; do echo $i & done; wait; } | sort | tr "\n" " "
echo
exit 6
'
compare jobs /bin/bash -c "$script"
cat >"$WORK/want" <<'OUT'
wait $! status 3
jobs: 2
wait %2 status 5
killed job status 143
jobs after: 0
in subshell
subshell status 4
substitution HI 2
trapped
after the trap
function 42
1 2 3 
OUT
same_file "$WORK/want" "$WORK/jobs.native.out" "native output (the test is broken)"
[ "$(cat "$WORK/jobs.sandbox.rc")" = 6 ] || fail "exit status $(cat "$WORK/jobs.sandbox.rc"), want 6"
