#!/bin/bash
# e2e: the informational OCI commands (spec, state, list, features, --version) and their errors, without running a container.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
command -v python3 >/dev/null || skip "python3 missing (used to check JSON)"
ROOT="$WORK/root"

# run NAME ARGS...: cvisor ARGS; NAME.out, NAME.err, NAME.rc in $WORK.
run() {
	local n=$1
	shift
	timeout -k 5 "$CMD_TIMEOUT" "$CVISOR" "$@" >"$WORK/$n.out" 2>"$WORK/$n.err" </dev/null
	echo $? >"$WORK/$n.rc"
}
rc() { cat "$WORK/$1.rc"; }
# one_error NAME RC TEXT: exit status RC, stderr exactly one line "cvisor: ...TEXT...".
one_error() {
	[ "$(rc "$1")" = "$2" ] || fail "$1: exit status $(rc "$1"), want $2 ($(cat "$WORK/$1.err"))"
	[ "$(wc -l <"$WORK/$1.err")" = 1 ] || fail "$1: stderr is not one line: $(head -c 500 "$WORK/$1.err")"
	grep -q "^cvisor: .*$3" "$WORK/$1.err" || fail "$1: stderr lacks \"$3\": $(cat "$WORK/$1.err")"
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$WORK/$1.out"; }

# --version: podman shows the first line.
run v --version
[ "$(rc v)" = 0 ] && [ "$(head -n 1 "$WORK/v.out")" = "cvisor version 0.1.0" ] || fail "--version: $(cat "$WORK/v.out")"
grep -qx "spec: 1.0.2" "$WORK/v.out" || fail "--version lacks the spec line"

# spec: a config.json our own parser and python accept; never overwritten.
mkdir "$WORK/b"
(cd "$WORK/b" && "$CVISOR" spec) || fail "spec in the current directory failed"
python3 -c "import json; d=json.load(open('$WORK/b/config.json')); assert d['process']['args']==['sh'] and d['root']['path']=='rootfs' and d['process']['terminal'] is True" ||
	fail "spec: unexpected config.json"
run spec2 spec --bundle "$WORK/b"
one_error spec2 1 "config.json exists. Remove it first"
run spec3 spec -b "$WORK/missing"
one_error spec3 1 "No such file or directory"
[ ! -e "$WORK/missing" ] || fail "spec created the missing bundle"
mkdir "$WORK/b2" && run spec4 spec --rootless -b "$WORK/b2"
[ "$(rc spec4)" = 0 ] || fail "spec --rootless: $(cat "$WORK/spec4.err")"
grep -q '"user"' "$WORK/b2/config.json" || fail "spec --rootless has no user namespace"

# list on a root that does not exist: the header only, nothing created.
run l0 --root "$ROOT" list
[ "$(rc l0)" = 0 ] || fail "list on a missing root: $(cat "$WORK/l0.err")"
[ "$(cat "$WORK/l0.out")" = "ID          PID         STATUS      BUNDLE      CREATED     OWNER" ] ||
	fail "list header: $(cat "$WORK/l0.out")"
[ ! -e "$ROOT" ] || fail "list created $ROOT"
run l1 --root "$ROOT" list --format json
[ "$(cat "$WORK/l1.out")" = "[]" ] || fail "empty json list: $(cat "$WORK/l1.out")"

# state: errors worded as runc's, in the json --log as containerd reads it.
run s0 --root "$ROOT" state
one_error s0 1 '"state" requires exactly 1 argument(s)'
run s1 --root "$ROOT" --log "$WORK/log.json" --log-format json state nosuch
one_error s1 1 'container "nosuch" does not exist'
python3 -c "
import json
l = [json.loads(x) for x in open('$WORK/log.json')]
assert l[-1]['level'] == 'error' and l[-1]['msg'] == 'container \"nosuch\" does not exist', l
assert l[-1]['time'].endswith('Z')" || fail "json log line: $(cat "$WORK/log.json")"
[ ! -e "$ROOT" ] || fail "state created $ROOT"
# Flags after the subcommand and after the id, as conmon mixes them.
run s2 state nosuch --root "$ROOT" --log="$WORK/log.txt"
one_error s2 1 "does not exist"
grep -q 'level=error msg="container \\"nosuch\\" does not exist"' "$WORK/log.txt" || fail "text log: $(cat "$WORK/log.txt")"

# A container whose state a (stand-in) create left: live, then stale.
sleep 1000 &
spid=$!
start=$(proc_start $spid)
mkdir -p "$ROOT/web"
cat >"$ROOT/web/state.json" <<JSON
{"ociVersion": "1.0.2", "id": "web", "pid": $spid, "status": "running", "bundle": "$WORK/b",
 "rootfs": "$WORK/b/rootfs", "created": "2026-01-02T03:04:05.123Z", "owner": "",
 "annotations": {"k": "v"}, "pidStartTime": $start}
JSON
: >"$ROOT/web/lock"
run s3 --root "$ROOT" state web
[ "$(rc s3)" = 0 ] || fail "state web: $(cat "$WORK/s3.err")"
[ "$(json s3 "d['status'], d['pid'], d['id'], d['bundle'], d['annotations']['k']")" = "running $spid web $WORK/b v" ] ||
	fail "state web: $(cat "$WORK/s3.out")"
[ "$(json s3 "list(d)")" = "['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner', 'annotations']" ] ||
	fail "state keys: $(cat "$WORK/s3.out")"
grep -q '^  "pid": ' "$WORK/s3.out" || fail "state is not 2-space indented"
run l2 list --root "$ROOT"
grep -Eq "^web +$spid +running +$WORK/b +2026-01-02T03:04:05.123Z +root\$" "$WORK/l2.out" ||
	fail "list row: $(cat "$WORK/l2.out")"
run l3 --root "$ROOT" list -q
[ "$(cat "$WORK/l3.out")" = web ] || fail "list -q: $(cat "$WORK/l3.out")"
kill $spid
wait $spid 2>/dev/null
run s4 --root "$ROOT" state web
[ "$(json s4 "d['status'], d['pid']")" = "stopped 0" ] || fail "stale state: $(cat "$WORK/s4.out")"
run l4 --root "$ROOT" list --format json
[ "$(json l4 "d[0]['id'], d[0]['status'], d[0]['owner']")" = "web stopped root" ] || fail "json list: $(cat "$WORK/l4.out")"

# features: runc-style JSON.
run f features
[ "$(rc f)" = 0 ] || fail "features: $(cat "$WORK/f.err")"
[ "$(json f "d['ociVersionMin'], 'pid' in d['linux']['namespaces'], 'CAP_CHECKPOINT_RESTORE' in d['linux']['capabilities'], d['linux']['cgroup']['systemd']")" = "1.0.0 True True False" ] ||
	fail "features: $(head -c 500 "$WORK/f.out")"

# Bad command lines: one line, non-zero, nothing created.
run e1 --root "$ROOT/x" list --format yaml
one_error e1 1 "invalid format option"
run e2 --network carrier-pigeon list
one_error e2 2 "unknown network mode"
run e3 list --bogus
one_error e3 2 "unknown flag: --bogus"
run e4 frobnicate
one_error e4 2 'unknown subcommand "frobnicate"'
run e5 --root "$ROOT/x" state "../etc"
one_error e5 1 'container "../etc" does not exist'
run e6 --systemd-cgroup --root "$ROOT/x" list
[ "$(rc e6)" = 0 ] || fail "--systemd-cgroup is refused: $(cat "$WORK/e6.err")"
[ ! -e "$ROOT/x" ] || fail "a failed command created $ROOT/x"
exit 0
