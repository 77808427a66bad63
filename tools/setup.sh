#!/bin/sh
# Installs what provfs needs on Debian 12 (as root), then builds it.
#
#   tools/setup.sh              install missing packages, build into build/
#   tools/setup.sh demo         ... then run 'provfs demo' (the default job)
#   tools/setup.sh --deps-only  only install missing packages
set -eu
cd "$(dirname "$0")/.."

# Every package the build, the tests and the benchmarks need.
PACKAGES="build-essential pkg-config meson ninja-build
libfuse3-dev fuse3 libssl-dev libsqlite3-dev libcurl4-openssl-dev libjansson-dev
libcmocka-dev sqlite3 clang python3 python3-cryptography attr acl libcap2-bin make
procps psmisc util-linux
git dpkg-dev xz-utils autoconf automake libtool libtool-bin libreadline-dev
debootstrap strace reprozip gdb podman runc netavark"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing (run as root to install them)" >&2
		exit 2
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true

if [ "${1:-}" = "--deps-only" ]; then
	exit 0
fi
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
fi
ninja -C build
if [ "${1:-}" = "demo" ]; then
	exec build/tools/provfs demo
fi
