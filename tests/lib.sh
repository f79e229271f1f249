# tests/lib.sh - what the shell tests share. Source it after setting HERE:
#   HERE=$(cd "$(dirname "$0")" && pwd); . "$HERE/lib.sh"
# Gives ROOT, PY, NATPROBE, a temporary directory $tmp, a list $pids of
# processes this test started (killed and reaped on exit, and only those),
# and ok/bad reporters that set $fail.
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
NATPROBE=${NATPROBE:-./natprobe}
fail=0
pids=""
tmp=$(mktemp -d)

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# wait_stun URI: waits (at most 5 s) until a STUN server answers there.
wait_stun() {
	_i=0
	while [ $_i -lt 50 ]; do
		"$NATPROBE" stun -c 1 --timeout 0.2 "$1" >/dev/null 2>&1 && return 0
		_i=$((_i + 1)); sleep 0.1
	done
	return 1
}
