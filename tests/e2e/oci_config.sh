#!/bin/bash
# config.json honoured inside the sandbox, driven with `cvisor run` on a
# busybox bundle: user/groups, umask, rlimits, hostname, domainname sysctl,
# oomScoreAdj (inside and on the host), mounts (ro and rw binds, a bind
# through a symlink, tmpfs, the sentry's own proc/sys/dev), a read-only
# root, masked and read-only paths, single-file binds (/etc/hostname,
# /etc/hosts), a tmpfs size= limit, a rootfs without /proc, and an unknown
# mount type refused by create with one line and nothing left behind.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/oci.sh"
need_cvisor

oci_bundle c1 c2 c3 c4
rmdir "$B/rootfs/proc"           # the image has no /proc: create makes it
ln -s /data/sub "$B/rootfs/lnk"  # a mount point reached through a symlink
mkdir -p "$WORK/hro" "$WORK/hrw"
echo rofile >"$WORK/hro/f"
chmod 777 "$WORK/hrw"
since=$(now_ticks)
host_data_sub=$([ -e /data/sub ] && echo yes || echo no)

# config SCRIPT EXTRA_MOUNTS: podman-like config.json running sh -c SCRIPT.
config() {
	cat >"$B/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"terminal": false,
   "user": {"uid": 1000, "gid": 1000, "additionalGids": [1000, 10], "umask": 23},
   "args": ["sh", "-c", "$1"], "env": ["PATH=/bin", "HOME=/"], "cwd": "/",
   "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 2048}],
   "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
     "permitted": ["CAP_KILL"]},
   "noNewPrivileges": true, "oomScoreAdj": 500},
 "root": {"path": "rootfs", "readonly": true}, "hostname": "cfgbox",
 "annotations": {"org.example/anything": "ignored"},
 "mounts": [
  {"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
   "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
  {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
   "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
  {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
   "options": ["nosuid", "noexec", "nodev"]},
  {"destination": "/sys", "type": "sysfs", "source": "sysfs",
   "options": ["nosuid", "noexec", "nodev", "ro"]},
  {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
   "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
  {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
   "options": ["nosuid", "nodev", "mode=1777", "size=1m"]},
  {"destination": "/ro", "type": "bind", "source": "$WORK/hro",
   "options": ["rbind", "ro", "rprivate"]},
  {"destination": "/lnk", "type": "bind", "source": "$WORK/hrw", "options": ["rbind", "rw"]}
  ${2:-}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}],
  "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
   "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
   "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block", "/root"],
  "readonlyPaths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
   "/proc/sysrq-trigger", "/etc"],
  "sysctl": {"net.ipv4.ip_forward": "1", "kernel.domainname": "cfgdomain"}}}
JSON
}

# One run prints each setting on a line of its own.
config 'id; umask; ulimit -n; hostname; cat /proc/sys/kernel/domainname; cat /proc/self/oom_score_adj; cat /ro/f; touch /ro/x 2>&1; echo hi >/lnk/out && echo rw-ok; touch /scratch/y && echo scratch-ok; touch /x 2>&1; touch /tmp/x 2>&1; cat /proc/kcore 2>&1; (echo x >/proc/sys/kernel/hostname) 2>/dev/null || echo sys-ro; hostname; ls -A /root; test -c /dev/null && echo devnull; stat -c %a /proc; ls /dev/mqueue 2>&1'
"${C[@]}" run -b "$B" c1 >"$WORK/out" 2>"$WORK/err"
expect "run exit status (stderr: $(cat "$WORK/err"))" 0 $?
want="uid=1000 gid=1000 groups=1000,10
0027
1234
cfgbox
cfgdomain
500
rofile
touch: /ro/x: Read-only file system
rw-ok
scratch-ok
touch: /x: Read-only file system
touch: /tmp/x: Read-only file system
cat: can't open '/proc/kcore': No such file or directory
sys-ro
cfgbox
devnull
555
ls: /dev/mqueue: No such file or directory"
expect "settings inside" "$want" "$(cat "$WORK/out")"
expect "rw bind wrote through to the host" hi "$(cat "$WORK/hrw/out")"
[ ! -e "$WORK/hro/x" ] || fail "ro bind: file created on the host"
[ -d "$B/rootfs/proc" ] || fail "create did not make /proc in the rootfs"
[ -d "$B/rootfs/data/sub" ] || fail "the symlinked mount point was not made inside the rootfs"
[ -e /data/sub ] && [ "$host_data_sub" = no ] && fail "the mount point escaped to the host's /data/sub"
"$CVISOR" --root "$ROOT" delete --force c1 >/dev/null 2>&1

# Single-file binds over /etc/hostname (ro) and /etc/hosts (rw, a copy of
# the rootfs's /etc being neither masked nor read-only here), a tmpfs
# size= limit (ENOSPC, statfs, /proc/mounts), and procfs's read-only and
# masked paths.
printf 'bound-host\n' >"$WORK/hostname"
printf '127.0.0.1 localhost\n' >"$WORK/hosts"
chmod 644 "$WORK/hostname"
chmod 666 "$WORK/hosts"
echo image-host >"$B/rootfs/etc/hostname"
config 'cat /etc/hostname; echo 10.0.0.1 added >>/etc/hosts && echo hosts-rw; (echo x >/etc/hostname) 2>&1 | grep -o \"Read-only file system\"; stat -f -c \"%b %S\" /scratch; head -c 2000000 /dev/zero >/scratch/big 2>/dev/null || echo enospc; stat -c %s /scratch/big; grep -o \"/scratch tmpfs [a-z,]*size=[0-9]*k\" /proc/mounts; (echo 1 >/proc/sys/kernel/hostname) 2>&1 | grep -o \"Read-only file system\"; cat /proc/loadavg | wc -c; echo x >/proc/loadavg && echo masked-write; stat -c %t:%T /proc/loadavg' \
	', {"destination": "/etc/hostname", "type": "bind", "source": "'"$WORK"'/hostname", "options": ["rbind", "ro"]},
	{"destination": "/etc/hosts", "type": "bind", "source": "'"$WORK"'/hosts", "options": ["rbind", "rw"]}'
# As root (the owner of those files, without CAP_DAC_OVERRIDE), so that a
# refused write is the read-only mount's EROFS, not the file mode's EACCES.
sed -i -e 's|, "/etc"\]|]|' -e 's|"uid": 1000, "gid": 1000|"uid": 0, "gid": 0|' -e 's|"maskedPaths": \[|"maskedPaths": ["/proc/loadavg", |' "$B/config.json"
"${C[@]}" run -b "$B" c4 >"$WORK/out" 2>"$WORK/err"
expect "file binds run exit status (stderr: $(cat "$WORK/err"))" 0 $?
want="bound-host
hosts-rw
Read-only file system
256 4096
enospc
1048576
/scratch tmpfs rw,nosuid,nodev,size=1024k
Read-only file system
0
masked-write
1:3"
expect "file binds, tmpfs size, procfs paths" "$want" "$(cat "$WORK/out")"
expect "rw file bind wrote the host file" "127.0.0.1 localhost
10.0.0.1 added" "$(cat "$WORK/hosts")"
expect "ro file bind left the host file" bound-host "$(cat "$WORK/hostname")"
expect "the image's own file" image-host "$(cat "$B/rootfs/etc/hostname")"
"$CVISOR" --root "$ROOT" delete --force c4 >/dev/null 2>&1

# oomScoreAdj on the host: the sentry and the gofer, while created.
config 'true'
"${C[@]}" create --bundle "$B" --pid-file "$WORK/c2.pid" c2 >"$WORK/out" 2>&1 ||
	fail "create: $(cat "$WORK/out")"
expect "host oom_score_adj of the sentry" 500 "$(cat "/proc/$(cat "$WORK/c2.pid")/oom_score_adj")"
"${C[@]}" delete --force c2 || fail "delete c2"

# An unknown mount type: one line from create, no state, no process.
config 'true' ', {"destination": "/x9", "type": "nfs4", "source": "server:/export"}'
"${C[@]}" create --bundle "$B" c3 >"$WORK/out" 2>&1
rc=$?
[ $rc -ne 0 ] || fail "create with an nfs4 mount succeeded"
expect "unknown mount type message" 'cvisor: mount /x9: mount type "nfs4" is not supported' \
	"$(cat "$WORK/out")"
[ ! -e "$ROOT/c3" ] || fail "state left for c3"
[ ! -e "$B/rootfs/x9" ] || fail "mount point of a refused mount made"
left=$(leftovers_since "$since")
[ -z "$left" ] || fail "processes left: $left"
echo PASS
