#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing:
# radicale and xandikos (real CalDAV servers the tests start on 127.0.0.1),
# what ../shared/servers' sabre/sabre.sh and cyrus/cyrus.sh need to start
# sabre/dav (under php -S) and Cyrus IMAP's CalDAV httpd, and chromium (the
# web report's browser test drives it headless). apt-get update runs once,
# and only when something is missing.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"

need=()
command -v radicale >/dev/null 2>&1 || need+=(radicale)
command -v xandikos >/dev/null 2>&1 || need+=(xandikos)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The packages of `sabre.sh install` and `cyrus.sh install` (plus curl and
# python3, which both scripts call), listed here rather than by calling the
# scripts so that apt-get update runs at most once.
for p in php-cli php-sqlite3 php-xml php-mbstring php-psr-log sqlite3 curl python3 \
	cyrus-imapd cyrus-caldav cyrus-admin sasl2-bin libsasl2-modules; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
apt_install install-deps 0 "${need[@]}"
