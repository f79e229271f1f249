#!/bin/sh
# Integration test: `natprobe serve --whip` as a WHIP endpoint (RFC 9725)
# and ICE peer, in the lab's server namespace (public, 203.0.113.10), with
# offering clients behind the portrestricted NAT (EIM + APDF) in the
# client namespace. Signaling is real HTTP: curl POSTs the offer file and
# writes the answer file from the 201, so the ICE agents never see HTTP.
#   1. libnice (tests/peers/nice_peer.c) offers: a pair is selected on both
#      sides, DELETE gives 200 and serve's log shows the session freed.
#   1b. libnice's offer without its candidates, which follow in a trickle
#      ICE PATCH (RFC 9725 §4.3.1, application/trickle-ice-sdpfrag, If-Match
#      the 201's ETag) before libnice sees the answer: 204, serve takes
#      them (its selected pair's remote is the signalled srflx, not a
#      peer-reflexive guess); a stale If-Match is 412, other credentials
#      (an ICE restart) 422.
#   2. `natprobe ice --offer` offers: the same, natprobe against natprobe;
#      and, when natprobe ice has --whip, with its own WHIP client, also
#      trickling (--trickle: the POST goes out at once, the candidates
#      gathered after it follow in a PATCH that serve takes).
#   3. Bad input through the real listener: no body (400), not SDP (415),
#      malformed SDP (400 quoting sdp_parse), a body over the cap (413),
#      a slowloris connection (closed by the idle timeout), and more
#      sessions than WHIP_MAX_SESSIONS (503).
# Prints the time from POST to 201 (curl) and to the selected pair (serve).
# Env: NATLAB_PREFIX (natlab's default unless set; use your own).
# Needs root, network namespaces, nftables, coturn, curl, libnice-dev.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

NATLAB=$ROOT/fixtures/lab/natlab
SRV=203.0.113.10
URL=http://$SRV:8080/whip

if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "SKIP: it_whip needs root and network namespaces (ip netns)"; exit 0
fi
for c in turnserver nft curl pkg-config cc; do
	command -v "$c" >/dev/null 2>&1 || { echo "SKIP: it_whip needs $c"; exit 0; }
done
if ! timeout 10 "$NATPROBE" serve --help 2>/dev/null | grep -q -- --whip; then
	echo "SKIP: '$NATPROBE serve' has no --whip"; exit 0
fi
NATPROBE=$(cd "$(dirname "$NATPROBE")" && pwd)/$(basename "$NATPROBE")
NICE=
if pkg-config --exists nice; then
	NICE=$tmp/nice_peer
	cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -o "$NICE" "$HERE/peers/nice_peer.c" \
		"$HERE/peers/nice_opts.c" "$HERE/peers/nice_sig.c" $(pkg-config --cflags --libs nice) ||
		{ echo "FAIL cannot build tests/peers/nice_peer.c"; exit 1; }
else
	echo "SKIP libnice-dev missing: the libnice offerer is not run"
fi

lab_down() { timeout 30 "$NATLAB" down >/dev/null 2>&1; }
trap 'lab_down; cleanup' EXIT
trap 'exit 130' INT TERM

if ! out=$(timeout 30 "$NATLAB" up portrestricted 2>&1); then
	echo "FAIL natlab up portrestricted: $out"; exit 1
fi
client() { timeout 30 "$NATLAB" exec client "$@"; }

# serve: STUN on 3490 (coturn has 3478), WHIP on 8080, coturn as the
# sessions' STUN server.
SLOG=$tmp/serve.log
timeout 300 "$NATLAB" exec server "$NATPROBE" serve --listen $SRV --port 3490 --no-tls \
	--whip 8080 --ice-stun stun:$SRV:3478 2>"$SLOG" &
SPID=$!
pids="$pids $SPID"
i=0
until [ "$(client curl -s -o /dev/null -w '%{http_code}' $URL 2>/dev/null)" = 405 ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "FAIL serve --whip does not answer at $URL"; cat "$SLOG"; exit 1; }
	sleep 0.1
done
ok "serve --whip answers GET $URL with 405 (a WHIP endpoint takes POST)"

# wait_for FILE: until it exists and ends with a=end-of-candidates (10 s).
wait_for() {
	i=0
	while ! { [ -s "$1" ] && tail -n 1 "$1" | tr -d '\r' | grep -qx 'a=end-of-candidates'; }; do
		i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1
	done
}

# post DIR: POSTs DIR/offer from the client namespace; DIR/answer, DIR/hdr,
# DIR/post (status and seconds).
post() {
	client curl -s -D "$1/hdr" -o "$1/answer.tmp" -w '%{http_code} %{time_total}' \
		-H 'Content-Type: application/sdp' --data-binary @"$1/offer" $URL >"$1/post"
	mv "$1/answer.tmp" "$1/answer"
}

# session DIR LABEL N: after a run with a selected pair, checks serve's
# log for session whip#N, DELETEs it and waits for the free.
session() {
	d=$1 label=$2 sn=$3
	set -- $(cat "$d/post")
	code=$1 secs=$2
	loc=$(sed -n 's/^[Ll]ocation: *//p' "$d/hdr" | tr -d '\r')
	sel=$(sed -n "s/.*whip#$sn: pair selected \([0-9.]*\) ms after the POST: \(.*\)/\1 ms (\2)/p" "$SLOG")
	if [ "$code" = 201 ] && [ -n "$sel" ]; then
		ok "$label: 201 in $(awk "BEGIN{printf \"%.1f\", $secs*1000}") ms, serve selected a pair $sel"
	else
		bad "$label: POST $code, serve selected: ${sel:-nothing}"
		grep "whip#$sn:" "$SLOG" | tail -n 12 | sed 's/^/     | /'
	fi
	dcode=$(client curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$SRV:8080$loc")
	i=0
	while ! grep -q "whip#$sn: session freed" "$SLOG"; do
		i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
	done
	if [ "$dcode" = 200 ] && grep -q "whip#$sn: session ended (DELETE)" "$SLOG" &&
	   grep -q "whip#$sn: session freed" "$SLOG"; then
		ok "$label: DELETE $loc -> 200, serve's log: session ended (DELETE), freed"
	else
		bad "$label: DELETE $loc -> $dcode; serve's log: $(grep "whip#$sn: session" "$SLOG" | tr '\n' ' ')"
	fi
	dcode=$(client curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$SRV:8080$loc")
	[ "$dcode" = 404 ] && ok "$label: a second DELETE -> 404" || bad "$label: second DELETE -> $dcode"
}

sn=0
# ---- 1. libnice offers -------------------------------------------------------
if [ -n "$NICE" ]; then
	d=$tmp/nice; mkdir "$d"; sn=$((sn + 1))
	timeout 60 "$NATLAB" exec client "$NICE" --offer --local "$d/offer" --remote "$d/answer" \
		--stun $SRV:3478 --timeout 20 --hold 2 >"$d/A.json" 2>"$d/A.log" &
	np=$!; pids="$pids $np"
	if wait_for "$d/offer"; then
		post "$d"
		wait $np
		if res=$($PY - "$d/A.json" <<'EOF'
import json, sys
j = json.loads(open(sys.argv[1]).read().splitlines()[0])
s = j.get('selected')
if j['state'] != 'ready' or not s:
    print('state %s: %s' % (j['state'], j.get('reason'))); sys.exit(1)
d = lambda c: '%s %s:%s' % (c['type'], c['address'], c['port'])
print('%s -> %s, selected at %s ms (gathered %s ms)' % (d(s['local']), d(s['remote']),
      j.get('t_selected_ms'), j.get('t_gathered_ms')))
if not s['remote']['address'].startswith('203.0.113.'):
    print('remote is not serve\'s public address'); sys.exit(1)
EOF
); then
			ok "libnice offer -> serve --whip: libnice selected $res"
		else
			bad "libnice offer -> serve --whip: $res"
			tail -n 8 "$d/A.log" | sed 's/^/     | /'
		fi
		session "$d" "libnice" $sn
	else
		bad "libnice wrote no offer"; tail -n 5 "$d/A.log"
	fi
fi

# ---- 1b. libnice's candidates trickled in a PATCH ------------------------------
if [ -n "$NICE" ]; then
	d=$tmp/nicet; mkdir "$d"; sn=$((sn + 1))
	timeout 60 "$NATLAB" exec client "$NICE" --offer --local "$d/full" --remote "$d/answer" \
		--stun $SRV:3478 --timeout 20 --hold 2 >"$d/A.json" 2>"$d/A.log" &
	np=$!; pids="$pids $np"
	if wait_for "$d/full"; then
		# The offer without candidates; the fragment: credentials, the
		# first m-line and its mid, the candidates, end-of-candidates.
		grep -v -e '^a=candidate' -e '^a=end-of-candidates' "$d/full" >"$d/offer"
		{ grep -m1 -e '^a=ice-ufrag' "$d/full"; grep -m1 -e '^a=ice-pwd' "$d/full"
		  grep -m1 -e '^m=' "$d/full"; grep -m1 -e '^a=mid' "$d/full"
		  grep -e '^a=candidate' "$d/full"; printf 'a=end-of-candidates\r\n'; } >"$d/frag"
		nc=$(grep -c '^a=candidate' "$d/frag")
		client curl -s -D "$d/hdr" -o "$d/answer.tmp" -w '%{http_code} %{time_total}' \
			-H 'Content-Type: application/sdp' --data-binary @"$d/offer" $URL >"$d/post"
		loc=$(sed -n 's/^[Ll]ocation: *//p' "$d/hdr" | tr -d '\r')
		etag=$(sed -n 's/^[Ee][Tt]ag: *//p' "$d/hdr" | tr -d '\r')
		pc=$(client curl -s -o "$d/patch.out" -w '%{http_code}' -X PATCH \
			-H 'Content-Type: application/trickle-ice-sdpfrag' -H "If-Match: $etag" \
			--data-binary @"$d/frag" "http://$SRV:8080$loc")
		# Only now does libnice see the answer and start its checks.
		mv "$d/answer.tmp" "$d/answer"
		if [ "$pc" = 204 ] && [ -n "$etag" ] &&
		   grep -q "whip#$sn: trickle ICE: $nc candidate(s), end-of-candidates" "$SLOG"; then
			ok "trickle: PATCH of $nc candidate(s) with If-Match $etag -> 204, serve's log: trickle ICE: $nc candidate(s), end-of-candidates"
		else
			bad "trickle: PATCH -> $pc (ETag '$etag'): $(cat "$d/patch.out")"
			grep "whip#$sn:" "$SLOG" | tail -n 5 | sed 's/^/     | /'
		fi
		st=$(client curl -s -o /dev/null -w '%{http_code}' -X PATCH \
			-H 'Content-Type: application/trickle-ice-sdpfrag' -H 'If-Match: "0000000000000000"' \
			--data-binary @"$d/frag" "http://$SRV:8080$loc")
		sed -e 's/^a=ice-ufrag:.*/a=ice-ufrag:restart1/' "$d/frag" >"$d/frag2"
		rs=$(client curl -s -o /dev/null -w '%{http_code}' -X PATCH \
			-H 'Content-Type: application/trickle-ice-sdpfrag' -H "If-Match: $etag" \
			--data-binary @"$d/frag2" "http://$SRV:8080$loc")
		[ "$st" = 412 ] && [ "$rs" = 422 ] &&
			ok "trickle: a stale If-Match -> 412, other credentials (an ICE restart) -> 422" ||
			bad "trickle: stale If-Match -> $st (want 412), restart -> $rs (want 422)"
		wait $np
		rsel=$(sed -n "s/.*whip#$sn: pair selected .*remote \([a-z]*\) .*/\1/p" "$SLOG")
		if [ "$rsel" = srflx ]; then
			ok "trickle: serve's selected pair's remote is libnice's trickled srflx candidate"
		else
			bad "trickle: serve's selected remote is '${rsel:-nothing}' (want srflx, as trickled)"
			grep "whip#$sn:" "$SLOG" | tail -n 8 | sed 's/^/     | /'
		fi
		session "$d" "libnice trickling" $sn
	else
		bad "libnice wrote no offer"; tail -n 5 "$d/A.log"
	fi
fi

# ---- 2. natprobe ice offers ---------------------------------------------------
d=$tmp/np; mkdir "$d"; sn=$((sn + 1))
timeout 60 "$NATLAB" exec client "$NATPROBE" ice --offer --local "$d/offer" --remote "$d/answer" \
	--stun stun:$SRV:3478 --timeout 20 --hold 2 --format json -o "$d/A.json" >"$d/A.log" 2>&1 &
np=$!; pids="$pids $np"
if wait_for "$d/offer"; then
	post "$d"
	wait $np
	if res=$($PY - "$d/A.json" <<'EOF'
import json, sys
ice = json.load(open(sys.argv[1])).get('ice') or {}
s = ice.get('selected')
if ice.get('state') != 'completed' or not s:
    print('state %s' % ice.get('state')); sys.exit(1)
d = lambda c: '%s %s:%s' % (c['type'], c['address'], c['port'])
print('%s -> %s, selected at %s ms' % (d(s['local']), d(s['remote']),
      (ice.get('times_ms') or {}).get('selected')))
EOF
); then
		ok "natprobe ice offer -> serve --whip: natprobe selected $res"
	else
		bad "natprobe ice offer -> serve --whip: $res"
		tail -n 8 "$d/A.log" | sed 's/^/     | /'
	fi
	session "$d" "natprobe ice" $sn
else
	bad "natprobe ice wrote no offer"; tail -n 5 "$d/A.log"
fi

# ---- 2b. natprobe ice --offer --whip URL (its own WHIP client), when it has it --
if timeout 10 "$NATPROBE" ice --help 2>&1 | grep -q -- '--whip'; then
	d=$tmp/npw; mkdir "$d"; sn=$((sn + 1))
	t0=$(date +%s%N)
	timeout 60 "$NATLAB" exec client "$NATPROBE" ice --offer --whip $URL \
		--stun stun:$SRV:3478 --timeout 20 --hold 1 --format json -o "$d/A.json" >"$d/A.log" 2>&1
	rc=$?
	t1=$(date +%s%N)
	sel=$(sed -n "s/.*whip#$sn: pair selected \([0-9.]*\) ms after the POST.*/\1/p" "$SLOG")
	i=0
	while ! grep -q "whip#$sn: session freed" "$SLOG"; do
		i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
	done
	if [ $rc = 0 ] && [ -n "$sel" ] && grep -q "whip#$sn: session ended (DELETE)" "$SLOG" &&
	   grep -q "whip#$sn: session freed" "$SLOG"; then
		ok "natprobe ice --whip: exit 0 in $(( (t1 - t0) / 1000000 )) ms, serve selected a pair $sel ms after the POST, DELETE freed it"
	else
		bad "natprobe ice --whip: exit $rc, serve selected: ${sel:-nothing}; $(tail -n 3 "$d/A.log")"
	fi
else
	echo "SKIP natprobe ice has no --whip yet: its own WHIP client is not run"
fi

# ---- 2c. natprobe ice --whip --trickle: POST at once, PATCH the rest ------------
d=$tmp/npt; mkdir "$d"; sn=$((sn + 1))
timeout 60 "$NATLAB" exec client "$NATPROBE" ice --offer --whip $URL --trickle \
	--stun stun:$SRV:3478 --timeout 20 --hold 1 --format json -o "$d/A.json" \
	--events "$d/A.ev" --local "$d/copy.sdp" >"$d/A.log" 2>&1
rc=$?
i=0
while ! grep -q "whip#$sn: session freed" "$SLOG"; do
	i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
done
posted=$(grep -o 'POSTed our offer ([^)]*)' "$d/A.ev" | head -n 1)
tr=$(grep -o 'trickled [0-9]* candidate(s) and end-of-candidates to [^"]*: 204' "$d/A.ev" | head -n 1)
srvt=$(sed -n "s/.*whip#$sn: trickle ICE: \(.*\)/\1/p" "$SLOG" | tail -n 1)
case "$posted" in *"the rest to be trickled"*) early=1 ;; *) early=0 ;; esac
if [ $rc = 0 ] && [ $early = 1 ] && [ -n "$tr" ] && [ -n "$srvt" ] &&
   grep -q "whip#$sn: pair selected" "$SLOG" && grep -q "whip#$sn: session ended (DELETE)" "$SLOG"; then
	ok "natprobe ice --whip --trickle: $posted, then $tr; serve: trickle ICE: $srvt; pair selected, DELETE"
else
	bad "natprobe ice --whip --trickle: exit $rc; '$posted'; '$tr'; serve: '$srvt'"
	tail -n 5 "$d/A.log" | sed 's/^/     | /'
	grep "whip#$sn:" "$SLOG" | tail -n 8 | sed 's/^/     | /'
fi
# The --local copy, rewritten after the last PATCH: every candidate sent.
np_=$(echo "$posted" | sed -n 's/.*bytes, \([0-9]*\) candidates.*/\1/p')
nt_=$(echo "$tr" | sed -n 's/trickled \([0-9]*\) candidate.*/\1/p')
nc_=$(grep -c '^a=candidate' "$d/copy.sdp" 2>/dev/null)
if [ -n "$np_" ] && [ -n "$nt_" ] && [ "$nc_" = $((np_ + nt_)) ] &&
   tail -n 1 "$d/copy.sdp" | tr -d '\r' | grep -qx 'a=end-of-candidates'; then
	ok "--trickle --local: the copy holds all $nc_ candidates ($np_ POSTed + $nt_ trickled) and end-of-candidates"
else
	bad "--trickle --local: the copy has ${nc_:-no} candidates (POSTed ${np_:-?}, trickled ${nt_:-?})"
fi
if "$NATPROBE" ice --offer --trickle --local "$d/x" --remote "$d/y" >/dev/null 2>"$d/use.err"; then
	bad "--trickle without --whip was accepted"
elif [ $? = 2 ] && grep -q "use it with --whip" "$d/use.err"; then
	ok "--trickle without --whip: exit 2, $(cat "$d/use.err")"
else
	bad "--trickle without --whip: $(cat "$d/use.err")"
fi

# ---- 3. bad input ---------------------------------------------------------------
d=$tmp/bad; mkdir "$d"
# expect NAME STATUS TEXT CURL-ARGS...: the status, and TEXT in the body.
expect() {
	name=$1 want=$2 text=$3; shift 3
	got=$(client curl -s -o "$d/body" -w '%{http_code}' "$@" $URL)
	if [ "$got" = "$want" ] && { [ -z "$text" ] || grep -q -- "$text" "$d/body"; }; then
		ok "$name -> $got $(head -c 120 "$d/body" | tr -d '\n')"
	else
		bad "$name -> $got (want $want with \"$text\"): $(head -c 200 "$d/body")"
	fi
}
expect "POST without a body" 400 "empty SDP offer" -X POST -H 'Content-Type: application/sdp'
expect "POST of text/plain" 415 "application/sdp" -H 'Content-Type: text/plain' --data-binary hello
printf 'v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\nm=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 10.0.0.1 70000 typ host\r\n' >"$d/malformed"
expect "POST of malformed SDP" 400 "malformed SDP offer: line 5: .*70000" \
	-H 'Content-Type: application/sdp' --data-binary @"$d/malformed"
head -c 300000 /dev/zero | tr '\0' 'a' >"$d/big"
expect "POST of 300000 bytes" 413 "over the 262144-byte body cap" \
	-H 'Content-Type: application/sdp' --data-binary @"$d/big"

# slowloris: half a request line, then silence; serve's idle timeout is 5 s.
cat >"$d/slow.py" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 8080), timeout=15)
s.sendall(b'POST /whip HTTP/1.1\r\nHost: x\r\nContent-Le')
t0 = time.monotonic()
try:
    b = s.recv(100)
except socket.timeout:
    print('still open after 15 s'); sys.exit(1)
print('closed after %.1f s (%d bytes)' % (time.monotonic() - t0, len(b)))
sys.exit(0 if not b else 1)
EOF
if res=$(client $PY "$d/slow.py" $SRV) && grep -q "connection closed: idle" "$SLOG"; then
	ok "slowloris: $res; serve's log: $(grep -o 'connection closed: idle[^)]*)' "$SLOG" | head -n 1)"
else
	bad "slowloris: $res"
fi

# Sessions are capped: WHIP_MAX_SESSIONS (16) offers get 201, the next 503.
cp "$tmp/np/offer" "$d/offer" 2>/dev/null || cp "$tmp/nice/offer" "$d/offer"
n201=0 locs=
for i in $(seq 16); do
	code=$(client curl -s -D "$d/h$i" -o /dev/null -w '%{http_code}' \
		-H 'Content-Type: application/sdp' --data-binary @"$d/offer" $URL)
	[ "$code" = 201 ] && n201=$((n201 + 1))
	locs="$locs $(sed -n 's/^[Ll]ocation: *//p' "$d/h$i" | tr -d '\r')"
done
expect "offer 17 with 16 sessions alive" 503 "too many WHIP sessions" \
	-H 'Content-Type: application/sdp' --data-binary @"$d/offer"
[ $n201 = 16 ] && ok "16 offers -> 16 x 201" || bad "16 offers -> $n201 x 201"
nd=0
for l in $locs; do
	[ "$(client curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$SRV:8080$l")" = 200 ] && nd=$((nd + 1))
done
[ $nd = 16 ] && ok "16 DELETEs -> 200" || bad "16 DELETEs -> $nd x 200"

kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null
if grep -q "whip: connections" "$SLOG"; then
	ok "serve's counters: $(grep 'whip: connections' "$SLOG" | sed 's/^ *//')"
else
	bad "serve printed no WHIP counters"; tail -n 5 "$SLOG"
fi
exit $fail
