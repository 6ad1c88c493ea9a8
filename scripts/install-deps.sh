#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing:
# radicale and xandikos (real CalDAV servers the tests start on 127.0.0.1)
# and chromium (the web report's browser test drives it headless).
# It runs apt-get update once, then apt-get install -y, as root or via sudo.
set -euo pipefail

need=()
command -v radicale >/dev/null 2>&1 || need+=(radicale)
command -v xandikos >/dev/null 2>&1 || need+=(xandikos)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "install-deps: missing ${need[*]} and not root: install them (Debian: apt-get install ${need[*]}); their tests skip meanwhile" >&2
		exit 0
	fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing ${need[*]} and no apt-get: install them by hand; their tests skip meanwhile" >&2
	exit 0
fi
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
