#!/bin/bash
# e2e: python3 multiprocessing.Pool(2).map (worker processes, pipes, semaphores) gives the host's result.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"
prog='
import multiprocessing
def square(x):
    return x * x
if __name__ == "__main__":
    with multiprocessing.Pool(2) as p:
        print(p.map(square, range(10)))
'
native mp.native /usr/bin/python3 -c "$prog"
sandboxed mp.sandbox -- /usr/bin/python3 -c "$prog"
# Pool's locks are POSIX semaphores: files in the sentry's /dev/shm tmpfs.
compare mp /usr/bin/python3 -c "$prog"
grep -qxF '[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]' "$WORK/mp.sandbox.out" ||
	fail "Pool.map printed: $(head -c 300 "$WORK/mp.sandbox.out")"
