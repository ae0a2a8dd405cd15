#!/bin/bash
# The OCI lifecycle driven directly on a busybox bundle: create (pid file,
# state), start, exec exit codes, ps, pause/resume, kill, delete twice,
# run, a missing executable, the console socket; nothing left behind.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/oci.sh"
need_cvisor

oci_bundle a b r t

# config ARGS_JSON [TERMINAL]: a spec-like config.json for the bundle.
config() {
	cat >"$B/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"terminal": ${2:-false}, "user": {"uid": 0, "gid": 0}, "args": $1,
   "env": ["PATH=/bin", "HOME=/root"], "cwd": "/"},
 "root": {"path": "rootfs"}, "hostname": "cvbox",
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]}}
JSON
}

status_of() {
	"${C[@]}" state "$1" | sed -n 's/.*"status": "\(.*\)".*/\1/p'
}

# --- create / start / exec / ps ---
config '["sleep", "1000"]'
"${C[@]}" create --pid-file "$WORK/a.pid" --bundle "$B" a >"$WORK/out" 2>&1 ||
	fail "create: $(cat "$WORK/out")"
pid=$(cat "$WORK/a.pid")
[[ $pid =~ ^[0-9]+$ ]] || fail "pid file not bare digits: [$pid]"
expect "pid file bytes" "${#pid}" "$(stat -c %s "$WORK/a.pid")"
kill -0 "$pid" || fail "pid $pid from the pid file is not running"
expect "state after create" created "$(status_of a)"
expect "start output" "" "$("${C[@]}" start a 2>&1)"
expect "state after start" running "$(status_of a)"
expect "exec echo" "hi there" "$("${C[@]}" exec a echo hi there 2>&1)"
expect "exec hostname" cvbox "$("${C[@]}" exec a hostname 2>&1)"
"${C[@]}" exec a sh -c 'exit 3'
expect "exec exit status" 3 $?
"${C[@]}" exec a sh -c 'kill -9 $$'
expect "exec killed by SIGKILL" 137 $?
"${C[@]}" exec --env FOO=bar a sh -c 'echo $FOO'>"$WORK/out" 2>&1
expect "exec --env" bar "$(cat "$WORK/out")"
expect "ps json" "[$pid]" "$("${C[@]}" ps --format json a)"
"${C[@]}" ps a >"$WORK/out" || fail "ps table failed"
expect "ps table header" "UID        PID  PPID  C STIME TTY          TIME CMD" "$(head -1 "$WORK/out")"
grep -Eq '^0 +1 +0 .* sleep$' "$WORK/out" || fail "ps table: no init line: $(cat "$WORK/out")"

# exec --detach: the pid-file process lives as long as the process inside.
cat >"$WORK/proc.json" <<'JSON'
{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "exit 5"],
 "env": ["PATH=/bin"], "cwd": "/"}
JSON
(
	"${C[@]}" exec --process "$WORK/proc.json" --detach --pid-file "$WORK/e.pid" a ||
		exit 100
	# Our shell is no subreaper: wait for the shim by polling.
	for _ in $(seq 200); do kill -0 "$(cat "$WORK/e.pid")" 2>/dev/null || exit 0; sleep 0.05; done
	exit 101
)
expect "exec --detach" 0 $?
epid=$(cat "$WORK/e.pid")
[[ $epid =~ ^[0-9]+$ ]] || fail "exec pid file not bare digits: [$epid]"

# --- pause / resume ---
"${C[@]}" pause a || fail "pause failed"
expect "state after pause" paused "$(status_of a)"
"${C[@]}" resume a || fail "resume failed"
expect "state after resume" running "$(status_of a)"
expect "exec after resume" ok "$("${C[@]}" exec a echo ok 2>&1)"
"${C[@]}" events --stats a >"$WORK/out" || fail "events --stats failed"
grep -q '^{"type":"stats","id":"a","data":{' "$WORK/out" || fail "events: $(cat "$WORK/out")"

# --- kill / delete ---
"${C[@]}" delete a >"$WORK/out" 2>&1 && fail "delete of a running container succeeded"
"${C[@]}" kill a 15 || fail "kill 15 failed"
for _ in $(seq 100); do [ "$(status_of a)" = stopped ] && break; sleep 0.05; done
expect "state after kill 15" stopped "$(status_of a)"
"${C[@]}" kill a KILL >"$WORK/out" 2>&1 && fail "kill of a stopped container succeeded"
grep -q "container not running" "$WORK/out" || fail "kill stopped: $(cat "$WORK/out")"
"${C[@]}" delete a || fail "delete failed"
"${C[@]}" delete a >"$WORK/out" 2>&1 && fail "second delete succeeded"
grep -q "does not exist" "$WORK/out" || fail "second delete: $(cat "$WORK/out")"
"${C[@]}" delete --force a || fail "delete --force of a gone container failed"
"${C[@]}" kill nosuch 9 >"$WORK/out" 2>&1 && fail "kill of an unknown id succeeded"
grep -q "does not exist" "$WORK/out" || fail "kill unknown: $(cat "$WORK/out")"

# The same id again, killed with SIGKILL by name.
"${C[@]}" create --bundle "$B" a >/dev/null 2>&1 || fail "create of a reused id failed"
"${C[@]}" start a || fail "start of a reused id failed"
"${C[@]}" kill a SIGKILL || fail "kill SIGKILL failed"
expect "state after SIGKILL" stopped "$(status_of a)"
"${C[@]}" delete a || fail "delete after SIGKILL failed"

# --- run: the container's status, nothing left ---
config '["sh", "-c", "echo run-out; exit 7"]'
out=$("${C[@]}" run --bundle "$B" r 2>&1)
expect "run exit status" 7 $?
expect "run output" run-out "$out"

# --- a missing executable: an error podman maps to 127, nothing left ---
config '["nosuchcmd"]'
"${C[@]}" create --bundle "$B" b >"$WORK/out" 2>&1 && fail "create with a missing executable succeeded"
grep -q 'executable file not found in \$PATH' "$WORK/out" || fail "missing executable: $(cat "$WORK/out")"
[ ! -e "$ROOT/b" ] || fail "state of a failed create left behind"

# --- console socket: the pty master comes back over it ---
config '["sh", "-c", "tty; echo via-pty"]' true
python3 - "$WORK/console.sock" "$WORK/pty.out" <<'PY' &
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[1] + ".ready", "w").close()
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_SPACE(fds.itemsize))
fds.frombytes(anc[0][2][:fds.itemsize])
data = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    data += d
open(sys.argv[2], "wb").write(data)
PY
recv=$!
for _ in $(seq 100); do [ -e "$WORK/console.sock.ready" ] && break; sleep 0.05; done
"${C[@]}" create --bundle "$B" --console-socket "$WORK/console.sock" t >"$WORK/out" 2>&1 ||
	fail "create with a console socket: $(cat "$WORK/out")"
"${C[@]}" start t || fail "start of the terminal container failed"
wait $recv || fail "console receiver failed"
grep -q via-pty "$WORK/pty.out" || fail "no output through the pty: $(cat "$WORK/pty.out")"
"${C[@]}" delete --force t || fail "delete of the terminal container failed"

no_oci_leftovers "$ROOT"
echo PASS
