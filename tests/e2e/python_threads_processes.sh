#!/bin/bash
# e2e: python3 with threads, subprocess.run and os.fork/os.waitpid prints what it prints on the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"
prog='
import os, subprocess, threading
sums = [0] * 8
def work(i):
    sums[i] = sum(range(i * 100000, (i + 1) * 100000))
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("threads", sum(sums), sum(range(800000)))
r = subprocess.run(["/bin/echo", "x"], capture_output=True)
print("subprocess", r.returncode, repr(r.stdout), repr(r.stderr))
r = subprocess.run(["/bin/sh", "-c", "exit 3"])
print("subprocess status", r.returncode)
pid = os.fork()
if pid == 0:
    os._exit(9)
wpid, st = os.waitpid(pid, 0)
print("fork", wpid == pid, os.WIFEXITED(st), os.WEXITSTATUS(st))
'
compare py /usr/bin/python3 -c "$prog"
grep -qx 'threads 319999600000 319999600000' "$WORK/py.sandbox.out" || fail "thread sums: $(head -c 300 "$WORK/py.sandbox.out")"
grep -qx "subprocess 0 b'x\\\\n' b''" "$WORK/py.sandbox.out" || fail "subprocess output: $(cat "$WORK/py.sandbox.out")"
grep -qx 'fork True True 9' "$WORK/py.sandbox.out" || fail "fork/waitpid: $(cat "$WORK/py.sandbox.out")"
