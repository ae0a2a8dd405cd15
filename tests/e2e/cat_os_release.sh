#!/bin/bash
# e2e: cat /etc/os-release (a symlink, resolved in the sentry) prints the host's bytes.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
compare cat /bin/cat /etc/os-release
same_file /etc/os-release "$WORK/cat.sandbox.out" "os-release contents"
