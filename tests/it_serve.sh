#!/bin/sh
# Integration test of `natprobe serve` on loopback (127.0.0.1 and ::1):
# coturn's turnutils_stunclient over UDP, natprobe's own `stun` client over
# UDP, TCP and TLS, tests/stunload.c for volume and the rate limit, a Python
# client for TCP framing (split and back-to-back messages) and TLS, garbage
# that must not hurt the server, and the life cycle: SIGTERM and --duration
# print the counters and exit 0; a port in use exits 3; bad options exit 2.
#
# With one address per family the server has no alternate IP, so
# it serves the port half (OTHER-ADDRESS = its other port), as coturn does;
# the two-address behaviour is covered by tests/test_serve.c (and the lab,
# which has two public addresses).
set -u
NATPROBE=${NATPROBE:-./natprobe}
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
. "$HERE/lib.sh"

if ! command -v turnutils_stunclient >/dev/null 2>&1; then
	echo "SKIP: it_serve needs coturn's turnutils_stunclient (make deps installs coturn)"
	exit 0
fi
if [ ! -x "$NATPROBE" ] && ! command -v "$NATPROBE" >/dev/null 2>&1; then
	echo "FAIL: no natprobe binary at $NATPROBE (make first, or set NATPROBE)"
	exit 1
fi

# Five free ports in a row: P, P+1 (UDP/TCP), P+2, P+3 (TLS), P+4 (spare).
# Bounded search from a PID-derived start, checked with ss when present.
free() {
	command -v ss >/dev/null 2>&1 || return 0
	for q in $1 $(($1 + 1)) $(($1 + 2)) $(($1 + 3)) $(($1 + 4)); do
		ss -Htuan 2>/dev/null | grep -q "[:.]$q " && return 1
	done
	return 0
}
P=$((42000 + ($$ % 1500) * 10))
i=0
while ! free "$P" && [ $i -lt 50 ]; do P=$((P + 10)); i=$((i + 1)); done
TLSP=$((P + 2))

LOAD=""
if command -v "$CC" >/dev/null 2>&1 &&
	$CC -O2 -D_GNU_SOURCE -o "$tmp/stunload" "$HERE/stunload.c" 2>"$tmp/cc.err"; then
	LOAD="$tmp/stunload"
else
	echo "note: cannot build tests/stunload.c; its checks are skipped"; cat "$tmp/cc.err" 2>/dev/null
fi

# The server under test: no rate limit, so volume checks measure the server.
$NATPROBE serve --listen 127.0.0.1 --listen ::1 --port "$P" --tls-port "$TLSP" \
	--rate 0 --duration 120 >"$tmp/serve.out" 2>"$tmp/serve.err" &
SPID=$!
pids="$pids $SPID"

# Wait (bounded) for the start-up line.
i=0
while [ $i -lt 50 ] && ! grep -q "listening" "$tmp/serve.err"; do
	i=$((i + 1)); sleep 0.1
done
if grep -q "listening udp 127.0.0.1:$P, udp 127.0.0.1:$((P + 1)), udp \[::1\]:$P, udp \[::1\]:$((P + 1)), tcp 127.0.0.1:$P" "$tmp/serve.err" &&
	grep -q "tls \[::1\]:$((TLSP + 1))" "$tmp/serve.err"; then
	ok "start-up line names every socket"
else
	bad "start-up line"; cat "$tmp/serve.err"; exit 1
fi

# coturn's client, both families, both ports.
for a in 127.0.0.1 ::1; do
	for port in $P $((P + 1)); do
		# Seeing OTHER-ADDRESS, turnutils_stunclient goes on to a
		# change-IP request a one-address server refuses, and waits:
		# its exit status says nothing, its first answer does.
		timeout 2 turnutils_stunclient -p "$port" "$a" >"$tmp/tu" 2>&1
		if grep -q "UDP reflexive addr: $a:[0-9]" "$tmp/tu"; then
			ok "turnutils_stunclient $a port $port"
		else
			bad "turnutils_stunclient $a port $port"; cat "$tmp/tu"
		fi
	done
done
# -f asks for RFC 5780 processing (CHANGE-REQUEST): one address per family,
# so a change of IP gets 420. The client then waits; we only need the 420,
# counted at exit.
timeout 3 turnutils_stunclient -f -p "$P" 127.0.0.1 >"$tmp/tu" 2>&1

# natprobe's own client over UDP, TCP and TLS.
nstun() {
	name=$1 pat=$2; shift 2
	if $NATPROBE stun -c 2 --timeout 2 "$@" >"$tmp/ns" 2>&1 && grep -Eq "$pat" "$tmp/ns"; then
		ok "natprobe stun $name"
	else
		bad "natprobe stun $name"; cat "$tmp/ns"
	fi
}
nstun "udp ipv4" "response origin +127\.0\.0\.1:$P" "stun:127.0.0.1:$P"
nstun "udp ipv6" "mapped address +\[::1\]:[0-9]+" "stun:[::1]:$P"
nstun "tcp ipv4" "software +natprobe/0\.1" "stun:127.0.0.1:$((P + 1))?transport=tcp"
nstun "tcp ipv6" "response origin +\[::1\]:$P" "stun:[::1]:$P?transport=tcp"
nstun "tls ipv4" "TLSv1\.3" "stuns:127.0.0.1:$TLSP"
nstun "tls ipv6" "response origin +\[::1\]:$((TLSP + 1))" "stuns:[::1]:$((TLSP + 1))"

# Volume: every request answered, none lost, both families, with PADDING.
if [ -n "$LOAD" ]; then
	for a in 127.0.0.1 ::1; do
		$LOAD -a "$a" -p "$P" -n 20000 -t 20 -c 4 >"$tmp/load" 2>&1
		if grep -q "sent=20000 received=20000 lost=0 unmatched=0" "$tmp/load"; then
			ok "stunload 20000 requests to $a, none lost"
		else
			bad "stunload to $a"; cat "$tmp/load"
		fi
	done
	$LOAD -a 127.0.0.1 -p "$((P + 1))" -n 2000 -t 10 -P 1000 >"$tmp/load" 2>&1
	if grep -q "received=2000 lost=0" "$tmp/load"; then
		ok "stunload with 1000-byte PADDING on the alternate port"
	else
		bad "stunload with PADDING"; cat "$tmp/load"
	fi
fi

# TCP framing, RESPONSE-PORT on a stream, garbage, TLS; then UDP garbage.
if [ -x "$PY" ]; then
	if $PY - "$P" "$TLSP" >"$tmp/py" 2>&1 <<'PYEOF'
import os, socket, ssl, struct, sys, time
P, TLSP = int(sys.argv[1]), int(sys.argv[2])

def req(tid, attrs=b''):
    return struct.pack('!HHI', 1, len(attrs), 0x2112A442) + tid + attrs

def read_msgs(s, n):
    s.settimeout(3)
    data, out = b'', []
    while len(out) < n:
        while len(data) >= 20 and len(data) >= 20 + struct.unpack('!H', data[2:4])[0]:
            l = 20 + struct.unpack('!H', data[2:4])[0]
            out.append(data[:l]); data = data[l:]
        if len(out) >= n:
            break
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return out

def check(s, label):
    tids = [os.urandom(12) for _ in range(3)]
    blob = b''.join(req(t) for t in tids)
    # Three messages back to back, cut across writes mid-header.
    s.sendall(blob[:7]); time.sleep(0.05)
    s.sendall(blob[7:30]); time.sleep(0.05)
    s.sendall(blob[30:])
    msgs = read_msgs(s, 3)
    assert len(msgs) == 3, '%s: %d answers to 3 requests' % (label, len(msgs))
    for m, t in zip(msgs, tids):
        assert m[:2] == b'\x01\x01', '%s: not a success response' % label
        assert m[8:20] == t, '%s: transaction ID differs' % label
    # RESPONSE-PORT cannot be honoured on a stream: 420.
    s.sendall(req(tids[0], struct.pack('!HHHH', 0x0027, 4, 9999, 0)))
    m = read_msgs(s, 1)
    assert m and m[0][:2] == b'\x01\x11', '%s: RESPONSE-PORT not refused' % label
    print(label, 'ok')

for host in ('127.0.0.1', '::1'):
    s = socket.create_connection((host, P)); check(s, 'tcp ' + host)
    s.sendall(b'\xff' * 40)      # not STUN: this connection closes
    s.settimeout(3)
    assert s.recv(100) == b'', 'garbage did not close the connection'
    s.close()
    s = socket.create_connection((host, P)); check(s, 'tcp again ' + host); s.close()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for port in (TLSP, TLSP + 1):
        t = ctx.wrap_socket(socket.create_connection((host, port)), server_hostname='natprobe')
        check(t, 'tls %s:%d %s' % (host, port, t.version())); t.close()

# Garbage: random datagrams and streams, a partial message, plain text on
# the TLS port. None of it may stop the server.
rnd = os.urandom
for i in range(300):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(rnd(1 + i * 5), ('127.0.0.1', P)); u.close()
for i in range(30):
    t = socket.create_connection(('127.0.0.1', P)); t.sendall(rnd(1 + 50 * i)); t.close()
t = socket.create_connection(('127.0.0.1', P))
t.sendall(b'\x00\x01\x00\x08\x21\x12\xa4\x42'); t.close()
t = socket.create_connection(('127.0.0.1', TLSP))
t.sendall(b'GET / HTTP/1.0\r\n\r\n'); t.settimeout(2)
try:
    t.recv(100)
except OSError:
    pass
t.close()
# A request from a socket that is gone, with RESPONSE-PORT: it must answer
# the asked port on our address, nowhere else.
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('127.0.0.1', 0)); r.settimeout(3)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tid = rnd(12)
u.sendto(req(tid, struct.pack('!HHHH', 0x0027, 4, r.getsockname()[1], 0)), ('127.0.0.1', P))
m = r.recv(2000)
assert m[:2] == b'\x01\x01' and m[8:20] == tid, 'RESPONSE-PORT answer missing'
print('garbage and RESPONSE-PORT ok')
PYEOF
	then
		ok "tcp framing, tls, garbage, response-port (python)"
	else
		bad "python checks"; cat "$tmp/py"
	fi
else
	echo "note: no $PY; TCP framing and TLS checks skipped"
fi

# Still alive after all that?
timeout 2 turnutils_stunclient -p "$P" 127.0.0.1 >"$tmp/tu" 2>&1
if grep -q "UDP reflexive addr" "$tmp/tu"; then
	ok "server still answers after garbage"
else
	bad "server stopped answering"; cat "$tmp/tu" "$tmp/serve.err"
fi

# A second server on the same ports cannot bind: exit 3, a clear message.
$NATPROBE serve --listen 127.0.0.1 --port "$P" --tls-port "$TLSP" --duration 2 \
	>/dev/null 2>"$tmp/err2"; rc=$?
if [ $rc = 3 ] && grep -q "cannot listen on 127.0.0.1:$P/udp: Address already in use" "$tmp/err2"; then
	ok "port in use: exit 3"
else
	bad "port in use: exit $rc"; cat "$tmp/err2"
fi

# SIGTERM: counters on stderr, exit 0.
kill -TERM "$SPID"
i=0
while kill -0 "$SPID" 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
wait "$SPID"; rc=$?
pids=""
if [ $rc = 0 ] && grep -q "stopped (Terminated)" "$tmp/serve.err" &&
	grep -Eq "errors 420 [1-9]" "$tmp/serve.err" &&
	grep -Eq "malformed [1-9]" "$tmp/serve.err" &&
	grep -Eq "tls handshakes ok [1-9][0-9]* failed [1-9]" "$tmp/serve.err" &&
	grep -Eq "requests [1-9]" "$tmp/serve.err"; then
	ok "SIGTERM: counters printed, exit 0"
else
	bad "SIGTERM: exit $rc"; cat "$tmp/serve.err"
fi

# The rate limit: 20/s with a burst of 40 lets about 40 + 20 s through.
if [ -n "$LOAD" ]; then
	$NATPROBE serve --listen 127.0.0.1 --port "$P" --no-tcp --no-tls --rate 20 \
		--duration 3 >/dev/null 2>"$tmp/serve2.err" &
	SPID=$!
	pids="$SPID"
	i=0
	while [ $i -lt 50 ] && ! grep -q "listening" "$tmp/serve2.err"; do
		i=$((i + 1)); sleep 0.1
	done
	$LOAD -a 127.0.0.1 -p "$P" -n 400 -t 2 -r 200 -T 300 >"$tmp/load" 2>&1
	wait "$SPID"; rc=$?
	pids=""
	got=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' "$tmp/load")
	if [ $rc = 0 ] && [ -n "$got" ] && [ "$got" -ge 40 ] && [ "$got" -le 120 ] &&
		grep -Eq "rate-limited [1-9]" "$tmp/serve2.err" &&
		grep -q "stopped (duration reached)" "$tmp/serve2.err"; then
		ok "rate limit: $got of 400 answered; --duration stops with exit 0"
	else
		bad "rate limit: exit $rc, $got answered"; cat "$tmp/load" "$tmp/serve2.err"
	fi
fi

# Usage errors: exit 2 with a message.
usage() {
	name=$1 pat=$2; shift 2
	$NATPROBE serve "$@" >/dev/null 2>"$tmp/uerr"; rc=$?
	if [ $rc = 2 ] && grep -Eq -- "$pat" "$tmp/uerr"; then ok "usage: $name"; else bad "usage: $name: exit $rc"; cat "$tmp/uerr"; fi
}
usage "bad port" "--port 70000" --port 70000
usage "wildcard address" "specific address" --listen 0.0.0.0
usage "not an address" "not an IPv4 or IPv6" --listen example.com
usage "three ipv4" "at most two per family" --listen 127.0.0.1 --listen 127.0.0.2 --listen 127.0.0.3
usage "cert without key" "go together" --cert /dev/null
usage "unknown option" "unknown" --bogus
usage "bad duration" "--duration" --duration -1

exit $fail
