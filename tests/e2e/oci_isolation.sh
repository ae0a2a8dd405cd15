#!/bin/bash
# e2e: isolation: a seccomp profile given to the sentry denies what it lists (mkdir -> EPERM) while the rest works; a bundle with memory 64m and pids 20 contains a memory hog and a fork loop (EAGAIN), and its cgroup directories are gone afterwards.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v python3 >/dev/null || skip "python3 is needed to start the gofer and the sentry by hand"

# ---- 1. the application's seccomp profile, through --app-seccomp-fd ----
# The sentry and the gofer started directly (as the lifecycle does), with
# the profile on a pipe.
cat >"$WORK/drive.py" <<'PY'
import os, socket, subprocess, sys
cv, prof, plat = sys.argv[1], sys.argv[2], sys.argv[3]
cmd = sys.argv[4:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
g = subprocess.Popen([cv, '__gofer', '--root=/', '--sock-fd=%d' % a.fileno()], pass_fds=[a.fileno()])
r, w = os.pipe()
os.write(w, open(prof, 'rb').read())
os.close(w)
args = [cv, '__sentry', '--gofer-fd=%d' % b.fileno(), '--app-seccomp-fd=%d' % r, '--cwd=/']
if plat:
    args.append('--platform=' + plat)
s = subprocess.Popen(args + ['--'] + cmd, pass_fds=[b.fileno(), r])
a.close(); b.close(); os.close(r)
rc = s.wait()
g.kill(); g.wait()
sys.exit(rc if rc >= 0 else 128 - rc)
PY
cat >"$WORK/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
 "syscalls": [{"names": ["mkdir", "mkdirat", "not_a_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
              {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
               "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
JSON
d=/tmp/cvisor-iso-$$
timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" python3 "$WORK/drive.py" "$CVISOR" "$WORK/profile.json" \
	"${CVISOR_PLATFORM:-}" /bin/sh -c "mkdir $d; echo mkdir=\$?; echo data > $d.f && cat $d.f; rm $d.f" \
	>"$WORK/sc.out" 2>"$WORK/sc.err" </dev/null
rc=$?
[ "$rc" = 0 ] || fail "seccomp run: exit $rc; stderr: $(head -c 800 "$WORK/sc.err")"
grep -q "Operation not permitted" "$WORK/sc.err" || fail "mkdir was not refused with EPERM: $(cat "$WORK/sc.err")"
printf 'mkdir=1\ndata\n' >"$WORK/sc.want"
cmp -s "$WORK/sc.want" "$WORK/sc.out" || fail "seccomp run printed: $(cat "$WORK/sc.out")"
[ ! -e "$d" ] || fail "$d exists on the host"
echo "ok: seccomp profile: mkdir refused with EPERM, the rest works"

# ---- 2. cgroup limits through a bundle ----
[ "$(id -u)" = 0 ] || skip "cgroup steps need root"
"$CVISOR" run --help 2>&1 | grep -q -- --bundle || skip "cvisor run (lifecycle) is not available yet"
command -v gcc >/dev/null || skip "gcc is needed for the memory hog"
cat >"$WORK/hog.c" <<'C'
/* Touches memory 1 MiB at a time until it fails or reaches 512 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
	for (int i = 0; i < 512; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("ENOMEM after %d MiB\n", i);
			return 3;
		}
		memset(p, 1, 1 << 20);
	}
	printf("not contained\n");
	return 0;
}
C
cat >"$WORK/forks.c" <<'C'
/* Forks children that sleep until fork fails; prints how it failed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	for (int i = 0; i < 200; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			printf("fork %d: %s\n", i, errno == EAGAIN ? "EAGAIN" : strerror(errno));
			fflush(stdout);
			kill(0, SIGKILL);
			return 0;
		}
	}
	printf("no limit\n");
	fflush(stdout);
	kill(0, SIGKILL);
	return 1;
}
C
gcc -O1 -o "$WORK/hog" "$WORK/hog.c" && gcc -O1 -o "$WORK/forks" "$WORK/forks.c" || fail "gcc"
chmod 755 "$WORK" "$WORK/hog" "$WORK/forks"

id=cvisor-iso-$$
cgpath="cvisor-e2e/$id" # relative: under our own cgroup in each hierarchy
bundle="$WORK/bundle"
mkdir -p "$bundle"
# run_bundle RESOURCES ARGS...: cvisor run on a bundle with the host's root,
# read-only, and linux.resources RESOURCES (JSON).
run_bundle() {
	python3 - "$bundle/config.json" "$cgpath" "$@" <<'PY'
import json, sys
path, cg, res, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
json.dump({"ociVersion": "1.0.2",
           "process": {"args": args, "cwd": "/", "env": ["PATH=/usr/bin:/bin"],
                       "user": {"uid": 0, "gid": 0}},
           "root": {"path": "/", "readonly": True},
           "linux": {"cgroupsPath": cg,
                     "resources": res,
                     "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]}},
          open(path, "w"))
PY
	timeout -k 5 60 "$CVISOR" ${CVISOR_PLATFORM:+--platform=$CVISOR_PLATFORM} --root "$WORK/state" \
		run --bundle "$bundle" "$id" </dev/null
}

# (Kept apart: the KVM platform alone needs more than 64 MiB today.)
out=$(run_bundle '{"memory": {"limit": 67108864, "swap": 67108864}}' "$WORK/hog" 2>"$WORK/hog.err")
rc=$?
case "$out" in
*"not contained"*) fail "the memory hog reached 512 MiB under a 64 MiB limit" ;;
esac
# Contained: ENOMEM inside, or the sandbox OOM-killed (137) / failing.
[ "$rc" != 0 ] || fail "memory hog: exit 0 ($out)"
echo "ok: memory hog contained (exit $rc: ${out:-killed})"

out=$(run_bundle '{"pids": {"limit": 20}}' "$WORK/forks" 2>"$WORK/forks.err")
case "$out" in
*EAGAIN*) echo "ok: fork loop: $out" ;;
*) fail "fork loop: $out (exit $?) $(head -c 500 "$WORK/forks.err")" ;;
esac
"$CVISOR" --root "$WORK/state" delete --force "$id" >/dev/null 2>&1

# Nothing left: no directory named for the container in any hierarchy.
sleep 0.2
left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null)
[ -z "$left" ] || fail "cgroup directories left: $left"
echo "ok: cgroup directories removed"
exit 0
