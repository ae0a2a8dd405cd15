#!/bin/bash
# The test suite runner: unit tests, fuzzers, syscall tests (natively, then on each platform), end-to-end scripts, real OCI clients, a leak check.
#
# Usage: tests/run.sh [PATTERN]   (PATTERN: a substring of test names to run, e.g. file_test)
# Env:   CVISOR_BUILD        build tree (default: build)
#        CVISOR_PLATFORMS    platforms for the syscall tests (default: $PLATFORMS below)
#        CVISOR_TEST_TIMEOUT seconds per test (default 60)
#        CVISOR_OCI_TIMEOUT  seconds per OCI client script (default 300)
set -u

# kvm joins this list when platform/kvm lands; a platform the host cannot
# run (no /dev/kvm) is reported as skipped, not failed.
PLATFORMS=${CVISOR_PLATFORMS:-"ptrace kvm"}
TIMEOUT=${CVISOR_TEST_TIMEOUT:-60}
PATTERN=${1:-}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
B=${CVISOR_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
CVISOR=$B/cvisor

npass=0
nfail=0
nskip=0
tmp=$(mktemp -d /tmp/cvisor-tests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Start time of this runner in clock ticks since boot: the leftover-process
# check only blames cvisor processes started after it.
CVISOR_SUITE_START_TICKS=$(sed 's/.*) //' /proc/self/stat | awk '{print $20}')
export CVISOR_SUITE_START_TICKS

selected() {
	[ -z "$PATTERN" ] || [[ $1 == *"$PATTERN"* ]]
}

pass() {
	npass=$((npass + 1))
	printf 'PASS  %s\n' "$1"
}

skip() {
	nskip=$((nskip + 1))
	printf 'SKIP  %s (%s)\n' "$1" "$2"
}

# fail LABEL REASON [OUTPUT_FILE]
fail() {
	nfail=$((nfail + 1))
	printf 'FAIL  %s (%s)\n' "$1" "$2"
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		tail -n 25 "$3" | sed 's/^/      | /'
	fi
}

# run CMD...: runs CMD under the timeout, output in $tmp/out; sets rc and why.
run() {
	timeout -k 5 "$TIMEOUT" "$@" >"$tmp/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="timed out after ${TIMEOUT}s"
	elif [ "$rc" -gt 128 ]; then
		why="killed by signal $((rc - 128))"
	else
		why="exit status $rc"
	fi
}

# Why a platform cannot run here, or nothing if it can.
platform_unavailable() {
	if [ ! -x "$CVISOR" ]; then
		echo "${CVISOR#"$ROOT"/} not built"
		return
	fi
	case $1 in
	kvm) [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || echo "/dev/kvm missing or not accessible" ;;
	esac
}

echo "== unit tests (${B#"$ROOT"/}/tests/unit) =="
found=0
for t in "$B"/tests/unit/*_test; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	selected "$name" || continue
	found=1
	run "$t"
	if [ "$rc" = 0 ]; then pass "$name"; else fail "$name" "$why" "$tmp/out"; fi
done
[ "$found" = 1 ] || echo "(none built)"

# Fuzzers (libFuzzer): a short run each on every suite run; a crash or
# sanitizer report fails the stage.  CVISOR_FUZZ_SECONDS=0 turns them off.
FUZZ_SECONDS=${CVISOR_FUZZ_SECONDS:-10}
echo "== fuzzers (${FUZZ_SECONDS}s each) =="
for f in "$B"/fuzz/*_fuzz; do
	[ -x "$f" ] || continue
	name=fuzz/$(basename "$f")
	selected "$name" || continue
	if [ "$FUZZ_SECONDS" = 0 ]; then
		skip "$name" "CVISOR_FUZZ_SECONDS=0"
		continue
	fi
	corpus=$tmp/corpus-$(basename "$f")
	mkdir -p "$corpus"
	# A crashing input is kept in the build tree (named in the output).
	run "$f" -max_total_time="$FUZZ_SECONDS" -max_len=70000 -rss_limit_mb=2048 \
		-artifact_prefix="$B/fuzz/$(basename "$f")-" "$corpus"
	if [ "$rc" = 0 ]; then pass "$name"; else fail "$name" "$why" "$tmp/out"; fi
done

# The sentry lives in an empty root where LeakSanitizer cannot read /proc;
# leaks are the unit tests' business (they run with it above).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
echo "== syscall tests (native first, then: $PLATFORMS) =="
found=0
for t in "$B"/tests/syscalls/*_test; do
	[ -x "$t" ] || continue
	name=syscalls/$(basename "$t")
	selected "$name" || continue
	found=1
	run "$t"
	native_ok=0
	if [ "$rc" = 0 ]; then
		pass "$name [native]"
		native_ok=1
	else
		fail "$name [native]" "BROKEN TEST: fails natively, $why" "$tmp/out"
	fi
	for p in $PLATFORMS; do
		reason=$(platform_unavailable "$p")
		if [ -n "$reason" ]; then
			skip "$name [$p]" "$reason"
		elif [ "$native_ok" = 0 ]; then
			skip "$name [$p]" "fails natively"
		else
			run "$CVISOR" "do" --platform="$p" -- "$t"
			if [ "$rc" = 0 ]; then pass "$name [$p]"; else fail "$name [$p]" "$why" "$tmp/out"; fi
		fi
	done
done
[ "$found" = 1 ] || echo "(none built: make tests-build)"

# script_stage DIR [progress]: every DIR/*.sh once per platform, with
# CVISOR_PLATFORM set; exit 77 is a skip (reason from its "SKIP: " line).
script_stage() {
	local dir=$1 progress=${2:-} p t
	for p in $PLATFORMS; do
		reason=$(platform_unavailable "$p")
		export CVISOR_PLATFORM=$p
		for t in "$ROOT/tests/$dir"/*.sh; do
			[ -f "$t" ] || continue
			name="$dir/$(basename "$t" .sh) [$p]"
			selected "$name" || continue
			if [ -n "$reason" ]; then
				skip "$name" "$reason"
				continue
			fi
			[ -n "$progress" ] && echo "....  $name (running)"
			run bash "$t"
			case $rc in
			0) pass "$name" ;;
			77)
				why77=$(grep -m1 '^SKIP: ' "$tmp/out" | sed 's/^SKIP: //')
				skip "$name" "${why77:-no reason given}"
				;;
			*) fail "$name" "$why" "$tmp/out" ;;
			esac
		done
	done
}

echo "== end-to-end tests (tests/e2e), on: $PLATFORMS =="
export CVISOR CVISOR_BUILD=$B
script_stage e2e

# Real OCI clients (podman, containerd) driving cvisor as their runtime: slow
# (image import, client start-up), so last, with a line before each run.
echo "== OCI clients (tests/oci), on: $PLATFORMS =="
TIMEOUT=${CVISOR_OCI_TIMEOUT:-300}
script_stage oci progress

# After everything: nothing of this suite may be left on the host.
name="leaks/after-suite"
if selected "$name"; then
	run bash "$ROOT/tests/leak_check.sh"
	if [ "$rc" = 0 ]; then pass "$name"; else fail "$name" "$why" "$tmp/out"; fi
fi

echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" = 0 ]
