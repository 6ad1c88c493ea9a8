#!/usr/bin/env bash
# Installs the Debian packages `make compare` needs when they are missing:
# vdirsyncer (the sync comparison), python3-recurring-ical-events (the
# expansion comparison; the Debian package serves /usr/bin/python3, not a
# pyenv or venv python3) and radicale (the CalDAV server both syncs pull
# from). Unlike install-deps.sh it fails when it cannot install them: the
# comparison cannot run without them.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"

need=()
command -v vdirsyncer >/dev/null 2>&1 || need+=(vdirsyncer)
command -v radicale >/dev/null 2>&1 || need+=(radicale)
if ! /usr/bin/python3 -c 'import recurring_ical_events' >/dev/null 2>&1; then
	need+=(python3-recurring-ical-events)
fi
apt_install install-compare-deps 1 "${need[@]}"
