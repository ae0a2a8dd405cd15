# Shared helpers for the end-to-end scripts (sourced; not a test itself).
# shellcheck shell=bash
#
# Each script exits 0 (pass), 1 (fail) or 77 (skip, after printing
# "SKIP: reason"). CVISOR is the binary under test (tests/run.sh sets it);
# CVISOR_PLATFORM, if set, is passed as --platform.
set -u

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
: "${CVISOR:=$E2E_ROOT/${CVISOR_BUILD:-build}/cvisor}"
PLATFORM_FLAG=${CVISOR_PLATFORM:+--platform=$CVISOR_PLATFORM}
# Per-command limit inside a script; the runner limits the whole script.
CMD_TIMEOUT=${CVISOR_CMD_TIMEOUT:-30}
# A fixed, small environment on both sides, so locale, PATH shims (pyenv)
# and the like cannot make native and sandboxed runs differ.
CLEAN_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=/root TERM=dumb)

WORK=$(mktemp -d /tmp/cvisor-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

need_cvisor() {
	[ -x "$CVISOR" ] || skip "$CVISOR not built"
}

# Clock ticks since boot at which process $1 started.
proc_start() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'
}

now_ticks() {
	proc_start self
}

# cvisor host processes (gofer, sentry, stubs: "cvisor __...") started at or
# after tick $1, one "PID CMDLINE" line each; waits up to 3 s for them to go.
leftovers_since() {
	local since=$1 pid st out
	for _ in 1 2 3 4 5 6; do
		out=""
		for pid in $(pgrep -f 'cvisor __'); do
			st=$(proc_start "$pid") || continue
			[ -n "$st" ] && [ "$st" -ge "$since" ] || continue
			out="$out$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
"
		done
		[ -z "$out" ] && return 0
		sleep 0.5
	done
	printf '%s' "$out"
}

# native NAME CMD...: runs CMD on the host; NAME.out, NAME.err, NAME.rc in $WORK.
native() {
	local n=$1
	shift
	# The subshell keeps bash's "Segmentation fault" report out of the output.
	(
		timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "$@" >"$WORK/$n.out" 2>"$WORK/$n.err" </dev/null
		echo $? >"$WORK/$n.rc"
	) 2>/dev/null
}

# sandboxed NAME [cvisor do flags] -- CMD...: the same, under cvisor do.
sandboxed() {
	local n=$1
	shift
	(
		timeout -k 5 "$CMD_TIMEOUT" "${CLEAN_ENV[@]}" "$CVISOR" "do" $PLATFORM_FLAG "$@" \
			>"$WORK/$n.out" 2>"$WORK/$n.err" </dev/null
		echo $? >"$WORK/$n.rc"
	) 2>/dev/null
}

# same_file A B WHAT: fails with a diff when files A and B differ.
same_file() {
	if ! cmp -s "$1" "$2"; then
		echo "FAIL: $3 differs (native vs sandboxed):"
		diff -u "$1" "$2" | head -n 40
		exit 1
	fi
}

# compare NAME CMD...: CMD natively and sandboxed must agree on stdout and
# exit status (stderr is shown on failure, not compared).
compare() {
	local n=$1
	shift
	native "$n.native" "$@"
	sandboxed "$n.sandbox" -- "$@"
	if [ "$(cat "$WORK/$n.native.rc")" != "$(cat "$WORK/$n.sandbox.rc")" ]; then
		echo "FAIL: $* exit status: native $(cat "$WORK/$n.native.rc"), sandboxed $(cat "$WORK/$n.sandbox.rc")"
		echo "sandboxed stderr:"
		head -n 20 "$WORK/$n.sandbox.err"
		exit 1
	fi
	same_file "$WORK/$n.native.out" "$WORK/$n.sandbox.out" "stdout of $*"
}
