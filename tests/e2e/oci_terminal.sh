#!/bin/bash
# Terminals and signals of OCI containers: a window-size change on the host
# pty (init's and a --tty exec's) reaches the foreground group inside as
# SIGWINCH with the new size; ^C on an exec's pty and signals sent to a
# detached exec's pid-file process reach the process inside.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/oci.sh"
need_cvisor

oci_bundle term

# Prints the size at start and again at each SIGWINCH.
winch='trap "stty size" WINCH; stty size; while :; do sleep 0.1; done'
python3 - "$B/config.json" "$winch" <<'PY'
import json, sys
json.dump({"ociVersion": "1.0.2",
           "process": {"terminal": True, "consoleSize": {"height": 24, "width": 80},
                       "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", sys.argv[2]],
                       "env": ["PATH=/bin"], "cwd": "/"},
           "root": {"path": "rootfs"},
           "linux": {"namespaces": [{"type": t} for t in ("pid", "mount", "uts", "ipc")]}},
          open(sys.argv[1], "w"))
PY

timeout -k 5 120 python3 - "$WORK" "$B" "$winch" "${C[@]}" <<'PY'
import ctypes, fcntl, json, os, select, signal, socket, struct, subprocess, sys, termios, time
work, bundle, winch, cvisor = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
# The exec shims are orphaned by `cvisor exec`: as a subreaper we reap them,
# as conmon and the containerd shim do.
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def console(name):
    path = os.path.join(work, name)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    s.settimeout(30)
    return s, path

def take_master(s):
    c, _ = s.accept()
    _, fds, _, _ = socket.recv_fds(c, 256, 1)
    c.close()
    s.close()
    return fds[0]

def run(*args, **kw):
    return subprocess.run(cvisor + list(args), timeout=30, **kw)

class Pty:
    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def wait_for(self, text, secs=15):
        end = time.time() + secs
        while text.encode() not in self.buf and time.time() < end:
            if select.select([self.fd], [], [], 0.2)[0]:
                try:
                    self.buf += os.read(self.fd, 4096)
                except OSError:
                    break
        return text.encode() in self.buf

    def resize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

def reap(pid, secs=15):
    end = time.time() + secs
    while time.time() < end:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            return os.waitstatus_to_exitcode(st)
        time.sleep(0.05)
    fail("exec shim %d did not exit" % pid)

# init's terminal
s, path = console("init.sock")
create = subprocess.Popen(cvisor + ["create", "--bundle", bundle, "--console-socket", path, "term"])
init = Pty(take_master(s))
if create.wait(30) != 0:
    fail("create failed")
run("start", "term", check=True)
if not init.wait_for("24 80"):
    fail("init: no initial size: %r" % init.buf)
init.resize(40, 100)
if not init.wait_for("40 100"):
    fail("init: no new size after TIOCSWINSZ: %r" % init.buf)
print("ok: init sees the resize")

# a --tty exec: its own pty, resize and ^C
proc = os.path.join(work, "proc.json")
json.dump({"terminal": True, "consoleSize": {"height": 24, "width": 80},
           "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", winch],
           "env": ["PATH=/bin"], "cwd": "/"}, open(proc, "w"))
s, path = console("exec.sock")
pidfile = os.path.join(work, "exec.pid")
ex = subprocess.Popen(cvisor + ["exec", "--process", proc, "--detach", "--tty",
                                "--console-socket", path, "--pid-file", pidfile, "term"])
pty = Pty(take_master(s))
if ex.wait(30) != 0:
    fail("exec --tty failed")
shim = int(open(pidfile).read())
if not pty.wait_for("24 80"):
    fail("exec: no initial size: %r" % pty.buf)
pty.resize(30, 90)
if not pty.wait_for("30 90"):
    fail("exec: no new size after TIOCSWINSZ: %r" % pty.buf)
os.write(pty.fd, b"\x03")
code = reap(shim)
if code != 128 + signal.SIGINT:
    fail("exec: ^C: shim exit %d, want 130" % code)
print("ok: exec --tty sees the resize, ^C ends it (130)")

# signals to a detached exec's pid-file process
json.dump({"terminal": False, "user": {"uid": 0, "gid": 0},
           "args": ["sh", "-c", 'trap "exit 7" TERM; trap "exit 9" HUP; echo up; '
                    'while :; do sleep 0.1; done'],
           "env": ["PATH=/bin"], "cwd": "/"}, open(proc, "w"))
for sig, want in ((signal.SIGTERM, 7), (signal.SIGHUP, 9), (signal.SIGINT, 130)):
    r, w = os.pipe()
    ex = subprocess.Popen(cvisor + ["exec", "--process", proc, "--detach", "--pid-file", pidfile,
                                    "term"], stdout=w)
    os.close(w)
    if ex.wait(30) != 0:
        fail("exec --detach failed")
    if select.select([r], [], [], 15)[0] == [] or os.read(r, 16) != b"up\n":
        fail("exec --detach: process did not start")
    os.close(r)
    shim = int(open(pidfile).read())
    os.kill(shim, sig)
    code = reap(shim)
    if code != want:
        fail("exec: %s to the shim: exit %d, want %d" % (signal.Signals(sig).name, code, want))
    print("ok: %s to the exec shim reaches the process (exit %d)" % (signal.Signals(sig).name, code))

run("delete", "--force", "term", check=True)
PY
rc=$?
[ $rc = 0 ] || fail "terminal checks (exit $rc)"
no_oci_leftovers "$ROOT"
echo PASS
