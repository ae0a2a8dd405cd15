# Helpers for the OCI end-to-end scripts (sourced after common.sh).
# shellcheck shell=bash

OCI_IMAGE=localhost/cvisor-busybox:latest
# podman's root default ulimits exceed this VM's hard limits (OCI-CONTRACT.md).
OCI_CONF=$WORK/containers.conf
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=16384:16384"]\n' >"$OCI_CONF"
export CONTAINERS_CONF=$OCI_CONF

# make_rootfs DIR: a busybox-static root filesystem in DIR.
make_rootfs() {
	local d=$1 a
	[ -x /bin/busybox ] || skip "busybox-static not installed"
	mkdir -p "$d"/{bin,proc,sys,dev,etc,tmp,root,data}
	cp /bin/busybox "$d/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$d/etc/passwd"
	echo 'root:x:0:' >"$d/etc/group"
}

# oci_bundle ID...: a busybox bundle in $B (rootfs only: the script writes
# its config.json), container state under $ROOT and C, the cvisor command
# line on them; at exit the containers ID... go (delete --force), then $WORK.
oci_bundle() {
	ROOT=$WORK/state
	B=$WORK/bundle
	make_rootfs "$B/rootfs"
	C=(timeout "$CMD_TIMEOUT" "$CVISOR" --root "$ROOT" $PLATFORM_FLAG)
	OCI_IDS=("$@")
	trap oci_cleanup EXIT
}

oci_cleanup() {
	local id
	for id in "${OCI_IDS[@]}"; do
		"$CVISOR" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$WORK"
}

# expect WHAT WANT GOT: fails unless GOT is WANT.
expect() {
	[ "$2" = "$3" ] || fail "$1: want [$2], got [$3]"
}

# podman_image: imports the busybox image once (podman import, no registry).
podman_image() {
	podman image exists "$OCI_IMAGE" 2>/dev/null && return 0
	make_rootfs "$WORK/img"
	tar -C "$WORK/img" -cf "$WORK/img.tar" . || fail "tar of the image rootfs"
	podman import -q "$WORK/img.tar" "$OCI_IMAGE" >/dev/null || fail "podman import failed"
}

# no_oci_leftovers ROOT: no cvisor process, state directory or cgroup left.
no_oci_leftovers() {
	local root=$1 left
	left=$(ls -A "$root" 2>/dev/null)
	[ -z "$left" ] || fail "state left under $root: $left"
}
