#!/bin/bash
# OCI: containerd 1.6 (runc v2 shim, ctr) runs a busybox container with cvisor as the runc binary.
. "$(dirname "$0")/../e2e/lib/common.sh"
. "$(dirname "$0")/../e2e/lib/oci.sh"
need_cvisor
command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd not installed (make deps-oci)"
command -v podman >/dev/null || skip "podman not installed (needed to build the image archive)"
podman_image
D=$WORK/ctrd
mkdir -p "$D"
SOCK=$D/containerd.sock
containerd --root "$D/root" --state "$D/state" --address "$SOCK" --log-level error \
	>"$D/log" 2>&1 &
CTRD=$!
cleanup() {
	ctr -a "$SOCK" tasks kill -s 9 cvt-ctr >/dev/null 2>&1
	ctr -a "$SOCK" containers rm cvt-ctr >/dev/null 2>&1
	kill "$CTRD" 2>/dev/null
	wait "$CTRD" 2>/dev/null
	grep -q "$D" /proc/self/mountinfo && umount -R "$D/state" "$D/root" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	sleep 0.1
done
[ -S "$SOCK" ] || fail "containerd did not start: $(cat "$D/log")"
C=(ctr -a "$SOCK")
# ctr passes no runtime flags: the platform goes in through a wrapper.
RUNTIME=$CVISOR
if [ -n "${CVISOR_PLATFORM:-}" ]; then
	RUNTIME=$WORK/cvisor-$CVISOR_PLATFORM
	printf '#!/bin/sh\nexec "%s" --platform=%s "$@"\n' "$CVISOR" "$CVISOR_PLATFORM" >"$RUNTIME"
	chmod +x "$RUNTIME"
fi
podman save --format oci-archive -o "$D/img.tar" "$OCI_IMAGE" >/dev/null 2>&1 || fail "podman save"
"${C[@]}" images import --base-name localhost/cvisor-busybox "$D/img.tar" >/dev/null 2>"$D/err" ||
	fail "ctr images import: $(cat "$D/err")"
IMG=$("${C[@]}" images ls -q | head -1)
[ -n "$IMG" ] || fail "no image after import"
out=$(timeout 60 "${C[@]}" run --rm --runc-binary "$RUNTIME" "$IMG" cvt-ctr /bin/echo hi 2>"$D/err")
[ "$out" = hi ] || fail "ctr run printed \"$out\"; stderr: $(cat "$D/err"); log: $(tail -5 "$D/log")"
timeout 60 "${C[@]}" run --rm --runc-binary "$RUNTIME" "$IMG" cvt-ctr /bin/sh -c 'exit 4' 2>"$D/err"
rc=$?
[ "$rc" = 4 ] || fail "ctr run exit 4 came back as $rc; stderr: $(cat "$D/err")"
exit 0
