#!/bin/sh
# natprobe <-> natprobe WebRTC sessions on loopback: ICE, then DTLS with
# use_srtp on the selected pair, roles from a=setup (the offerer actpass,
# the answerer active), and the man-in-the-middle test of issue #7: a
# fingerprint changed by one bit on the way is always refused, whichever
# side's fingerprint it is (the DTLS client checking the server, and the
# server checking the client), with exit 1 and a dtls-mitm finding.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# session NAME FILTER_OFFER FILTER_ANSWER: the offer and answer each pass
# through a sed filter on their way (the "signaling path").
session() {
	d=$tmp/$1
	mkdir -p "$d"
	"$NATPROBE" ice --offer --loopback --no-tcp --local "$d/o.sdp" --remote "$d/a2.sdp" \
		--timeout 8 --keylog "$d/keys" --format json -o "$d/off.json" 2>"$d/off.err" &
	op=$!
	"$NATPROBE" ice --answer --loopback --no-tcp --local "$d/a.sdp" --remote "$d/o2.sdp" \
		--timeout 8 --format json -o "$d/ans.json" 2>"$d/ans.err" &
	ap=$!
	pids="$pids $op $ap"
	i=0
	while [ ! -s "$d/o.sdp" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sed "$2" "$d/o.sdp" >"$d/o2.tmp" && mv "$d/o2.tmp" "$d/o2.sdp"
	i=0
	while [ ! -s "$d/a.sdp" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sed "$3" "$d/a.sdp" >"$d/a2.tmp" && mv "$d/a2.tmp" "$d/a2.sdp"
	wait $op; orc=$?
	wait $ap; arc=$?
}

dtls() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])).get("dtls") or {}; print(d.get(sys.argv[2]))' "$1" "$2"; }
has_finding() { $PY -c 'import json,sys; sys.exit(0 if any(f["id"]==sys.argv[2] for f in json.load(open(sys.argv[1]))["findings"]) else 1)' "$1" "$2"; }

# 1. The plain session.
session ok 's/^//' 's/^//'
d=$tmp/ok
if [ $orc = 0 ] && [ $arc = 0 ]; then ok "session: both sides exit 0"
else bad "session: offer $orc answer $arc"; cat "$d/off.err" "$d/ans.err"; fi
grep -q '^a=setup:actpass' "$d/o.sdp" && grep -q '^a=setup:active' "$d/a.sdp" &&
	grep -q '^a=fingerprint:sha-256 ' "$d/o.sdp" && grep -q '^a=group:BUNDLE 0 1' "$d/o.sdp" &&
	grep -q '^m=audio 9 UDP/TLS/RTP/SAVPF 111 0' "$d/o.sdp" &&
	grep -q '^m=application 9 UDP/DTLS/SCTP webrtc-datachannel' "$d/o.sdp" &&
	grep -q '^a=sctp-port:5000' "$d/o.sdp" &&
	ok "offer: BUNDLE, audio + data m-lines, fingerprint, actpass; answer: active" ||
	bad "offer/answer shape"
if [ "$(dtls "$d/off.json" state)" = connected ] && [ "$(dtls "$d/ans.json" state)" = connected ] &&
	[ "$(dtls "$d/off.json" role)" = server ] && [ "$(dtls "$d/ans.json" role)" = client ]; then
	ok "DTLS connected: offerer server, answerer client ($(dtls "$d/ans.json" version), $(dtls "$d/ans.json" srtp_profile))"
else bad "DTLS state: offer $(dtls "$d/off.json" state) answer $(dtls "$d/ans.json" state)"; fi
if grep -q '^CLIENT_RANDOM ' "$d/keys"; then ok "--keylog wrote SSLKEYLOGFILE lines"
else bad "no keylog lines"; fi
# Media: the offerer's SRTP probe stream, echoed by the answerer, every
# packet authenticated both ways; the data channel probe echoed too.
if $PY - "$d/off.json" "$d/ans.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))
m = o["media"]
assert m["packets_sent"] >= 90 and m["packets_echoed_back"] == m["packets_sent"], m
assert m["srtp_authenticated"] >= m["packets_sent"] and m["srtp_failed"] == 0, m
assert m["rtt_ms"] is not None and m["rtt_ms"] > 0, m
assert a["media"]["srtp_authenticated"] >= m["packets_sent"] and a["media"]["srtp_failed"] == 0, a["media"]
dc = o["datachannel"]
assert dc["state"] == "open" and dc["probe_sent"] == 20 and dc["probe_echoed"] == 20, dc
assert dc["rtt_avg_ms"] > 0, dc
assert a["datachannel"]["state"] == "open", a["datachannel"]
PY
then ok "SRTP media and data channel echoed end to end, every packet authenticated"
else bad "media/data channel figures"; fi

if $PY "$ROOT/tests/validate_json.py" "$ROOT/reports/report.schema.json" "$d/off.json" "$d/ans.json" >"$tmp/schema.out" 2>&1; then
	ok "both JSON reports (ice, dtls, media, datachannel, verdicts) validate against reports/report.schema.json"
else bad "schema: $(cat "$tmp/schema.out")"; fi

# 2. The offer's fingerprint flipped by one bit: the answerer (DTLS
# client) must refuse the server's certificate.
flip='/^a=fingerprint/s/\(sha-256 ..:..:\)\(.\)/\1X\2/;/^a=fingerprint/s/X0/1/;/^a=fingerprint/s/X1/0/;/^a=fingerprint/s/X2/3/;/^a=fingerprint/s/X3/2/;/^a=fingerprint/s/X4/5/;/^a=fingerprint/s/X5/4/;/^a=fingerprint/s/X6/7/;/^a=fingerprint/s/X7/6/;/^a=fingerprint/s/X8/9/;/^a=fingerprint/s/X9/8/;/^a=fingerprint/s/XA/B/;/^a=fingerprint/s/XB/A/;/^a=fingerprint/s/XC/D/;/^a=fingerprint/s/XD/C/;/^a=fingerprint/s/XE/F/;/^a=fingerprint/s/XF/E/'
session mitm_offer "$flip" 's/^//'
d=$tmp/mitm_offer
if cmp -s "$d/o.sdp" "$d/o2.sdp"; then bad "the offer's fingerprint was not changed"; fi
if [ $arc = 1 ] && has_finding "$d/ans.json" dtls-mitm && [ "$(dtls "$d/ans.json" mitm)" = True ]; then
	ok "tampered offer fingerprint: the answerer (client) refuses, exit 1, dtls-mitm"
else bad "tampered offer: answerer exit $arc, mitm $(dtls "$d/ans.json" mitm)"; cat "$d/ans.err"; fi
[ $orc != 0 ] && ok "tampered offer fingerprint: the offerer does not pass either (exit $orc)" ||
	bad "tampered offer: the offerer passed"

# 3. The answer's fingerprint flipped: the offerer (DTLS server) must
# refuse the client's certificate.
session mitm_answer 's/^//' "$flip"
d=$tmp/mitm_answer
if [ $orc = 1 ] && has_finding "$d/off.json" dtls-mitm && [ "$(dtls "$d/off.json" mitm)" = True ]; then
	ok "tampered answer fingerprint: the offerer (server) refuses, exit 1, dtls-mitm"
else bad "tampered answer: offerer exit $orc, mitm $(dtls "$d/off.json" mitm)"; cat "$d/off.err"; fi

# 4. A plain ICE peer (no fingerprint): ICE only, exit 0, DTLS not offered.
"$NATPROBE" ice --offer --loopback --no-tcp --ice-only --local "$tmp/p.o" --remote "$tmp/p.a" \
	--timeout 8 --format json -o "$tmp/p.off.json" 2>/dev/null &
op=$!
pids="$pids $op"
"$NATPROBE" ice --answer --loopback --no-tcp --local "$tmp/p.a" --remote "$tmp/p.o" \
	--timeout 8 --format json -o "$tmp/p.ans.json" 2>/dev/null
arc=$?
wait $op; orc=$?
if [ $orc = 0 ] && [ $arc = 0 ] && ! grep -q fingerprint "$tmp/p.o" && ! grep -q fingerprint "$tmp/p.a" &&
	[ "$(dtls "$tmp/p.ans.json" state)" = not-offered ]; then
	ok "plain ICE peer: no fingerprint either way, ICE only, exit 0"
else bad "plain ICE: offer $orc answer $arc, dtls $(dtls "$tmp/p.ans.json" state)"; fi

# 5. The CI policy over the session: --require and --max-loss.
"$NATPROBE" ice --answer --loopback --no-tcp --local "$tmp/r.a" --remote "$tmp/r.o" \
	--timeout 8 >/dev/null 2>&1 &
pids="$pids $!"
"$NATPROBE" ice --offer --loopback --no-tcp --local "$tmp/r.o" --remote "$tmp/r.a" --timeout 8 \
	--require pair,dtls,srtp,data --max-loss 5 --format junit -o "$tmp/r.xml" 2>"$tmp/r.err"
rc=$?
if [ $rc = 0 ] && $PY - "$tmp/r.xml" <<'PY'
import sys
from junitparser import JUnitXml
x = JUnitXml.fromfile(sys.argv[1])
names = {c.name for s in x for c in s}
assert {"pair", "dtls", "srtp", "data", "loss"} <= {n.split()[0] for n in names}, names
assert sum(len(c.result) for s in x for c in s) == 0
PY
then ok "--require pair,dtls,srtp,data --max-loss 5: exit 0, five passing JUnit testcases"
else bad "--require/--max-loss: exit $rc"; cat "$tmp/r.err"; fi
"$NATPROBE" ice --offer --local "$tmp/x" --remote "$tmp/y" --require teleport 2>"$tmp/r2.err"
if [ $? = 2 ] && grep -q 'valid: srflx, relay, p2p, pair, dtls, srtp, data' "$tmp/r2.err"; then
	ok "an unknown check: exit 2 naming the valid ones"
else bad "unknown check: $(cat "$tmp/r2.err")"; fi

[ $fail = 0 ] && echo "it_webrtc: all passed"
exit $fail
