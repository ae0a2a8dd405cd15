#!/bin/bash
# e2e: python3 starts (hundreds of files, mmaps, getdents) and lists /usr like the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
# /usr/bin/python3 by path: a PATH shim (pyenv) would need fork.
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"
compare py /usr/bin/python3 -c 'import json, os; print(json.dumps(sorted(os.listdir("/usr"))))'
grep -q '"bin"' "$WORK/py.sandbox.out" || fail "no \"bin\" in $(cat "$WORK/py.sandbox.out")"
