#!/bin/sh
# The full diagnosis (`natprobe` with no command) in the lab: the client
# behind the portrestricted NAT, coturn and `natprobe serve --whip` on the
# public side. One run: NAT behaviour, then ICE, DTLS-SRTP, media and a
# data channel with serve; --require over all of it; one JSON report that
# validates against the schema; and `natprobe report` replays its log to
# the same verdicts. With no server named: exit 2, nothing contacted.
# The run records its packets (--capture): tshark finds the STUN, the
# WHIP POST and the DTLS handshake in the file, natprobe analyze the TURN
# allocation, DTLS and RTP.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
LAB=$ROOT/fixtures/lab/natlab

"$NATPROBE" >"$tmp/none.out" 2>&1; rc=$?
if [ $rc = 2 ] && grep -q 'name a server' "$tmp/none.out"; then
	ok "no server named: exit 2, says what to name"
else bad "no server named: exit $rc"; cat "$tmp/none.out"; fi

if [ "$(id -u)" != 0 ] || ! ip netns add nl-diag-$$ 2>/dev/null; then
	echo "SKIP: it_diagnose's lab part needs root and network namespaces (ip netns)"
	exit $fail
fi
ip netns del nl-diag-$$
trap '$LAB down >/dev/null 2>&1; cleanup' EXIT INT TERM
if ! timeout 30 $LAB up portrestricted >"$tmp/up" 2>&1; then
	echo "FAIL lab did not come up"; cat "$tmp/up"; exit 1
fi
$LAB exec server "$NATPROBE" serve --listen 203.0.113.10 --port 13478 --no-tls \
	--whip 8080 --quiet >"$tmp/serve.log" 2>&1 &
pids="$pids $!"
i=0
while ! $LAB exec server ss -Hltn 2>/dev/null | grep -q ':8080 ' && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

$LAB exec client timeout 60 "$NATPROBE" --stun stun:203.0.113.10 \
	--turn turn:203.0.113.10 --user natprobe --password natprobe \
	--whip http://203.0.113.10:8080/whip --require udp,eim,srflx,relay,pair,dtls,srtp,data \
	--format json -o "$tmp/diag.json" --events "$tmp/diag.ev" \
	--capture "$tmp/diag.pcapng" 2>"$tmp/diag.err"
rc=$?
if [ $rc = 0 ]; then ok "full diagnosis: every required check passed (exit 0)"
else bad "full diagnosis exit $rc"; cat "$tmp/diag.err"; fi
if $PY "$ROOT/tests/validate_json.py" "$ROOT/reports/report.schema.json" "$tmp/diag.json" >"$tmp/v" 2>&1; then
	ok "the report validates against reports/report.schema.json"
else bad "schema: $(cat "$tmp/v")"; fi
if $PY - "$tmp/diag.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["command"] == "diagnose"
assert j["nat"]["ipv4"]["mapping"]["value"] == "endpoint-independent", j["nat"]["ipv4"]["mapping"]
assert j["ice"]["state"] == "completed" and j["ice"]["selected"]
assert j["dtls"]["state"] == "connected"
assert j["media"]["srtp_authenticated"] > 0 and j["media"]["srtp_failed"] == 0
assert j["datachannel"]["state"] == "open" and j["datachannel"]["probe_echoed"] > 0
assert len(j["transport_matrix"]) == 24
assert j["call_quality"]["grade"] == "good"
PY
then ok "one report: NAT (EIM), ICE selected, DTLS, SRTP authenticated, data channel echoed, matrix, call quality good"
else bad "the report's content"; fi
if ! grep -Eq "captured [1-9][0-9]* packets" "$tmp/diag.err"; then
	bad "--capture: no 'captured N packets' line"; cat "$tmp/diag.err"
else
	stun=$(tshark -r "$tmp/diag.pcapng" -Y 'stun.type == 0x0001 && ip.dst == 203.0.113.10' 2>/dev/null | wc -l)
	post=$(tshark -r "$tmp/diag.pcapng" -Y 'http.request.method == "POST"' 2>/dev/null | wc -l)
	hs=$(tshark -r "$tmp/diag.pcapng" -Y 'dtls.handshake.type == 1' 2>/dev/null | wc -l)
	"$NATPROBE" analyze --format json "$tmp/diag.pcapng" >"$tmp/an.json" 2>"$tmp/an.err"
	an=$($PY -c "import json,sys
c=json.load(open(sys.argv[1]))['capture']
print('allocations=%d dtls=%d rtp=%d' % (c['turn']['allocations'], c['counts']['dtls'], c['counts']['rtp']))
sys.exit(0 if c['turn']['allocations'] > 0 and c['counts']['dtls'] > 0 and c['counts']['rtp'] > 0 else 1)" "$tmp/an.json")
	if [ $? = 0 ] && [ "$stun" -gt 0 ] && [ "$post" -gt 0 ] && [ "$hs" -gt 0 ]; then
		ok "--capture: tshark sees $stun Binding requests to the server, $post WHIP POST, $hs ClientHello; natprobe analyze: $an"
	else
		bad "--capture: tshark: $stun Binding requests, $post POST, $hs ClientHello; analyze: $an"
		cat "$tmp/an.err"
	fi
fi
"$NATPROBE" report --events "$tmp/diag.ev" --require udp,pair,dtls,srtp --format json -o "$tmp/replay.json"
rc=$?
if [ $rc = 0 ] && $PY -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a["ice"]["selected"]==b["ice"]["selected"] and a["dtls"]==b["dtls"] else 1)' "$tmp/diag.json" "$tmp/replay.json"; then
	ok "natprobe report replays the log to the same ICE and DTLS verdicts"
else bad "replay: exit $rc"; fi

$LAB down >/dev/null 2>&1
[ $fail = 0 ] && echo "it_diagnose: all passed"
exit $fail
