#!/bin/bash
# Runs after the whole suite: no cvisor process, state directory, cgroup or mount of this suite's runs is left on the host.
. "$(dirname "$0")/e2e/lib/common.sh"
# Processes started before the suite belong to someone else's runs.
left=$(leftovers_since "${CVISOR_SUITE_START_TICKS:-0}")
[ -z "$left" ] || fail "cvisor processes left behind: $left"
# Containers: the default state root and the ones the OCI tests use.
for root in /run/cvisor /run/containerd/runc/cvisor-test; do
	[ -d "$root" ] || continue
	ents=$(ls -A "$root")
	[ -z "$ents" ] || fail "container state left under $root: $ents"
done
# Cgroups the runtime made for test containers (cvisor-test-* ids and the
# default /cvisor parent).
cg=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d \( -name 'cvisor-test*' -o -name 'cvt-*' \) 2>/dev/null | head)
[ -z "$cg" ] || fail "cgroups left behind: $cg"
mnt=$(grep -E 'cvisor|cvt-' /proc/self/mountinfo | head)
[ -z "$mnt" ] || fail "mounts left behind: $mnt"
exit 0
