#!/bin/bash
# Containers with a user namespace: container root is host uid 100000 (the
# sentry and the gofer run as it on the host), `id` inside says root, files
# created through a writable bind belong to the mapped host ids, exec and
# kill work through the control socket; joining a user namespace by path
# works too; nothing left behind.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/oci.sh"
need_cvisor
[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" != 0 ] || skip "user namespaces disabled"

oci_bundle u j
# The mapped root must reach the bundle, as with runc.
chmod 755 "$WORK"
mkdir -p "$WORK/data" "$WORK/data2"
chown 100000:100000 "$WORK/data"
chown 200000:200000 "$WORK/data2"

# config USERNS_JSON DATA_DIR ARGS...: config.json with that user namespace
# entry, id maps for 0 -> 100000 (size 65536), DATA_DIR bound rw at /data.
config() {
	python3 - "$B/config.json" "$@" <<'PY'
import json, sys
path, userns, data, args = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4:]
m = [{"containerID": 0, "hostID": 100000, "size": 65536}]
json.dump({"ociVersion": "1.0.2",
           "process": {"args": args, "cwd": "/", "env": ["PATH=/bin"],
                       "user": {"uid": 0, "gid": 0}},
           "root": {"path": "rootfs"},
           "mounts": [{"destination": "/data", "type": "bind", "source": data,
                       "options": ["rbind", "rw"]}],
           "linux": {"namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]
                     + [userns],
                     "uidMappings": m, "gidMappings": m}},
          open(path, "w"))
PY
}

# host_ids PID: "uid-fields/gid-fields" from /proc/PID/status.
host_ids() {
	echo "$(awk '/^Uid:/{print $2,$3,$4,$5}' "/proc/$1/status")/$(awk '/^Gid:/{print $2,$3,$4,$5}' "/proc/$1/status")"
}

# --- run: root inside ---
config '{"type": "user"}' "$WORK/data" id
out=$("${C[@]}" run --bundle "$B" u 2>&1)
expect "run id" 0 $?
expect "id inside" "uid=0(root) gid=0(root)" "$out"

# --- create/start: host ids, exec, files through the bind, kill ---
config '{"type": "user"}' "$WORK/data" sleep 1000
"${C[@]}" create --bundle "$B" --pid-file "$WORK/u.pid" u >"$WORK/out" 2>&1 ||
	fail "create: $(cat "$WORK/out")"
"${C[@]}" start u || fail "start failed"
spid=$(cat "$WORK/u.pid")
gpid=$(sed -n 's/.*"goferPid": *\([0-9]*\).*/\1/p' "$ROOT/u/state.json")
mapped="100000 100000 100000 100000/100000 100000 100000 100000"
expect "sentry host ids" "$mapped" "$(host_ids "$spid")"
[ -n "$gpid" ] && expect "gofer host ids" "$mapped" "$(host_ids "$gpid")"
expect "exec id -u" 0 "$("${C[@]}" exec u id -u 2>&1)"
"${C[@]}" exec u sh -c 'echo hi >/data/f && mkdir /data/d && echo x >/data/g && chown 1000:1000 /data/g' \
	>"$WORK/out" 2>&1 || fail "exec writing /data: $(cat "$WORK/out")"
expect "file owner on the host" "100000:100000" "$(stat -c %u:%g "$WORK/data/f")"
expect "dir owner on the host" "100000:100000" "$(stat -c %u:%g "$WORK/data/d")"
expect "chowned file on the host" "101000:101000" "$(stat -c %u:%g "$WORK/data/g")"
expect "file content" hi "$(cat "$WORK/data/f")"
# Host root's files (the rootfs here) are unmapped: nobody's inside.
expect "owner of the unmapped rootfs inside" "65534" "$("${C[@]}" exec u stat -c %u /bin/busybox 2>&1)"
"${C[@]}" kill u KILL || fail "kill failed"
"${C[@]}" delete --force u || fail "delete failed"
for _ in $(seq 40); do [ -e "/proc/$spid/status" ] || break; sleep 0.05; done
[ -e "/proc/$spid/status" ] && fail "sentry $spid still there after delete"

# --- a user namespace joined by path (its own maps: 0 -> 200000) ---
holder=$(python3 - <<'PY'
import ctypes, os, time
r, w = os.pipe()
r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r); os.close(w2)
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000):  # CLONE_NEWUSER
        os._exit(1)
    os.write(w, b"u")
    os.read(r2, 1)
    os.setsid()
    for fd in (0, 1, 2):
        os.close(fd)
    time.sleep(120)
    os._exit(0)
os.close(w); os.close(r2)
os.read(r, 1)
for f in ("uid_map", "gid_map"):
    open("/proc/%d/%s" % (pid, f), "w").write("0 200000 65536\n")
os.write(w2, b"g")
print(pid)
PY
)
[[ $holder =~ ^[0-9]+$ ]] || fail "cannot make a user namespace to join"
config "{\"type\": \"user\", \"path\": \"/proc/$holder/ns/user\"}" "$WORK/data2" \
	sh -c 'id -u; touch /data/j'
out=$("${C[@]}" run --bundle "$B" j 2>&1)
rc=$?
kill "$holder"
expect "run in a joined user namespace" "0/0" "$rc/$out"
expect "file owner in a joined user namespace" "200000:200000" "$(stat -c %u:%g "$WORK/data2/j")"

no_oci_leftovers "$ROOT"
echo PASS
