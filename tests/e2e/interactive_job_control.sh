#!/bin/bash
# e2e: an interactive bash on a real terminal (tmux): background jobs, ^Z,
# bg, ^C of a foreground job, and terminal input reaching a reader.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v tmux >/dev/null || skip "tmux not installed"
[ -x /bin/bash ] || skip "/bin/bash not installed"

sock=$WORK/tmux.sock
t() { tmux -S "$sock" "$@"; }
cleanup() {
	t kill-server 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

t new-session -d -s e2e -x 100 -y 40 \
	"${CLEAN_ENV[*]} $CVISOR do $PLATFORM_FLAG -- /bin/bash --norc --noprofile -i; echo EXIT=\$?; sleep 60"
# Waits until the pane shows $1 (the shell is slower to start sandboxed).
await() {
	for _ in $(seq 100); do
		t capture-pane -t e2e -p | grep -q -- "$1" && return 0
		sleep 0.1
	done
	echo "--- pane ---"
	t capture-pane -t e2e -p
	fail "timed out waiting for: $1"
}
send() { t send-keys -t e2e "$@"; }

await '#'
send 'sleep 30' Enter
sleep 0.5
send C-z
await 'Stopped'
send 'bg; echo BG-DONE' Enter
await 'BG-DONE'
send 'jobs' Enter
await 'Running'
send 'sleep 40' Enter
sleep 0.5
send C-c
send 'echo status=$?' Enter
await 'status=130'
send 'kill %1; wait; echo KILLED' Enter
await 'KILLED'
send 'cat' Enter
sleep 0.3
send 'typed-line' Enter
send C-d
send 'echo CAT-DONE' Enter
await 'CAT-DONE'
# Once as the terminal echoes it, once as cat writes it back.
[ "$(t capture-pane -t e2e -p | grep -c '^typed-line$')" -ge 2 ] || fail "cat did not echo the line"
send 'exit 3' Enter
await 'EXIT=3'
exit 0
