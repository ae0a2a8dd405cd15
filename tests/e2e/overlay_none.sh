#!/bin/bash
# e2e: --overlay=none writes through the gofer: the host sees exactly what the sandbox did (files, dirs, links, renames, modes, times, xattrs), and the gofer never follows a symlink.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
"$CVISOR" do --help 2>&1 | grep -q -- '--volume' || skip "this cvisor does not write through the gofer"

D=$WORK/tree
mkdir "$D"
# run NAME SCRIPT: sh -c SCRIPT with --overlay=none; fails unless it exits 0.
run() {
	sandboxed "$1" --overlay=none -- /bin/sh -c "$2"
	[ "$(cat "$WORK/$1.rc")" = 0 ] || fail "$1: exit $(cat "$WORK/$1.rc"); stderr: $(head -c 1000 "$WORK/$1.err")"
}

run basic "echo hi > $D/f; mkdir $D/d; ln -s f $D/l; mv $D/f $D/g; chmod 600 $D/g"
[ "$(cd "$D" && ls -A | tr '\n' ' ')" = "d g l " ] || fail "listing: $(ls -A "$D")"
[ "$(cat "$D/g")" = hi ] || fail "content of g"
[ "$(stat -c %a "$D/g")" = 600 ] || fail "mode of g: $(stat -c %a "$D/g")"
[ "$(readlink "$D/l")" = f ] || fail "symlink l"
[ -d "$D/d" ] || fail "d is not a directory"

run more "cd $D && echo 0123456789 > t && truncate -s 4 t && touch -d '2001-02-03 04:05:06 UTC' t && ln t hard && rmdir d && rm l && mkdir -p x/y/z && echo deep > x/y/z/f && mv x w"
[ "$(cat "$D/t")" = 0123 ] || fail "truncate: $(cat "$D/t")"
[ "$(stat -c %Y "$D/t")" = 981173106 ] || fail "mtime: $(stat -c %Y "$D/t")"
[ "$(stat -c %h "$D/t")" = 2 ] || fail "link count: $(stat -c %h "$D/t")"
[ ! -e "$D/d" ] && [ ! -L "$D/l" ] || fail "rmdir/rm"
[ "$(cat "$D/w/y/z/f")" = deep ] || fail "renamed subtree"

# The sandbox's view after its own renames: the moved subtree under its new name.
run view "cat $D/w/y/z/f && test ! -e $D/x && stat -c %h $D/hard"
[ "$(cat "$WORK/view.out")" = "deep
2" ] || fail "view: $(cat "$WORK/view.out")"

# RENAME_EXCHANGE and user xattrs, through python.
if [ -x /usr/bin/python3 ]; then
	echo A >"$D/ea"
	echo B >"$D/eb"
	run exchange "python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.renameat2(-100, b\"$D/ea\", -100, b\"$D/eb\", 2)
assert r == 0, os.strerror(ctypes.get_errno())
os.setxattr(\"$D/g\", \"user.k\", b\"val\")
assert os.getxattr(\"$D/g\", \"user.k\") == b\"val\"
try:
    os.setxattr(\"$D/g\", \"trusted.k\", b\"v\")
    raise SystemExit(\"trusted xattr accepted\")
except OSError:
    pass
'"
	[ "$(cat "$D/ea")" = B ] && [ "$(cat "$D/eb")" = A ] || fail "RENAME_EXCHANGE"
	[ "$(python3 -c "import os; print(os.getxattr('$D/g', 'user.k').decode())")" = val ] ||
		fail "xattr not on the host"
fi

# Writing outside the work directory works the same (here: /tmp itself).
F=/tmp/cvisor-overlay-none-$$
run outside "echo out > $F"
[ "$(cat "$F" 2>/dev/null)" = out ] || fail "write to $F"
rm -f "$F"

# A symlink to /etc/passwd: writing through it lands where the sandbox
# resolves it (its root is the host root here), never by the gofer following
# it; the gofer opens every name O_NOFOLLOW / AT_SYMLINK_NOFOLLOW.
ln -s /etc/passwd "$D/pw"
sum=$(sha256sum /etc/passwd)
sandboxed nofollow --overlay=none -- /bin/sh -c "cat $D/pw >/dev/null && rm $D/pw && echo x > $D/pw && cat $D/pw"
[ "$(cat "$WORK/nofollow.out")" = x ] || fail "nofollow: $(cat "$WORK/nofollow.out") $(cat "$WORK/nofollow.err")"
[ "$(sha256sum /etc/passwd)" = "$sum" ] || fail "/etc/passwd changed"
[ -f "$D/pw" ] && [ ! -L "$D/pw" ] || fail "pw should be a plain file now"
src=$(dirname "$0")/../../gofer
if grep -nE 'openat\([^;]*\)' "$src"/*.c | grep -v 'O_NOFOLLOW\|O_PATH | O_DIRECTORY\|"\."\|oflags\|flags)' | grep -q .; then
	fail "an openat in gofer/ without O_NOFOLLOW: $(grep -nE 'openat\(' "$src"/*.c | grep -v O_NOFOLLOW)"
fi

# The default overlay still leaves the host alone.
sandboxed untouched -- /bin/sh -c "echo changed > $D/g"
[ "$(cat "$D/g")" = hi ] || fail "the default overlay wrote to the host"
echo ok
