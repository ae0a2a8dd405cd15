#!/bin/bash
# e2e: what application code runs in on the host: ptrace stubs hold no capability, have no_new_privs and a seccomp filter, and each is pinned to one CPU next to its sentry thread.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ "${CVISOR_PLATFORM:-ptrace}" = ptrace ] || skip "stubs are the ptrace platform's"
"${CLEAN_ENV[@]}" "$CVISOR" do $PLATFORM_FLAG -- /bin/sh -c 'sleep 3; sleep 0' >/dev/null 2>&1 &
launcher=$!
trap 'kill $launcher 2>/dev/null; wait $launcher 2>/dev/null; rm -rf "$WORK"' EXIT
sentry=""
for _ in $(seq 50); do
	sentry=$(pgrep -P "$launcher" -f 'cvisor __sentry' | head -1)
	[ -n "$sentry" ] && [ -n "$(pgrep -P "$sentry")" ] && break
	sleep 0.1
done
[ -n "$sentry" ] || fail "no sentry under launcher $launcher"
sleep 0.5
stubs=$(pgrep -P "$sentry")
[ -n "$stubs" ] || fail "no stub processes under the sentry $sentry"
ncpu=$(nproc)
for s in $stubs; do
	st=/proc/$s/status
	[ -r "$st" ] || continue
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(awk -v f="$f:" '$1 == f {print $2}' "$st")
		[ "$v" = 0000000000000000 ] || fail "stub $s: $f is $v, not 0"
	done
	[ "$(awk '$1 == "NoNewPrivs:" {print $2}' "$st")" = 1 ] || fail "stub $s: no_new_privs is off"
	[ "$(awk '$1 == "Seccomp:" {print $2}' "$st")" = 2 ] || fail "stub $s: no seccomp filter"
	for t in /proc/$s/task/*; do
		cpus=$(awk '$1 == "Cpus_allowed_list:" {print $2}' "$t/status")
		case $cpus in *-* | *,*) ;; *) pinned=$((${pinned:-0} + 1)) ;; esac
	done
done
# The thread running the shell is pinned (spare threads and the factory's
# pool of fresh stubs run nothing yet and are not).
[ "$ncpu" -le 1 ] || [ "${pinned:-0}" -ge 1 ] || fail "no stub thread is pinned to a CPU"
exit 0
