#!/bin/sh
# Integration test of the TURN client (probe/turn_client.c) against coturn
# started here on loopback, through tests/turn_driver.c: allocation with
# long-term credentials, a permission for a local UDP echo peer, data both
# ways through Send/Data indications and through a channel (ChannelData,
# padded over TCP/TLS), deallocation; over UDP, TCP and TLS, IPv4 and an
# IPv6 relay. Then what the server refuses: a wrong password (the code and
# reason coturn sends are reported as they are), a stale nonce (438, retried
# once with the new nonce), a per-user quota (486).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if ! command -v turnserver >/dev/null 2>&1; then
	echo "SKIP: it_turn needs coturn's turnserver (make deps installs coturn)"
	exit 0
fi
if [ ! -f "$ROOT/build/libnp.a" ]; then
	echo "SKIP: it_turn needs build/libnp.a (run make first)"
	exit 0
fi

DRIVER=$tmp/turn_driver
cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I"$ROOT/probe" \
	-o "$DRIVER" "$HERE/turn_driver.c" "$ROOT/build/libnp.a" \
	$(pkg-config --libs openssl jansson) -lm ||
	{ echo "FAIL cannot build tests/turn_driver.c"; exit 1; }

# coturn also listens on port+1 (its alternate port) and shares ports with
# SO_REUSEPORT, so a base is taken only when nothing uses base..base+3.
used=$(ss -Hlntu 2>/dev/null | awk '{print $5}' | sed 's/.*://' | sort -u)
pick_base() {
	k=0
	while [ $k -lt 200 ]; do
		b=$((30000 + (($$ * 7 + k * 131 + $1 * 1009) % 3000) * 8))
		clash=0
		for p in $b $((b + 1)) $((b + 2)) $((b + 3)); do
			echo "$used" | grep -qx "$p" && clash=1
		done
		if [ $clash = 0 ]; then echo $b; return; fi
		k=$((k + 1))
	done
	echo 0
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 >/dev/null 2>&1 ||
	{ echo "FAIL cannot make a test certificate"; exit 1; }

# start_turn NAME BASE EXTRA...: coturn on BASE (TLS on BASE+2), bounded.
start_turn() {
	name=$1; base=$2; shift 2
	timeout 300 turnserver -n --no-cli --log-file stdout --simple-log -v \
		-L 127.0.0.1 -L ::1 --listening-port "$base" \
		--alt-listening-port $((base + 1)) \
		--tls-listening-port $((base + 2)) \
		--alt-tls-listening-port $((base + 3)) \
		--cert "$tmp/cert.pem" --pkey "$tmp/key.pem" --no-dtls \
		--lt-cred-mech --user natprobe:natprobe --realm lab.natprobe \
		--allow-loopback-peers --allowed-peer-ip=127.0.0.1 \
		--allowed-peer-ip=::1 --pidfile "$tmp/$name.pid" \
		--db "$tmp/$name.db" "$@" >"$tmp/$name.log" 2>&1 &
	pids="$pids $!"
}

A=$(pick_base 1); B=$(pick_base 2); C=$(pick_base 3)
if [ "$A" = 0 ] || [ "$B" = 0 ] || [ "$C" = 0 ] || [ "$A" = "$B" ] ||
   [ "$B" = "$C" ] || [ "$A" = "$C" ]; then
	echo "SKIP: no free loopback port range for coturn"
	exit 0
fi
start_turn plain "$A"
start_turn stale "$B" --stale-nonce=2
start_turn quota "$C" --user-quota=1

PEER4=$((A + 4)); PEER6=$((A + 5))
cat >"$tmp/echo.py" <<'EOF'
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(120)
while True:
    try:
        d, a = s.recvfrom(65535)
    except socket.timeout:
        break
    s.sendto(d, a)
EOF
$PY "$tmp/echo.py" 127.0.0.1 "$PEER4" &
pids="$pids $!"
$PY "$tmp/echo.py" ::1 "$PEER6" &
pids="$pids $!"

# Wait (bounded) until the three servers listen on TCP and TLS, and on
# UDP too: coturn binds its UDP listeners after the TCP ones, and an
# Allocate sent before that meets ICMP port unreachable (seen in CI).
i=0
while [ $i -lt 50 ]; do
	n=$(ss -Hlnt 2>/dev/null | awk '{print $4}' | grep -cE ":($A|$((A+2))|$B|$C)\$")
	u=$(ss -Hlnu 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u |
		grep -cxE "$A|$B|$C")
	[ "$n" -ge 4 ] && [ "$u" -ge 3 ] && break
	sleep 0.1; i=$((i + 1))
done
[ $i -lt 50 ] || { echo "FAIL coturn did not start"; cat "$tmp"/*.log | tail -20; exit 1; }

drive() {
	timeout 30 "$DRIVER" -T 20 "$@" >"$tmp/out" 2>&1
	rc=$?
	sed 's/^/     | /' "$tmp/out"
	return $rc
}

# Full runs: relayed address, data both ways, deallocation.
for t in udp tcp tls; do
	port=$A; [ $t = tls ] && port=$((A + 2))
	if drive -s 127.0.0.1:$port -t $t -P 127.0.0.1:$PEER4 &&
	   grep -q "^ALLOCATE0 ok relayed=127.0.0.1:" "$tmp/out" &&
	   grep -q "^DATA indication ok" "$tmp/out" &&
	   grep -q "^DATA channel ok" "$tmp/out" &&
	   grep -q "^DATA channel-odd ok" "$tmp/out" &&
	   grep -q "^CLOSED ok" "$tmp/out"; then
		ok "$t IPv4: allocate, permission, Send/Data, channel, deallocate"
	else
		bad "$t IPv4 round trip"
	fi
done
for t in udp tcp; do
	if drive -s "[::1]:$A" -t $t -6 -P "[::1]:$PEER6" &&
	   grep -q "^ALLOCATE0 ok relayed=\[::1\]:" "$tmp/out" &&
	   grep -q "^DATA channel-odd ok" "$tmp/out" &&
	   grep -q "^CLOSED ok" "$tmp/out"; then
		ok "$t IPv6 relay (REQUESTED-ADDRESS-FAMILY): round trip"
	else
		bad "$t IPv6 relay round trip"
	fi
done
# An IPv6 relay asked for over IPv4 transport (RFC 8656 allows it).
if drive -s 127.0.0.1:$A -t udp -6 -P "[::1]:$PEER6" &&
   grep -q "^ALLOCATE0 ok relayed=\[::1\]:" "$tmp/out"; then
	ok "udp: IPv6 relay over an IPv4 server address"
else
	# coturn may refuse; the code must be the server's own (440 or 443).
	if grep -qE "fail code=4[0-9][0-9] " "$tmp/out"; then
		ok "udp: IPv6 relay over IPv4 refused with the server's code"
	else
		bad "udp: IPv6 relay over IPv4"
	fi
fi

# Wrong password: whatever coturn answers is reported as its own.
for t in udp tcp tls; do
	port=$A; [ $t = tls ] && port=$((A + 2))
	drive -s 127.0.0.1:$port -t $t -p wrong -P 127.0.0.1:$PEER4
	if grep -qE "^ALLOCATE0 fail code=(401|441) err=0 reason=.+" "$tmp/out"; then
		ok "$t wrong password: $(sed -n 's/^ALLOCATE0 fail //p' "$tmp/out")"
	else
		bad "$t wrong password not reported with the server's code"
	fi
done

# Stale nonce: coturn's nonces last 2 s (checked at whole seconds, so the
# margin is wide); the refresh after 5 s meets 438
# and is retried once with the new nonce.
for t in udp tls; do
	port=$B; [ $t = tls ] && port=$((B + 2))
	if drive -s 127.0.0.1:$port -t $t -P 127.0.0.1:$PEER4 -w 5 \
		-e "$tmp/stale.jsonl" &&
	   grep -q "^REFRESH ok" "$tmp/out" &&
	   grep -q '"error_code":438' "$tmp/stale.jsonl"; then
		ok "$t stale nonce: 438 answered, retried with the new nonce"
	else
		bad "$t stale nonce"
		grep -E '438|refresh' "$tmp/stale.jsonl" 2>/dev/null | head -5
	fi
done

# Quota: a second allocation for the same user while the first is held.
# TCP first: coturn forgets a TCP allocation when the connection closes,
# a deallocated UDP one only when its session times out a while later.
for t in tcp udp; do
	drive -s 127.0.0.1:$C -t $t -n 2
	if grep -q "^ALLOCATE0 ok" "$tmp/out" &&
	   grep -qE "^ALLOCATE1 fail code=486 err=0 reason=.+" "$tmp/out"; then
		ok "$t quota: $(sed -n 's/^ALLOCATE1 fail //p' "$tmp/out")"
	else
		bad "$t quota not reported as 486"
	fi
done

[ $fail = 0 ] || { echo "-- coturn logs (tail)"; tail -n 5 "$tmp"/*.log; }
exit $fail
