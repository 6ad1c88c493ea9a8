# apt_install WHO STRICT PACKAGE... installs Debian packages: apt-get update
# once, then apt-get install -y, as root or via sudo. Without root, sudo or
# apt-get it says what to install by hand; then it fails when STRICT is 1,
# else it returns 0 (the tests that need the packages skip meanwhile).
# Sourced by install-deps.sh and install-compare-deps.sh.
apt_install() {
	local who=$1 strict=$2
	shift 2
	[ $# -eq 0 ] && return 0
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo="sudo"
		else
			echo "$who: missing $* and not root: install them (Debian: apt-get install $*)" >&2
			[ "$strict" = 1 ] && return 1
			return 0
		fi
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "$who: missing $* and no apt-get: install them by hand" >&2
		[ "$strict" = 1 ] && return 1
		return 0
	fi
	echo "$who: installing $*" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
