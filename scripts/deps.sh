#!/bin/sh
# Installs snare's build and test dependencies on Debian 12.
# Usage: scripts/deps.sh [build|test|bench|deb]   (default: build)
# deb: what `make deb` and scripts/ci-package.sh need (debhelper provides
# dh-sequence-installsysusers on Debian 12; systemd-sysusers creates the
# package's user when it is installed).
# As root it runs apt-get for whatever is missing; otherwise it prints the
# exact command to run and exits non-zero.
set -eu

BUILD_PKGS="build-essential pkg-config clang llvm libclang-rt-14-dev libssl-dev \
libbpf-dev bpftool libnl-3-dev libnl-route-3-dev libsodium-dev libprotobuf-c-dev \
protobuf-c-compiler libseccomp-dev libc-ares-dev libnghttp2-dev libcmocka-dev \
libqrencode-dev libyaml-dev libcap-dev libmnl-dev libnftnl-dev libcrypt-dev openssl \
libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev libgnutls28-dev \
libjansson-dev zlib1g-dev libbrotli-dev libzstd-dev liblua5.4-dev"
TEST_PKGS="nodejs curl socat iproute2 nftables iptables procps psmisc python3 ca-certificates bind9-dnsutils dnsmasq-base openssl xxd wireguard-go wireguard-tools iputils-ping chromium squid tinyproxy netcat-openbsd sudo tmux testssl.sh nghttp2-client nghttp2-server nginx ngtcp2-client ngtcp2-server caddy zbar-tools python3-h2 libnss3-tools"
BENCH_PKGS="wrk nginx mitmproxy util-linux tinyproxy sslsplit python3-h2"
DEB_PKGS="debhelper lintian git systemd curl python3"

# npm comes with nodesource's nodejs; Debian ships it apart.
command -v npm >/dev/null 2>&1 || TEST_PKGS="$TEST_PKGS npm"

want="$BUILD_PKGS"
case "${1:-build}" in
build) ;;
test) want="$BUILD_PKGS $TEST_PKGS" ;;
bench) want="$BUILD_PKGS $TEST_PKGS $BENCH_PKGS" ;;
deb) want="$BUILD_PKGS $DEB_PKGS" ;;
*) echo "deps.sh: unknown set '$1' (build, test, bench or deb)" >&2; exit 2 ;;
esac

# npm packages the tests use, into folders git ignores (after the Debian ones).
npm_deps() {
	case "${1:-build}" in
	test | bench)
		"$(dirname "$0")/../tests/har/install.sh"
		"$(dirname "$0")/../tests/web/install.sh"
		;;
	esac
}

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then npm_deps "${1:-build}"; exit 0; fi

if [ "$(id -u)" -ne 0 ]; then
	echo "snare: missing packages:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "snare: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing >/dev/null; then
	apt-get update -qq
	apt-get install -y --no-install-recommends $missing >/dev/null
fi
npm_deps "${1:-build}"
