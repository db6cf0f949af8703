#!/bin/bash
# The Debian package, proved from a clean clone (.ci/run runs it after make
# check; as root on Debian 12).  Clones the committed tree into a temporary
# directory, so a file git ignores or nobody committed breaks the build here
# as it would for a user; builds with `make deb` (lintian must report no
# error), installs the package, checks the unit with systemd-analyze, runs
# the installed snare as the user the package creates, in reverse mode in
# front of a local origin, checks the sudoers sample with sudo itself, then
# purges the package and checks what is left.  Trusts the machine it runs
# on; touches only loopback, and the package, user and group names below.
# Prints "ok NAME" / "not ok NAME: why" lines and a final
# "N passed, N failed, N skipped" line; exits non-zero on a failure.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
W=$(mktemp -d /tmp/snare-pkg.XXXXXX)
CONF=/var/lib/snare # the unit's conf dir, removed by the purge
SUDO_GROUP=snare-capture
SUDO_USER_T=snarepkgt # a test member of the group; removed at the end
SUDO_FILE=/etc/sudoers.d/snare-pkgtest
pass=0 fail=0 skip=0
PIDS=()
INSTALLED=0

ok() { echo "ok $1"; pass=$((pass + 1)); }
notok() { local n=$1; shift; echo "not ok $n: $*"; fail=$((fail + 1)); }
skip() { echo "skip $1: $2"; skip=$((skip + 1)); }
check() { # check NAME CMD...
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name" "failed: $*"; fi
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -f "$SUDO_FILE"
	pkill -TERM -u "$SUDO_USER_T" 2>/dev/null
	userdel "$SUDO_USER_T" 2>/dev/null
	groupdel "$SUDO_GROUP" 2>/dev/null
	[ "$INSTALLED" -eq 1 ] && dpkg --purge snare >/dev/null 2>&1
	rm -rf "$W" "${UCONF:-}"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- build ----------------------------------------------------------------

build() {
	local t0=$SECONDS log=$W/build.log
	# The tree may belong to another user than root (git's safe.directory).
	printf '[safe]\n\tdirectory = *\n[advice]\n\tdetachedHead = false\n' >"$W/gitconfig"
	if ! GIT_CONFIG_GLOBAL=$W/gitconfig git clone -q "$ROOT" "$W/src"; then
		notok deb-clone "git clone of $ROOT failed"
		return 1
	fi
	ok deb-clone
	# Tests ran in make check; the package's own test subset is skipped.
	DEB_BUILD_OPTIONS="nocheck" make -C "$W/src" deb >"$log" 2>&1
	local rc=$?
	DEB=$(ls "$W"/src/build/deb/snare_*_*.deb 2>/dev/null | head -n1)
	echo "# make deb: exit $rc after $((SECONDS - t0)) s"
	grep -E '^[EWIPXO]: ' "$log" | sed 's/^/# lintian: /'
	if [ -z "$DEB" ]; then
		tail -n 30 "$log" | sed 's/^/# /'
		notok deb-build "make deb on a clean clone built no package"
		return 1
	fi
	ok deb-build
	if [ "$rc" -ne 0 ] || grep -q '^E: ' "$log"; then
		tail -n 10 "$log" | sed 's/^/# /'
		notok deb-lintian "lintian reported errors (or make deb failed after the build)"
	else
		ok deb-lintian
	fi
}

# ---- install --------------------------------------------------------------

# pkg_file PATH: PATH, or where it was extracted from the package when
# dpkg's path-exclude (minimal images drop /usr/share/doc and man) left it out.
pkg_file() {
	if [ -e "$1" ] || [[ $1 != /usr/share/doc/* && $1 != /usr/share/man/* ]]; then
		echo "$1"
		return
	fi
	mkdir -p "$W/x"
	dpkg-deb --fsys-tarfile "$DEB" | tar -xf - -C "$W/x" ".$1" 2>/dev/null
	echo "# $1 is excluded by dpkg's configuration; checked in the package" >&2
	echo "$W/x$1"
}

install_pkg() {
	if dpkg-query -W -f='${Status}' snare 2>/dev/null | grep -q 'ok installed'; then
		notok deb-install "a snare package is installed already; purge it first"
		return 1
	fi
	if [ -e "$CONF" ]; then
		notok deb-install "$CONF exists already"
		return 1
	fi
	getent passwd snare >/dev/null && echo "# user snare exists before the install (an earlier run)"
	if ! dpkg -i "$DEB" >"$W/install.log" 2>&1; then
		sed 's/^/# /' "$W/install.log"
		INSTALLED=1
		notok deb-install "dpkg -i failed"
		return 1
	fi
	INSTALLED=1
	ok deb-install
	dpkg -L snare >"$W/files"
	local f
	for f in /usr/bin/snare /usr/libexec/snare/snare-netfilter /usr/libexec/snare/snare-tun \
		/usr/libexec/snare/snare-redirector /etc/snare/config.yaml \
		/lib/systemd/system/snare.service /usr/lib/sysusers.d/snare.conf \
		/usr/share/doc/snare/examples/sudoers.d/snare /usr/share/man/man5/snare.conf.5.gz; do
		grep -qx "$f" "$W/files" && [ -f "$(pkg_file "$f")" ] ||
			{ notok deb-files "$f not installed"; return 1; }
	done
	ok deb-files
	local pw
	pw=$(getent passwd snare)
	if [ -z "$pw" ]; then
		notok deb-user "the package created no user snare"
		return 1
	fi
	echo "# user: $pw"
	# A system user (uid below 1000) without a login shell.
	if [ "$(echo "$pw" | cut -d: -f3)" -lt 1000 ] && [ "$(echo "$pw" | cut -d: -f7)" = /usr/sbin/nologin ]; then
		ok deb-user
	else
		notok deb-user "snare is not a system user without a shell: $pw"
	fi
	local v
	v=$(/usr/bin/snare --version 2>&1)
	echo "# /usr/bin/snare --version: $v"
	check deb-version [ "$v" = "snare $(sed -n 's/^VERSION := //p' "$ROOT/Makefile")" ]
	check_unit
}

# The unit as systemd reads it: no unknown key, no bad value, no warning.
check_unit() {
	local out
	if ! command -v systemd-analyze >/dev/null; then
		skip deb-unit "no systemd-analyze"
		return 0
	fi
	if out=$(systemd-analyze verify --man=no /lib/systemd/system/snare.service 2>&1) && [ -z "$out" ]; then
		ok deb-unit
	else
		echo "$out" | sed 's/^/# unit: /'
		notok deb-unit "systemd-analyze verify complains about snare.service"
	fi
}

# ---- run ------------------------------------------------------------------

# An origin serving one file with a random token.
start_origin() {
	mkdir -p "$W/www"
	TOKEN=pkg-$RANDOM$RANDOM
	echo "$TOKEN" >"$W/www/token"
	OPORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$W/www" "$OPORT" >"$W/origin.log" 2>&1 &
	PIDS+=($!)
	local i
	for i in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$OPORT/token" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The installed snare, as the unit runs it (its configuration file and conf
# dir, as user snare) with a reverse mode instead of the file's modes.
# setpriv executes snare itself: $! is snare, and SIGTERM goes to it.
run_reverse() {
	if ! start_origin; then
		notok deb-reverse "the origin did not start"
		return 1
	fi
	local port body i user spid
	port=$(free_port)
	# What the unit's StateDirectory= would make.
	install -d -o snare -g snare -m 0700 "$CONF"
	(cd / && exec setpriv --reuid=snare --regid=snare --init-groups env -i PATH=/usr/bin:/bin \
		HOME="$CONF" /usr/bin/snare --conf /etc/snare/config.yaml --set confdir="$CONF" \
		--mode "reverse:http://127.0.0.1:$OPORT@127.0.0.1:$port") >"$W/snare.log" 2>&1 &
	spid=$!
	PIDS+=($spid)
	for i in $(seq 1 100); do
		body=$(curl -s --max-time 5 "http://127.0.0.1:$port/token" 2>/dev/null) && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	user=$(ps -o user= -p "$spid" 2>/dev/null)
	if [ "$body" = "$TOKEN" ] && [ "$user" = snare ]; then
		ok deb-reverse
	else
		sed 's/^/# snare: /' "$W/snare.log" | tail -n 20
		notok deb-reverse "expected '$TOKEN' through snare running as snare, got '$body' (user '$user')"
	fi
	check deb-reverse-flow grep -q "/token" "$W/snare.log"
	check deb-conf-ca [ -f "$CONF/snare-ca.pem" ]
	local procs rc
	procs=$(pgrep -c -u snare)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	rc=$?
	for i in $(seq 1 50); do
		pgrep -u snare >/dev/null || break
		sleep 0.1
	done
	# Its processes (coordinator, spawner, ca, workers) ran and are gone.
	if [ "$rc" -eq 0 ] && [ "$procs" -ge 2 ] && ! pgrep -u snare >/dev/null; then
		ok deb-reverse-stopped
	else
		notok deb-reverse-stopped "exit status $rc after SIGTERM; $procs processes of snare;" \
			"left: $(pgrep -u snare | tr '\n' ' ')"
	fi
}

# ---- the sudoers sample ---------------------------------------------------

sudo_allowed() { # sudo_allowed CMD ARGS...: the policy allows it for the test user
	sudo -n -l -U "$SUDO_USER_T" "$@" >/dev/null 2>&1
}

# A low loopback port nobody listens on.
free_low_port() {
	python3 -c '
import random, socket
for p in random.sample(range(600, 1000), 400):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'
}

# pty_run PASSWORD CMD...: runs CMD in a pseudo-terminal, types PASSWORD at
# sudo's prompt, copies the terminal to stdout until CMD exits.
pty_run() {
	python3 -c '
import os, pty, sys
pw, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
seen, typed = b"", False
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    sys.stdout.buffer.write(d)
    sys.stdout.flush()
    seen = (seen + d)[-4096:]
    if not typed and b"password for" in seen:
        os.write(fd, pw.encode() + b"\n")
        typed = True
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) & 0xff)' "$@"
}

# A member of the group runs the installed snare on a port below 1024:
# snare starts snare-netfilter through sudo, the sample lets it after the
# password, and the origin answers through the port.  (snare names the
# helper /usr/bin/../libexec/snare/...: sudo matches it by its inode.)
NF_HELPER='^/usr/(bin/\.\./)?libexec/snare/snare-netfilter --rendezvous /tmp/snare-rv\.'
sudo_snare() {
	local pw=pw-$RANDOM-$RANDOM port i body dpid helper
	port=$(free_low_port)
	echo "$SUDO_USER_T:$pw" | chpasswd || { notok deb-sudoers-snare "chpasswd failed"; return 1; }
	UCONF=$(mktemp -d /tmp/snare-pkgu.XXXXXX) && chown "$SUDO_USER_T" "$UCONF"
	pty_run "$pw" setpriv --reuid="$SUDO_USER_T" --regid="$SUDO_GROUP" --init-groups \
		env -i PATH=/usr/bin:/bin HOME="$UCONF" /usr/bin/snare --set confdir="$UCONF" \
		--mode "reverse:http://127.0.0.1:$OPORT@127.0.0.1:$port" >"$W/sudo-snare.log" 2>&1 &
	dpid=$!
	PIDS+=($dpid)
	for i in $(seq 1 150); do
		body=$(curl -s --max-time 5 "http://127.0.0.1:$port/token" 2>/dev/null) && break
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.2
	done
	helper=$(pgrep -u root -f "$NF_HELPER")
	if [ "$body" = "$TOKEN" ] && [ -n "$helper" ] && grep -q "password for $SUDO_USER_T" "$W/sudo-snare.log"; then
		ok deb-sudoers-snare
	else
		tr -d '\r' <"$W/sudo-snare.log" | tail -n 20 | sed 's/^/# sudo-snare: /'
		notok deb-sudoers-snare "port $port: got '$body', helper '$helper'"
	fi
	pkill -TERM -P "$dpid" 2>/dev/null # snare, the child of pty_run
	wait "$dpid" 2>/dev/null
	for i in $(seq 1 50); do
		pgrep -u root -f "$NF_HELPER" >/dev/null || break
		sleep 0.1
	done
	if [ -n "$helper" ] && ! pgrep -u root -f "$NF_HELPER" >/dev/null; then
		ok deb-sudoers-snare-stopped
	else
		notok deb-sudoers-snare-stopped "the helper ran ('$helper') and is still running, or never ran"
	fi
}

# The sample, installed as its comment says: the helpers with snare's
# arguments are allowed, with a password; other arguments and commands not.
check_sudoers() {
	local sample h
	sample=$(pkg_file /usr/share/doc/snare/examples/sudoers.d/snare)
	if ! command -v sudo >/dev/null || ! command -v visudo >/dev/null; then
		skip deb-sudoers "sudo is not installed"
		return 0
	fi
	check deb-sudoers-syntax visudo -cqf "$sample"
	groupadd --system "$SUDO_GROUP" && useradd -M -N -g "$SUDO_GROUP" -s /usr/sbin/nologin "$SUDO_USER_T" &&
		install -m 0440 "$sample" "$SUDO_FILE" || { notok deb-sudoers "cannot set up the test user"; return 1; }
	for h in /usr/libexec/snare/snare-{netfilter,tun,redirector} /usr/bin/../libexec/snare/snare-tun; do
		if ! sudo_allowed "$h" --rendezvous /tmp/snare-rv.Ab3dE9; then
			notok deb-sudoers-allows "$h with snare's arguments is refused"
			return 1
		fi
	done
	ok deb-sudoers-allows
	if sudo -n -l -U "$SUDO_USER_T" | grep -q NOPASSWD; then
		notok deb-sudoers-password "the sample grants NOPASSWD"
	else
		ok deb-sudoers-password
	fi
	local bad=0
	sudo_allowed /usr/libexec/snare/snare-netfilter && bad=1
	sudo_allowed /usr/libexec/snare/snare-netfilter --rendezvous /etc && bad=1
	sudo_allowed /usr/libexec/snare/snare-tun --rendezvous /tmp/snare-rv.Ab3dE9 x && bad=1
	sudo_allowed /usr/bin/snare && bad=1
	sudo_allowed /bin/sh && bad=1
	check deb-sudoers-refuses [ "$bad" -eq 0 ]
	sudo_snare
	rm -f "$SUDO_FILE"
	userdel "$SUDO_USER_T"
	groupdel "$SUDO_GROUP"
}

# ---- purge ----------------------------------------------------------------

purge_pkg() {
	local f left=""
	if ! dpkg --purge snare >"$W/purge.log" 2>&1; then
		sed 's/^/# /' "$W/purge.log"
		notok deb-purge "dpkg --purge failed"
		return 1
	fi
	INSTALLED=0
	ok deb-purge
	# Every file the package had, the conffile and the state directory.
	while read -r f; do
		[ -d "$f" ] && continue
		[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
	done <"$W/files"
	for f in /etc/snare /usr/libexec/snare /usr/share/doc/snare "$CONF" \
		/var/lib/dpkg/info/snare.list /var/lib/systemd/deb-systemd-helper-enabled/snare.service.dsh-also; do
		[ -e "$f" ] && left="$left $f"
	done
	if [ -z "$left" ]; then ok deb-purge-clean; else notok deb-purge-clean "left behind:$left"; fi
	# Debian keeps system users on purge: files elsewhere may still be theirs.
	if getent passwd snare >/dev/null; then
		echo "# user snare kept after purge, as Debian does for system users"
	fi
}

main() {
	local t0=$SECONDS
	echo "== package (clean clone, make deb, install, run, purge)"
	if [ "$(id -u)" -ne 0 ]; then
		skip deb "needs root (dpkg -i, setpriv, a sudoers file)"
	elif ! scripts/deps.sh deb; then
		notok deb-deps "scripts/deps.sh deb failed"
	elif build && install_pkg; then
		run_reverse
		check_sudoers
		purge_pkg
	fi
	echo "# package checks took $((SECONDS - t0)) s"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}

main
