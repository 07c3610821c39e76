#!/usr/bin/env bash
# deps.sh installs the Debian packages Couture's build and tests need, when
# they are missing: make, CA certificates for the Go module proxy, a C
# compiler and the X11/Wayland/OpenGL headers for Fyne, and Xvfb to run the
# GUI without a screen. Later issues append to PACKAGES.
set -euo pipefail

PACKAGES="make ca-certificates gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev xvfb xauth xz-utils dovecot-core dovecot-imapd isync"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: no dpkg-query; not a Debian system, install the equivalent of: $PACKAGES"
	exit 0
fi

missing=()
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all $(wc -w <<<"$PACKAGES") packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	echo "deps: missing ${missing[*]}; run as root or install sudo" >&2
	exit 1
fi

# apt-get's own output goes to a log, shown only when a step fails.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
apt() {
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
		cat "$log" >&2
		echo "deps: apt-get $* failed" >&2
		exit 1
	fi
}

echo "deps: missing ${missing[*]}"
echo "deps: apt-get update"
apt update -q
# Server packages (dovecot-imapd) must not start their system service: the
# tests run private instances. A policy-rc.d answering 101 makes
# invoke-rc.d skip it; it is removed again if this script put it there.
guard=/usr/sbin/policy-rc.d
if [ ! -e "$guard" ]; then
	"${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' >$guard && chmod +x $guard"
	trap 'rm -f "$log"; "${sudo[@]}" rm -f "$guard"' EXIT
fi
echo "deps: apt-get install ${missing[*]}"
apt install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
