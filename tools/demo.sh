#!/bin/bash
# Demo: runs a few host programs inside the sandbox, each under a header line.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${CVISOR_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
CVISOR=$B/cvisor
[ -x "$CVISOR" ] || { echo "demo: $CVISOR not built (make all)" >&2; exit 1; }

failed=0
# demo TITLE CMD...: CMD is run as given (a cvisor do line, maybe in a pipe).
demo() {
	local title=$1
	shift
	printf '\n=== %s\n$ %s\n' "$title" "$*"
	bash -o pipefail -c "$*"
	local rc=$?
	if [ "$rc" != 0 ]; then
		printf '=== FAILED (exit status %s)\n' "$rc"
		failed=1
	fi
}

# The head closes the pipe early; ls must not count as failed for it.
demo "a dynamic program listing a directory" \
	"$CVISOR do -- /bin/ls -la /etc | head -n 12; test \${PIPESTATUS[0]} = 0 -o \${PIPESTATUS[0]} = 141"
demo "a symlink resolved in the sentry, file contents through the gofer" \
	"$CVISOR do -- /bin/cat /etc/os-release"
demo "python3 starting up and walking /usr" \
	"$CVISOR do -- /usr/bin/python3 -c 'import os, platform; print(platform.system(), os.getpid(), sorted(os.listdir(\"/usr\")))'"
demo "processes: a pipeline and a background job, all inside the sandbox" \
	"$CVISOR do -- /bin/sh -c 'seq 1 100000 | sort -rn | head -3; (cd /etc && ls | wc -l) & wait'"
demo "threads: eight python threads, then a child process" \
	"$CVISOR do -- /usr/bin/python3 -c 'import threading, subprocess; r=[0]*8; ts=[threading.Thread(target=lambda i=i: r.__setitem__(i, sum(range(i*1000)))) for i in range(8)]; [t.start() for t in ts]; [t.join() for t in ts]; print(sum(r)); print(subprocess.run([\"/bin/echo\", \"child ok\"], capture_output=True, text=True).stdout.strip())'"
echo
[ "$failed" = 0 ] && echo "demo: all commands succeeded" || echo "demo: some commands failed" >&2
exit "$failed"
