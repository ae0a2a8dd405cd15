#!/bin/bash
# A stand-in for build/cvisor that runs the command natively, to check the e2e scripts themselves.
# Usage: CVISOR=tests/e2e/lib/fake_cvisor.sh bash tests/e2e/NAME.sh
[ "${1:-}" = "do" ] || { echo "cvisor: unknown command ${1:-}" >&2; exit 2; }
shift
trace=0
while [ $# -gt 0 ]; do
	case $1 in
	--) shift; break ;;
	--strace) trace=1 ;;
	--debug | --platform=*) ;;
	*) echo "cvisor: do: unknown flag $1" >&2; exit 2 ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "cvisor: do: no command" >&2; exit 2; }
if [[ $1 == */* ]]; then
	[ -x "$1" ] && [ ! -d "$1" ] || { echo "cvisor: do: $1: executable file not found in \$PATH" >&2; exit 127; }
else
	command -v -- "$1" >/dev/null 2>&1 || { echo "cvisor: do: $1: executable file not found in \$PATH" >&2; exit 127; }
fi
[ "$trace" = 1 ] && exec strace -qq -e signal=none "$@"
exec "$@"
