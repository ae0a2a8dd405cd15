#!/bin/bash
# e2e: python3's pty module: pty.fork() runs a shell on a pseudo-terminal
# (tty names it, input is echoed or not, ^C reaches it), as on the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"

cat >"$WORK/run_on_pty.py" <<'PY'
import os, pty, re

def run(argv, wait_for=b"", data=b""):
    """Runs argv on a new pty; writes data once the output shows wait_for."""
    pid, m = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out, fed = b"", not data
    if data and not wait_for:
        os.write(m, data)
        fed = True
    while True:
        try:
            chunk = os.read(m, 1024)
        except OSError:  # EIO: every slave is closed
            break
        if not chunk:
            break
        out += chunk
        if not fed and wait_for in out:
            os.write(m, data)
            fed = True
    os.close(m)
    _, status = os.waitpid(pid, 0)
    text = re.sub(rb"/dev/pts/[0-9]+", b"/dev/pts/N", out).decode()
    print(repr(text), os.waitstatus_to_exitcode(status))

run(["/bin/sh", "-c", "echo hi; tty; test -t 0 && echo stdin-is-a-tty"])
run(["/bin/sh", "-c", "echo ready; read x; echo got:$x"], b"ready", b"hello\n")
run(["/bin/sh", "-c", "stty -echo; echo ready; read x; echo quiet:$x"], b"ready", b"secret\n")
run(["/bin/sh", "-c", "trap 'echo INT; exit 3' INT; echo ready; while :; do sleep 0.1; done"],
    b"ready", b"\x03")
PY
compare pty /usr/bin/python3 "$WORK/run_on_pty.py"
grep -q "stdin-is-a-tty" "$WORK/pty.sandbox.out" || fail "no terminal on stdin: $(cat "$WORK/pty.sandbox.out")"
grep -q "got:hello" "$WORK/pty.sandbox.out" || fail "input did not arrive: $(cat "$WORK/pty.sandbox.out")"
exit 0
