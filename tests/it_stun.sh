#!/bin/sh
# Integration test of `natprobe stun` against a real coturn on loopback
# (UDP, TCP, TLS; 127.0.0.1 and ::1), plus a closed port, an unresolvable
# name, a bad URI and a server that answers garbage. Checks exit codes,
# messages and that every JSON report validates against the schema.
set -u
NATPROBE=${NATPROBE:-./natprobe}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SCHEMA=$ROOT/reports/report.schema.json

if ! command -v turnserver >/dev/null 2>&1; then
	echo "SKIP: it_stun needs coturn's turnserver (make deps installs coturn)"
	exit 0
fi

# A free port base from the PID, away from the usual range.
BASE=$((20000 + ($$ % 2000) * 10))
P=$BASE; TLSP=$((BASE + 2)); CLOSED=$((BASE + 5)); GARB=$((BASE + 6)); GARB2=$((BASE + 7)); GARB3=$((BASE + 8))

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 >/dev/null 2>&1 ||
	{ echo "FAIL cannot make a test certificate"; exit 1; }

timeout 120 turnserver -n --no-cli --log-file stdout --simple-log \
	-L 127.0.0.1 -L ::1 --listening-port "$P" --tls-listening-port "$TLSP" \
	--cert "$tmp/cert.pem" --pkey "$tmp/key.pem" --no-dtls \
	--pidfile "$tmp/turn.pid" >"$tmp/turn.log" 2>&1 &
pids="$pids $!"
$PY "$HERE/peers/garbage_server.py" "$GARB" text >/dev/null 2>&1 &
pids="$pids $!"
$PY "$HERE/peers/garbage_server.py" "$GARB2" badlen >/dev/null 2>&1 &
pids="$pids $!"
$PY "$HERE/peers/garbage_server.py" "$GARB3" wrongtid >/dev/null 2>&1 &
pids="$pids $!"

wait_stun "stun:127.0.0.1:$P"

# run NAME EXPECTED_RC GREP_PATTERN ARGS...: runs natprobe, checks the exit
# code and that the text output or stderr contains the pattern, then the
# same with --format json validated against the schema.
run() {
	name=$1 want=$2 pat=$3; shift 3
	$NATPROBE stun "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, want $want"; cat "$tmp/out" "$tmp/err"; return
	fi
	if ! grep -Eq "$pat" "$tmp/out" "$tmp/err"; then
		bad "$name: output lacks /$pat/"; cat "$tmp/out" "$tmp/err"; return
	fi
	if [ "$want" != 2 ]; then
		$NATPROBE stun --format json "$@" >"$tmp/json" 2>/dev/null
		if ! $PY "$HERE/validate_json.py" "$SCHEMA" "$tmp/json" >"$tmp/verr" 2>&1; then
			bad "$name: JSON does not validate"; cat "$tmp/verr"; return
		fi
	fi
	ok "$name"
}

run "udp ipv4"  0 "mapped address +127\.0\.0\.1:[0-9]+" "stun:127.0.0.1:$P"
run "udp ipv6"  0 "mapped address +\[::1\]:[0-9]+" "stun:[::1]:$P"
run "tcp ipv4"  0 "over TCP.*" "stun:127.0.0.1:$P?transport=tcp"
run "tcp ipv6"  0 "mapped address +\[::1\]" "stun:[::1]:$P?transport=tcp"
run "tls ipv4"  0 "TLSv1\.[23].*verified" --tls-ca "$tmp/cert.pem" "stuns:127.0.0.1:$TLSP"
run "tls ipv6"  0 "mapped address +\[::1\]" --tls-ca "$tmp/cert.pem" "stuns:[::1]:$TLSP"
run "tls untrusted cert" 0 "certificate is not trusted" "stuns:127.0.0.1:$TLSP"
run "rfc5780 seen" 0 "other address +127\.0\.0\.1:$((P + 1))" "stun:127.0.0.1:$P"
run "software"  0 "software +Coturn" "stun:127.0.0.1:$P"
run "-4 on a v4 name" 0 "status +ok" -4 "stun:localhost:$P"
run "closed udp port" 1 "port closed" "stun:127.0.0.1:$CLOSED"
run "closed tcp port" 1 "port closed|Connection refused" "stun:127.0.0.1:$CLOSED?transport=tcp"
run "unresolvable"  1 "did not resolve|cannot resolve" "stun:no-such-host.invalid"
run "garbage text"  1 "not valid STUN|not a STUN" --timeout 0.5 "stun:127.0.0.1:$GARB"
run "garbage length" 1 "not valid STUN|STUN_BADLEN|length" --timeout 0.5 "stun:127.0.0.1:$GARB2"
run "wrong tid"     1 "matched no request|no response" --timeout 0.5 "stun:127.0.0.1:$GARB3"
run "garbage tcp"   1 "not STUN|not valid STUN" --timeout 1 "stun:127.0.0.1:$GARB?transport=tcp"
run "bad scheme"    2 "scheme must be" "http://127.0.0.1"
run "bad port"      2 "port must be" "stun:127.0.0.1:99999"
run "no uri"        2 "give at least one server" 
run "turn uri"      2 "takes stun: or stuns:" "turn:127.0.0.1"

# The observation log replays into the same report.
$NATPROBE stun --events "$tmp/ev.jsonl" --format json "stun:127.0.0.1:$P" >"$tmp/live.json" 2>/dev/null
$NATPROBE report --events "$tmp/ev.jsonl" --format json >"$tmp/replay.json" 2>/dev/null
if $PY - "$tmp/live.json" "$tmp/replay.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.pop("started", None)
sys.exit(0 if a == b else 1)
PYEOF
then ok "events replay to the same report"; else bad "events replay differs"; fi

# A log that is not one.
echo 'not json' > "$tmp/bad.jsonl"
$NATPROBE report --events "$tmp/bad.jsonl" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q "line 1" "$tmp/err"; then ok "bad events file named"; else bad "bad events file: rc $rc"; cat "$tmp/err"; fi

exit $fail
