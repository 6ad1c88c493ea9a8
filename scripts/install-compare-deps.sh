#!/usr/bin/env bash
# Installs the Debian packages `make compare` needs when they are missing:
# vdirsyncer (the sync comparison), python3-recurring-ical-events (the
# expansion comparison; the Debian package serves /usr/bin/python3, not a
# pyenv or venv python3) and radicale (the CalDAV server both syncs pull
# from). It runs apt-get update once, then apt-get install -y, as root or
# via sudo, like scripts/install-deps.sh. Unlike that script it fails when
# it cannot install them: the comparison cannot run without them.
set -euo pipefail

need=()
command -v vdirsyncer >/dev/null 2>&1 || need+=(vdirsyncer)
command -v radicale >/dev/null 2>&1 || need+=(radicale)
if ! /usr/bin/python3 -c 'import recurring_ical_events' >/dev/null 2>&1; then
	need+=(python3-recurring-ical-events)
fi
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "install-compare-deps: missing ${need[*]} and not root: install them (Debian: apt-get install ${need[*]})" >&2
		exit 1
	fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-compare-deps: missing ${need[*]} and no apt-get: install them by hand" >&2
	exit 1
fi
echo "install-compare-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
