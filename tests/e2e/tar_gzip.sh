#!/bin/bash
# e2e: tar and gzip round trip a tree (/usr/share/doc/dpkg...) through the sandbox's /tmp.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v tar >/dev/null && command -v gzip >/dev/null || skip "tar or gzip missing"
src=/usr/share/common-licenses
[ -d "$src" ] || skip "$src missing"
d=/tmp/cvisor-tar-$$
script="rm -rf $d && mkdir -p $d/x && cd $d && tar -czf t.tgz -C $src . && gzip -t t.tgz && tar -xzf t.tgz -C x &&
(cd x && find . -type f | sort | xargs sha256sum) && tar -tzf t.tgz | sort | wc -l && cd / && rm -rf $d"
compare tar /bin/sh -c "$script"
[ -s "$WORK/tar.native.out" ] || fail "no output"
