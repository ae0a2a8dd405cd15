#!/bin/bash
# e2e: git init/add/commit/log in the sandbox's writable /tmp, as on the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v git >/dev/null || skip "git not installed"
# A fresh directory name: natively this writes the host's /tmp.
d=/tmp/cvisor-git-$$
script="rm -rf $d && mkdir $d && cd $d && git init -q r && cd r && echo hi > f && mkdir sub && seq 1 500 > sub/n &&
git add f sub && git -c user.email=a@b -c user.name=a commit -qm first &&
echo more >> f && git -c user.email=a@b -c user.name=a commit -qam second &&
git log --oneline | wc -l && git show --stat HEAD~1 --format=%s | tail -1 && git cat-file -p HEAD:f && git status --porcelain | wc -l &&
git gc -q && git fsck --strict 2>&1 | wc -l && cd / && rm -rf $d"
compare git /bin/sh -c "$script"
[ ! -e "$d" ] || fail "$d left on the host"
