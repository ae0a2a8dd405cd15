#!/bin/sh
# Installs the build and test dependencies with apt-get, only those missing.
# --oci: the OCI clients the last test stage and the benchmarks drive instead.
set -e
if [ "${1:-}" = --oci ]; then
	pkgs="podman conmon runc crun containerd tmux"
else
	pkgs="build-essential pkg-config libseccomp-dev libjansson-dev libunwind-dev
	      libcapstone-dev libcmocka-dev clang busybox-static python3 strace tmux
	      git sqlite3"
fi
need=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "deps: installing$need" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$need (run make deps as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || true
apt-get install -y -q --no-install-recommends $need >/dev/null
