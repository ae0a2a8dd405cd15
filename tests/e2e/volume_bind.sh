#!/bin/bash
# e2e: cvisor do --volume binds host directories and single files served by the gofer: read-write ones write to the host, read-only ones give EROFS, and the overlay root stays untouched; host device nodes and FIFOs reached through the gofer are the sentry's own.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
"$CVISOR" do --help 2>&1 | grep -q -- '--volume' || skip "this cvisor has no --volume"

RW=$WORK/rw
RO=$WORK/ro
MP=$WORK/mnt
mkdir -p "$RW/sub" "$RO" "$MP/rw" "$MP/ro"
echo old >"$RW/a"
echo keep >"$RO/r"

sandboxed vol --volume "$RW:$MP/rw" --volume "$RO:$MP/ro:ro" -- /bin/sh -c "
cat $MP/rw/a $MP/ro/r
echo new > $MP/rw/b && mkdir $MP/rw/d && mv $MP/rw/a $MP/rw/sub/a2 && rm -r $MP/rw/sub/../d
if echo x > $MP/ro/x 2>/dev/null; then echo ro-write-worked; fi
if rm $MP/ro/r 2>/dev/null; then echo ro-rm-worked; fi
python3 -c 'import os
try:
    open(\"$MP/ro/y\", \"w\")
except OSError as e:
    print(os.strerror(e.errno))' 2>/dev/null || echo Read-only file system
cd $MP/rw/sub && cd ../.. && pwd
echo overlay > $MP/top && cat $MP/top
grep -c ' $MP/r[ow] 9p ' /proc/mounts"
[ "$(cat "$WORK/vol.rc")" = 0 ] || fail "exit $(cat "$WORK/vol.rc"): $(head -c 1000 "$WORK/vol.err")"
expect="old
keep
Read-only file system
$MP
overlay
2"
[ "$(cat "$WORK/vol.out")" = "$expect" ] || fail "output: $(cat "$WORK/vol.out")"
[ "$(cat "$RW/b")" = new ] || fail "rw write missing on the host"
[ "$(cat "$RW/sub/a2")" = old ] && [ ! -e "$RW/a" ] && [ ! -e "$RW/d" ] || fail "rw rename/rmdir"
[ "$(ls "$RO")" = r ] || fail "ro volume changed: $(ls "$RO")"
[ ! -e "$MP/top" ] || fail "the overlay root wrote to the host"

# A missing mount point is an error, as with runc.
sandboxed missing --volume "$RW:$MP/nonexistent" -- /bin/true
[ "$(cat "$WORK/missing.rc")" != 0 ] || fail "a missing mount point was accepted"
sandboxed badflag --volume "relative:$MP/rw" -- /bin/true
[ "$(cat "$WORK/badflag.rc")" = 2 ] || fail "bad --volume: exit $(cat "$WORK/badflag.rc")"

# Single-file volumes over files: read-only (EROFS, EBUSY on removal) and
# read-write (writes reach the host file), seen through the overlay.
echo bound-ro >"$WORK/fro"
echo bound-rw >"$WORK/frw"
echo image-a >"$MP/fa"
echo image-b >"$MP/fb"
sandboxed files --volume "$WORK/fro:$MP/fa:ro" --volume "$WORK/frw:$MP/fb" -- /bin/sh -c "
cat $MP/fa $MP/fb
echo x 2>/dev/null >$MP/fa || echo ro-refused
rm $MP/fa 2>/dev/null || echo busy
echo more >>$MP/fb && cat $MP/fb"
[ "$(cat "$WORK/files.rc")" = 0 ] || fail "file volumes: exit $(cat "$WORK/files.rc"): $(head -c 1000 "$WORK/files.err")"
expect="bound-ro
bound-rw
ro-refused
busy
bound-rw
more"
[ "$(cat "$WORK/files.out")" = "$expect" ] || fail "file volumes output: $(cat "$WORK/files.out")"
[ "$(cat "$WORK/frw")" = "bound-rw
more" ] || fail "rw file volume: host file $(cat "$WORK/frw")"
[ "$(cat "$MP/fa")" = image-a ] && [ "$(cat "$WORK/fro")" = bound-ro ] || fail "ro file volume changed"

# Host device nodes reached through the gofer are never opened on the
# host: 1:3 is the sentry's /dev/null, 1:1 (/dev/mem) and a block device
# are ENXIO.  A FIFO on the writable gofer tree is a sentry pipe.
DEV=$WORK/devs
mkdir -p "$DEV"
mknod "$DEV/null" c 1 3 && mknod "$DEV/mem" c 1 1 && mknod "$DEV/blk" b 7 0 ||
	skip "mknod not permitted here"
sandboxed devs --overlay=none -- /bin/sh -c "
echo gone >$DEV/null && cat $DEV/null && echo null-ok
head -c 1 $DEV/mem >/dev/null 2>&1 || echo mem-refused
head -c 1 $DEV/blk >/dev/null 2>&1 || echo blk-refused
mkfifo $DEV/fifo && (echo through-fifo >$DEV/fifo &) && cat $DEV/fifo
rm $DEV/fifo"
[ "$(cat "$WORK/devs.out")" = "null-ok
mem-refused
blk-refused
through-fifo" ] || fail "device nodes: $(cat "$WORK/devs.out") $(head -c 500 "$WORK/devs.err")"
echo ok
