#!/bin/bash
# Benchmarks: per-syscall and start-up costs natively vs sandboxed, against the raw PTRACE_SYSEMU limit.
#
# Builds nothing (`make bench` does). Medians of 5 runs (20 for start-up).
# Env: CVISOR_BUILD (default build), BENCH_RUNS (5), BENCH_STARTS (20),
# BENCH_OCI_STARTS (5), BENCH_OCI_ONLY=1 (only the OCI start-up table).
set -u

PLATFORMS=${CVISOR_PLATFORMS:-"ptrace kvm"}
# kvm needs /dev/kvm.
[ -c /dev/kvm ] || PLATFORMS=$(echo "$PLATFORMS" | sed "s/kvm//")
RUNS=${BENCH_RUNS:-5}
STARTS=${BENCH_STARTS:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
B=${CVISOR_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
CVISOR=$B/cvisor
# Sandboxed iterations are fewer: each costs microseconds, not nanoseconds.
GETPID_N_NATIVE=1000000
GETPID_N_SANDBOX=100000
OPEN_N_NATIVE=100000
OPEN_N_SANDBOX=10000
# Process, pipe and futex round trips (sandboxed counts keep a run under ~2 s).
FORK_N_NATIVE=2000
FORK_N_SANDBOX=300
FORKEXEC_N_NATIVE=300
FORKEXEC_N_SANDBOX=100
PIPE1_N_NATIVE=20000
PIPE1_N_SANDBOX=5000
PIPE64K_N_NATIVE=5000
PIPE64K_N_SANDBOX=5000
FUTEX_N_NATIVE=20000
FUTEX_N_SANDBOX=20000

tmp=$(mktemp -d /tmp/cvisor-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

median() {
	sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# metric KEY CMD...: median over $RUNS of the number CMD prints after "KEY ".
metric() {
	local key=$1 i out
	shift
	for ((i = 0; i < RUNS; i++)); do
		out=$(timeout -k 5 120 "$@" 2>"$tmp/err" </dev/null) || {
			echo "bench: $* failed: $(head -c 300 "$tmp/err")" >&2
			return
		}
		echo "$out" | awk -v k="$key" '$1 == k {print $2}'
	done | median
}

# startup CMD...: median start-to-exit time in microseconds over $STARTS runs.
startup() {
	local i t0 t1
	for ((i = 0; i < STARTS; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>"$tmp/err" </dev/null || {
			echo "bench: $* failed: $(head -c 300 "$tmp/err")" >&2
			return
		}
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | median
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a";
		else printf "%.2fx\n", a / b }'
}

have_cvisor() {
	[ -x "$CVISOR" ]
}

# A busybox bundle for crun: /bin/true and nothing else.
crun_startup() {
	command -v crun >/dev/null || { echo n/a; return; }
	[ -x /bin/busybox ] || { echo n/a; return; }
	b=$tmp/bundle
	mkdir -p "$b/rootfs/bin"
	cp /bin/busybox "$b/rootfs/bin/busybox"
	ln -s busybox "$b/rootfs/bin/true"
	(cd "$b" && crun spec >/dev/null 2>&1) || { echo n/a; return; }
	/usr/bin/python3 - "$b/config.json" <<'PY' || { echo n/a; return; }
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["root"]["readonly"] = True
json.dump(c, open(p, "w"))
PY
	export b tmp STARTS
	export -f crun_loop
	# crun refuses hybrid cgroups when the v2 hierarchy has controllers
	# (this machine's: hugetlb); it runs in a private mount namespace with
	# that hierarchy hidden, which changes nothing it measures.
	if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
		unshare -m bash -c 'umount /sys/fs/cgroup/unified 2>/dev/null; crun_loop'
	else
		crun_loop
	fi | median
}

crun_loop() {
	local i t0 t1
	for ((i = 0; i < STARTS; i++)); do
		t0=$(date +%s%N)
		crun run --bundle "$b" "cvisor-bench-$$-$i" >/dev/null 2>"$tmp/err" </dev/null || {
			echo "bench: crun run failed: $(head -c 300 "$tmp/err")" >&2
			crun delete -f "cvisor-bench-$$-$i" >/dev/null 2>&1
			return
		}
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done
}

echo "cvisor benchmarks: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), medians of $RUNS runs" >&2
have_cvisor || echo "bench: $CVISOR not built: sandboxed columns are n/a" >&2

# Each platform's physical limit: a bare trap round trip measured by a tiny
# program of its own (a ptrace tracer; a KVM guest doing port I/O).
declare -A raw
raw_of() {
	local key=$1 prog=$B/bench/$2
	if [ -x "$prog" ]; then
		metric "$key" "$prog"
	else
		echo "bench: $prog not built" >&2
		echo n/a
	fi
}
if [ -z "${BENCH_OCI_ONLY:-}" ]; then
raw[ptrace]=$(raw_of sysemu_roundtrip_ns sysemu_raw)
raw[kvm]=$(raw_of kvm_exit_roundtrip_ns kvm_raw)

declare -A val
val[getpid,native]=$(metric getpid_ns "$B/bench/getpid_loop" $GETPID_N_NATIVE)
val[open,native]=$(metric openfstatclose_ns "$B/bench/openstat_loop" $OPEN_N_NATIVE)
val[start,native]=$(startup /bin/true)
val[fork,native]=$(metric fork_ns "$B/bench/fork_loop" $FORK_N_NATIVE)
val[forkexec,native]=$(metric forkexec_ns "$B/bench/forkexec_loop" $FORKEXEC_N_NATIVE)
val[pipe1,native]=$(metric pipe1_ns "$B/bench/pipe_pingpong" 1 $PIPE1_N_NATIVE)
val[pipe64k,native]=$(metric pipe64k_ns "$B/bench/pipe_pingpong" 65536 $PIPE64K_N_NATIVE)
val[futex,native]=$(metric futex_ns "$B/bench/futex_pingpong" $FUTEX_N_NATIVE)
val[fault,native]=$(metric pagefault_ns "$B/bench/pagefault_loop" 65536)
# File-system rows: natively in a scratch directory under /tmp; sandboxed in
# the sandbox's /tmp, which is the overlay's in-memory upper layer.
FS=$B/bench/fs_loop
mkdir -p "$tmp/fs" "$tmp/rd"
val[stat,native]=$(metric stat_ns "$FS" stat 20000)
val[openread,native]=$(metric openread_ns "$FS" openread 5000)
val[seqwrite,native]=$(metric seqwrite_mbs "$FS" seqio "$tmp/fs" 256)
val[seqread,native]=$(metric seqread_mbs "$FS" seqio "$tmp/fs" 256)
val[createunlink,native]=$(metric createunlink_ns "$FS" createunlink "$tmp/fs" 2000)
val[readdir,native]=$(metric readdir_ns "$FS" readdir "$tmp/rd" 10000)
for p in $PLATFORMS; do
	if have_cvisor; then
		val[getpid,$p]=$(metric getpid_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/getpid_loop" $GETPID_N_SANDBOX)
		val[open,$p]=$(metric openfstatclose_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/openstat_loop" $OPEN_N_SANDBOX)
		val[start,$p]=$(startup "$CVISOR" "do" --platform="$p" -- /bin/true)
		val[fork,$p]=$(metric fork_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/fork_loop" $FORK_N_SANDBOX)
		val[forkexec,$p]=$(metric forkexec_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/forkexec_loop" $FORKEXEC_N_SANDBOX)
		val[pipe1,$p]=$(metric pipe1_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/pipe_pingpong" 1 $PIPE1_N_SANDBOX)
		val[pipe64k,$p]=$(metric pipe64k_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/pipe_pingpong" 65536 $PIPE64K_N_SANDBOX)
		val[futex,$p]=$(metric futex_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/futex_pingpong" $FUTEX_N_SANDBOX)
		val[fault,$p]=$(metric pagefault_ns "$CVISOR" "do" --platform="$p" -- "$B/bench/pagefault_loop" 16384)
		val[stat,$p]=$(metric stat_ns "$CVISOR" "do" --platform="$p" -- "$FS" stat 5000)
		val[openread,$p]=$(metric openread_ns "$CVISOR" "do" --platform="$p" -- "$FS" openread 2000)
		val[seqwrite,$p]=$(metric seqwrite_mbs "$CVISOR" "do" --platform="$p" -- "$FS" seqio /tmp 256)
		val[seqread,$p]=$(metric seqread_mbs "$CVISOR" "do" --platform="$p" -- "$FS" seqio /tmp 256)
		val[createunlink,$p]=$(metric createunlink_ns "$CVISOR" "do" --platform="$p" -- "$FS" createunlink /tmp 1000)
		val[readdir,$p]=$(metric readdir_ns "$CVISOR" "do" --platform="$p" -- /bin/sh -c "mkdir -p /tmp/rd && exec $FS readdir /tmp/rd 10000")
	fi
done
crun=$(crun_startup)
fi

# ---- OCI start-up: `X run` on a bundle and `podman run --rm`, X = crun,
# runc, cvisor on each platform, in this same run.  Fewer runs: each costs
# tens to hundreds of milliseconds.
OCI_STARTS=${BENCH_OCI_STARTS:-5}
# crun refuses this hybrid host's cgroups unless the v2 hierarchy is hidden
# (see crun_startup): the same private mount namespace for its rows.
oci_hide_unified() {
	if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
		unshare -m bash -c 'umount /sys/fs/cgroup/unified 2>/dev/null; "$@"' - "$@"
	else
		"$@"
	fi
}
# oci_loop CMD...: CMD with " ID" appended, OCI_STARTS times; one time
# (us) a line.  An id per run, as clients use.
oci_loop() {
	local i t0 t1
	for ((i = 0; i < OCI_STARTS; i++)); do
		t0=$(date +%s%N)
		"$@" "cvisor-bench-$$-$i" >/dev/null 2>"$tmp/oci-err" </dev/null || {
			echo "bench: $* failed: $(head -c 300 "$tmp/oci-err")" >&2
			return
		}
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done
}
# podman_loop RUNTIME-ARGS...: podman run --rm --network none of true.
podman_loop() {
	local i t0 t1
	for ((i = 0; i < OCI_STARTS; i++)); do
		t0=$(date +%s%N)
		podman "$@" run --rm --network none "$OCI_IMAGE" /bin/true >/dev/null 2>"$tmp/oci-err" </dev/null || {
			echo "bench: podman $* failed: $(head -c 300 "$tmp/oci-err")" >&2
			return
		}
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done
}
export -f oci_loop podman_loop
declare -A oci
oci_bench() {
	[ -x /bin/busybox ] || { echo "bench: busybox-static missing: no OCI rows" >&2; return; }
	# The busybox bundle and image of the OCI tests (tests/e2e/lib/oci.sh).
	WORK=$tmp/oci
	mkdir -p "$WORK"
	skip() { echo "bench: $*" >&2; return 1; }
	fail() { echo "bench: $*" >&2; return 1; }
	. "$ROOT/tests/e2e/lib/oci.sh"
	local ob=$tmp/oci/bundle r
	make_rootfs "$ob/rootfs" || return
	(cd "$ob" && "$CVISOR" spec >/dev/null 2>&1) || runc spec --bundle "$ob" 2>/dev/null ||
		{ echo "bench: no config.json for the OCI bundle" >&2; return; }
	/usr/bin/python3 - "$ob/config.json" <<'PY' || return
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
json.dump(c, open(p, "w"))
PY
	export tmp OCI_STARTS OCI_IMAGE CONTAINERS_CONF
	local root=$tmp/oci/state
	if command -v crun >/dev/null; then
		oci[crun,run]=$(oci_hide_unified bash -c "oci_loop crun --root $root/crun run --bundle $ob" | median)
	fi
	if command -v runc >/dev/null; then
		oci[runc,run]=$(oci_loop runc --root "$root/runc" run --bundle "$ob" | median)
	fi
	for p in $PLATFORMS; do
		have_cvisor || break
		oci[$p,run]=$(oci_loop "$CVISOR" --root "$root/cvisor" --platform="$p" run --bundle "$ob" | median)
	done
	command -v podman >/dev/null || { echo "bench: podman missing: no podman rows" >&2; return; }
	podman_image || return
	if command -v crun >/dev/null; then
		oci[crun,podman]=$(oci_hide_unified bash -c 'podman_loop --runtime crun' | median)
	fi
	if command -v runc >/dev/null; then
		oci[runc,podman]=$(podman_loop --runtime "$(command -v runc)" | median)
	fi
	for p in $PLATFORMS; do
		have_cvisor || break
		oci[$p,podman]=$(podman_loop --runtime "$CVISOR" --runtime-flag "platform=$p" | median)
	done
}
oci_bench

# Pad each column to its widest cell.
table() {
	awk -F'|' '
	{ n = NF; for (i = 2; i < NF; i++) { c[NR, i] = $i; gsub(/^ +| +$/, "", c[NR, i]);
	    if (length(c[NR, i]) > w[i]) w[i] = length(c[NR, i]) } }
	END { for (r = 1; r <= NR; r++) { s = "|";
	    for (i = 2; i < n; i++) {
		v = c[r, i];
		if (v ~ /^-+$/ && r == 2) { v = ""; while (length(v) < w[i]) v = v "-"; s = s "-" v "-|" }
		else s = s sprintf(" %-" w[i] "s |", v) }
	    print s } }'
}

if [ -z "${BENCH_OCI_ONLY:-}" ]; then
# The table: markdown pipes, so it reads in a terminal and pastes into a note.
rows=()
header="| operation | native"
for p in $PLATFORMS; do header="$header | $p | $p / native"; done
header="$header | vs raw round trip |"
rows+=("$header")
sep=$(echo "$header" | sed 's/[^|]/-/g')
rows+=("$sep")
for op in getpid open start fork forkexec pipe1 pipe64k futex fault stat openread seqwrite seqread createunlink readdir; do
	case $op in
	getpid) label="getpid (ns/call)" ;;
	open) label="open+fstat+close (ns)" ;;
	start) label="start-to-exit /bin/true (us)" ;;
	fork) label="fork+_exit+wait (ns)" ;;
	forkexec) label="fork+exec /bin/true+wait (ns)" ;;
	pipe1) label="pipe ping-pong 1 B (ns/round trip)" ;;
	pipe64k) label="pipe ping-pong 64 KiB (ns/round trip)" ;;
	futex) label="futex ping-pong, 2 threads (ns/round trip)" ;;
	fault) label="first touch of anonymous memory (ns/4 KiB page)" ;;
	stat) label="stat of an existing path (ns)" ;;
	openread) label="open+read 4 KiB+close (ns)" ;;
	seqwrite) label="sequential write 256 MiB (MB/s, higher is better)" ;;
	seqread) label="sequential read 256 MiB (MB/s, higher is better)" ;;
	createunlink) label="create+close+unlink (ns)" ;;
	readdir) label="readdir of 10,000 entries (ns)" ;;
	esac
	line="| $label | ${val[$op,native]:-n/a}"
	vsraw=""
	for p in $PLATFORMS; do
		v=${val[$op,$p]:-n/a}
		line="$line | $v | $(ratio "$v" "${val[$op,native]:-}")"
		# The goal: a sandboxed getpid within 1.3x of the bare round trip.
		[ "$op" = getpid ] && vsraw="$vsraw$p $(ratio "$v" "${raw[$p]}") (goal <= 1.3x) "
	done
	rows+=("$line | ${vsraw:--} |")
done
rows+=("| raw round trip: SYSEMU stop / VM exit (ns) | - $(for p in $PLATFORMS; do printf '| %s | - ' "${raw[$p]}"; done)| 1.00x |")
rows+=("| crun run busybox /bin/true (us) | $crun $(for p in $PLATFORMS; do printf '| - | - '; done)| - |")

printf '%s\n' "${rows[@]}" | table
fi

# The OCI table: start-to-exit of /bin/true, medians of $OCI_STARTS runs.
orows=()
h="| start-to-exit of /bin/true (us, median of $OCI_STARTS) | crun | runc"
for p in $PLATFORMS; do h="$h | cvisor $p | $p / crun"; done
orows+=("$h |")
orows+=("$(echo "$h |" | sed 's/[^|]/-/g')")
for k in run podman; do
	case $k in
	run) label="RUNTIME run on a busybox bundle" ;;
	podman) label="podman --runtime RUNTIME run --rm --network none" ;;
	esac
	line="| $label | ${oci[crun,$k]:-n/a} | ${oci[runc,$k]:-n/a}"
	for p in $PLATFORMS; do
		line="$line | ${oci[$p,$k]:-n/a} | $(ratio "${oci[$p,$k]:-}" "${oci[crun,$k]:-}")"
	done
	orows+=("$line |")
done
echo
printf '%s\n' "${orows[@]}" | table
