#!/bin/bash
# e2e: the root overlay: writes anywhere in the sandbox land in memory (copy-up, whiteouts, merged listings) and the host tree is left unchanged.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
"$CVISOR" --help 2>&1 | grep -q -- '--overlay' || skip "this cvisor has no --overlay (root read-only)"

# run NAME SCRIPT: sh -c SCRIPT sandboxed; fails unless it exits 0.
run() {
	sandboxed "$1" -- /bin/sh -c "$2"
	[ "$(cat "$WORK/$1.rc")" = 0 ] || fail "$1: exit $(cat "$WORK/$1.rc"); stderr: $(head -c 1000 "$WORK/$1.err")"
}
# expect NAME TEXT: NAME's stdout must be exactly TEXT.
expect() {
	printf '%s\n' "$2" >"$WORK/$1.want"
	same_file "$WORK/$1.want" "$WORK/$1.out" "stdout of $1"
}

new=/etc/cvisor-overlay-$$
os=$(readlink -f /etc/os-release)
sum_before=$(sha256sum "$os")

run newfile "echo data > $new && cat $new"
expect newfile data
[ ! -e "$new" ] || fail "$new exists on the host"

run append 'echo x >> /etc/os-release; tail -1 /etc/os-release'
expect append x
[ "$(sha256sum "$os")" = "$sum_before" ] || fail "host $os changed"

run rm_lower 'rm /etc/os-release && ls /etc | grep -c os-release; true'
expect rm_lower 0
[ -e /etc/os-release ] || fail "host /etc/os-release removed"

run mkdir_p 'mkdir -p /usr/local/newdir/a/b && cd /usr/local/newdir/a/b && pwd'
expect mkdir_p /usr/local/newdir/a/b
[ ! -e /usr/local/newdir ] || fail "/usr/local/newdir exists on the host"

run tmp_file 'cd /tmp && echo hi > f && cat f'
expect tmp_file hi

# A hard link to a lower file links its copy-up.
run hardlink 'ln /etc/passwd /etc/pw-link && stat -c %h /etc/pw-link && cmp /etc/passwd /etc/pw-link && echo same'
expect hardlink "2
same"

# Renaming a lower directory is EXDEV; mv falls back to copying.
run mv_dir 'mv /etc/apt /etc/apt-moved && test ! -e /etc/apt && ls /etc/apt-moved | grep -c sources'
[ "$(cat "$WORK/mv_dir.out")" -ge 1 ] || fail "mv /etc/apt: $(cat "$WORK/mv_dir.out")"
[ -d /etc/apt ] && [ ! -e /etc/apt-moved ] || fail "mv changed the host's /etc"

# The listing of /etc after creating and removing names is exactly right.
victim=$(ls /etc | grep -v -e '^os-release$' | head -1)
run readdir "touch /etc/ovl_a /etc/ovl_b && rm /etc/ovl_a /etc/$victim 2>/dev/null || rm -r /etc/$victim; mkdir /etc/ovl_d && ls -A /etc"
{ ls -A /etc | grep -vx -e "$victim"; printf 'ovl_b\novl_d\n'; } | LC_ALL=C sort >"$WORK/readdir.want"
LC_ALL=C sort "$WORK/readdir.out" >"$WORK/readdir.sorted"
same_file "$WORK/readdir.want" "$WORK/readdir.sorted" "ls -A /etc after changes"
[ -e "/etc/$victim" ] && [ ! -e /etc/ovl_b ] || fail "the host's /etc changed"

if command -v gcc >/dev/null; then
	run gcc "printf '#include <stdio.h>\nint main(void){puts(\"hello\");return 0;}\n' > /tmp/hello.c && gcc -O2 /tmp/hello.c -o /tmp/hello && /tmp/hello"
	expect gcc hello
fi

if command -v git >/dev/null; then
	run git 'cd /tmp && git init -q r && cd r && echo a > a && git add a && git -c user.name=t -c user.email=t@t commit -qm m && git log --format=%s'
	expect git m
fi

want=$(head -c $((100 << 20)) /dev/zero | sha256sum | cut -d' ' -f1)
run big "dd if=/dev/zero of=/tmp/big bs=1M count=100 2>/dev/null && sha256sum /tmp/big | cut -d' ' -f1 && stat -c %s /tmp/big"
expect big "$want
$((100 << 20))"
[ ! -e /tmp/big ] || fail "/tmp/big exists on the host"

# Copy-up of a large lower file: appending to it copies all of it up first.
bigf=$(readlink -f /usr/bin/python3 2>/dev/null)
if [ -n "$bigf" ] && [ "$(stat -c %s "$bigf")" -gt $((4 << 20)) ]; then
	size=$(stat -c %s "$bigf")
	host_sum=$(sha256sum "$bigf" | cut -d' ' -f1)
	run copyup_big "echo x >> $bigf && stat -c %s $bigf && head -c $size $bigf | sha256sum | cut -d' ' -f1 && tail -c 2 $bigf"
	expect copyup_big "$((size + 2))
$host_sum
x"
	[ "$(sha256sum "$bigf" | cut -d' ' -f1)" = "$host_sum" ] || fail "host $bigf changed"
fi

# --overlay=none writes through the gofer: tests/e2e/overlay_none.sh.  A
# read-only volume still gives EROFS (tests/e2e/volume_bind.sh).
exit 0
