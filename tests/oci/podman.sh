#!/bin/bash
# OCI: podman (through conmon) runs busybox containers with cvisor as its --runtime: run --rm, exit codes, run -d/exec/stop/rm, limits, read-only root, volumes, run -it under tmux.
. "$(dirname "$0")/../e2e/lib/common.sh"
. "$(dirname "$0")/../e2e/lib/oci.sh"
need_cvisor
command -v podman >/dev/null || skip "podman not installed (make deps-oci)"
podman_image
RT=(podman --runtime "$CVISOR" ${CVISOR_PLATFORM:+--runtime-flag "platform=$CVISOR_PLATFORM"})
NAME=cvt-podman-$$
cleanup() {
	podman rm -f -t 0 "$NAME" >/dev/null 2>&1
	tmux kill-session -t "$NAME" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo "-- $*"; }

step "run --rm echo"
out=$(timeout 60 "${RT[@]}" run --rm --network none "$OCI_IMAGE" /bin/echo hi 2>"$WORK/err")
[ "$out" = hi ] || fail "run --rm echo hi printed \"$out\"; stderr: $(cat "$WORK/err")"

step "exit status"
timeout 60 "${RT[@]}" run --rm --network none "$OCI_IMAGE" /bin/sh -c 'exit 7' 2>"$WORK/err"
rc=$?
[ "$rc" = 7 ] || fail "exit 7 came back as $rc; stderr: $(cat "$WORK/err")"

step "missing executable"
timeout 60 "${RT[@]}" run --rm --network none "$OCI_IMAGE" /nope 2>"$WORK/err"
rc=$?
[ "$rc" = 127 ] || fail "a missing executable gave $rc, not 127; stderr: $(cat "$WORK/err")"

step "run -d, exec, stop, rm"
timeout 60 "${RT[@]}" run -d --network none --name "$NAME" "$OCI_IMAGE" sleep 1000 >/dev/null 2>"$WORK/err" ||
	fail "run -d: $(cat "$WORK/err")"
ps_out=$(timeout 60 "${RT[@]}" exec "$NAME" ps 2>&1) || fail "exec ps: $ps_out"
grep -q 'sleep 1000' <<<"$ps_out" || fail "exec ps does not show sleep: $ps_out"
timeout 60 "${RT[@]}" exec "$NAME" /bin/sh -c 'exit 5' 2>/dev/null
rc=$?
[ "$rc" = 5 ] || fail "exec exit 5 came back as $rc"
out=$(timeout 60 "${RT[@]}" exec "$NAME" cat /proc/1/cmdline | tr '\0' ' ')
[ "$out" = "sleep 1000 " ] || fail "pid 1 inside is \"$out\""
timeout 60 "${RT[@]}" stop -t 2 "$NAME" >/dev/null 2>"$WORK/err" || fail "stop: $(cat "$WORK/err")"
st=$(podman inspect -f '{{.State.Status}}' "$NAME")
[ "$st" = exited ] || fail "after stop the container is $st"
timeout 60 "${RT[@]}" rm "$NAME" >/dev/null 2>"$WORK/err" || fail "rm: $(cat "$WORK/err")"

step "limits, read-only root, volumes"
mkdir -p "$WORK/vol" && echo volume-data >"$WORK/vol/f"
out=$(timeout 60 "${RT[@]}" run --rm --network none --memory 64m --pids-limit 50 --read-only \
	-v "$WORK/vol:/data:ro" "$OCI_IMAGE" /bin/sh -c \
	'cat /data/f; touch /newfile 2>/dev/null && echo root-writable; echo x > /data/y 2>/dev/null && echo vol-writable; echo done' 2>"$WORK/err")
want=$'volume-data\ndone'
[ "$out" = "$want" ] || fail "limits run printed \"$out\"; stderr: $(cat "$WORK/err")"
[ ! -e "$WORK/vol/y" ] || fail "a read-only volume was written"

step "run -it under tmux"
command -v tmux >/dev/null || skip "tmux not installed"
tmux new-session -d -s "$NAME" -x 120 -y 30 \
	"${RT[*]} run -it --rm --network none --name $NAME $OCI_IMAGE /bin/sh; echo EXITED \$?; sleep 30"
for _ in $(seq 50); do
	tmux capture-pane -p -t "$NAME" | grep -q '# ' && break
	sleep 0.2
done
tmux send-keys -t "$NAME" 'echo $((6*7))' Enter
sleep 1
tmux send-keys -t "$NAME" 'sleep 100' Enter
sleep 1
tmux send-keys -t "$NAME" C-c
sleep 1
tmux send-keys -t "$NAME" 'echo status $?' Enter
sleep 1
tmux send-keys -t "$NAME" 'exit 3' Enter
for _ in $(seq 50); do
	tmux capture-pane -p -t "$NAME" | grep -q 'EXITED' && break
	sleep 0.2
done
pane=$(tmux capture-pane -p -t "$NAME")
grep -q '^42' <<<"$pane" || fail "no 42 in the interactive pane: $pane"
grep -q 'status 130' <<<"$pane" || fail "^C did not give status 130: $pane"
grep -q 'EXITED 3' <<<"$pane" || fail "podman run -it did not exit 3: $pane"
exit 0
