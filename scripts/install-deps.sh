#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing:
# radicale and xandikos (real CalDAV servers the tests start on 127.0.0.1)
# and chromium (the web report's browser test drives it headless).
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"

need=()
command -v radicale >/dev/null 2>&1 || need+=(radicale)
command -v xandikos >/dev/null 2>&1 || need+=(xandikos)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
apt_install install-deps 0 "${need[@]}"
