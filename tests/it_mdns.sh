#!/bin/sh
# Integration test of remote mDNS ".local" host candidates: an offer whose
# host candidate names a ".local" host (as browsers write them) instead of
# its address is resolved through a real mDNS responder (python3-zeroconf)
# on the lab's client link, and ICE selects the pair. A name nobody
# answers is reported as not resolved, and the run still ends with a
# finding instead of hanging. Needs root and namespaces; skips otherwise.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
LAB=$ROOT/fixtures/lab/natlab
NAME=0b7e5c1a-3d2f-4e6a-9b8c-1d2e3f4a5b6c.local

if [ "$(id -u)" != 0 ] || ! ip netns add nl-mdns-$$ 2>/dev/null; then
	echo "SKIP: it_mdns needs root and network namespaces (ip netns)"
	exit 0
fi
ip netns del nl-mdns-$$
if ! $PY -c 'import zeroconf' 2>/dev/null; then
	echo "SKIP: it_mdns needs python3-zeroconf (make deps)"
	exit 0
fi
trap '$LAB down >/dev/null 2>&1; cleanup' EXIT INT TERM
if ! NATLAB_SERVER=none timeout 30 $LAB up portrestricted >"$tmp/up" 2>&1; then
	echo "FAIL lab did not come up"; cat "$tmp/up"; exit 1
fi

# run_pair OFFER_NAME: the offerer writes its offer; its host address is
# replaced by OFFER_NAME before the answerer (same link) reads it.
run_pair() {
	rm -f "$tmp/o.sdp" "$tmp/o2.sdp" "$tmp/a.sdp"
	$LAB exec client "$NATPROBE" ice --offer --no-tcp --local "$tmp/o.sdp" \
		--remote "$tmp/a.sdp" --timeout 8 --format json -o "$tmp/off.json" \
		2>"$tmp/off.err" &
	op=$!
	pids="$pids $op"
	i=0
	while [ ! -s "$tmp/o.sdp" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sed "/^a=candidate/s/ 198\.18\.0\.2 / $1 /" "$tmp/o.sdp" >"$tmp/o2.tmp" &&
		mv "$tmp/o2.tmp" "$tmp/o2.sdp"
	$LAB exec client "$NATPROBE" ice --answer --no-tcp --remote "$tmp/o2.sdp" \
		--local "$tmp/a.sdp" --timeout 8 --format json -o "$tmp/ans.json" \
		--events "$tmp/ans.ev" 2>"$tmp/ans.err"
	arc=$?
	wait $op; orc=$?
}

$LAB exec client $PY "$HERE/mdns_responder.py" "$NAME" 198.18.0.2 198.18.0.2 20 \
	>"$tmp/zc.out" 2>&1 &
pids="$pids $!"
i=0
while ! grep -q registered "$tmp/zc.out" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

run_pair "$NAME"
if grep -q "$NAME" "$tmp/o2.sdp"; then ok "the offer names its host as $NAME"
else bad "the offer was not rewritten"; cat "$tmp/o.sdp"; fi
if [ $arc = 0 ] && [ $orc = 0 ]; then ok "pair selected through a .local candidate (exit 0 both sides)"
else bad "offer exit $orc, answer exit $arc"; cat "$tmp/off.err" "$tmp/ans.err"; fi
if grep -q '"ice.mdns"' "$tmp/ans.ev" && grep '"ice.mdns"' "$tmp/ans.ev" | grep -q 'resolved to 198.18.0.2'; then
	ok "mDNS answer recorded: $NAME resolved to 198.18.0.2"
else bad "no mDNS resolution in the answerer's log"; grep mdns "$tmp/ans.ev"; fi
if $PY - "$tmp/ans.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["ice"]["selected"]
assert s and s["remote"]["address"] == "198.18.0.2", s
assert any(c["address"] == "198.18.0.2" for c in j["ice"]["candidates"]["remote"])
PY
then ok "the answerer's selected remote is the resolved address"
else bad "selected remote is not 198.18.0.2"; fi

# A name nobody answers, from a peer that never checks: not resolved,
# reported, and the run ends by its deadline with a finding.
printf 'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwxyz\r\na=candidate:1 1 udp 2122260223 ffffffff-0000-4000-8000-000000000000.local 5000 typ host\r\na=end-of-candidates\r\n' >"$tmp/lone.sdp"
$LAB exec client timeout 20 "$NATPROBE" ice --answer --no-tcp --remote "$tmp/lone.sdp" \
	--local "$tmp/a2.sdp" --timeout 4 --format json -o "$tmp/lone.json" \
	--events "$tmp/lone.ev" 2>"$tmp/lone.err"
rc=$?
if [ $rc = 1 ]; then ok "no pair with an unresolvable peer: exit 1 by the deadline"
else bad "unresolvable peer: exit $rc"; cat "$tmp/lone.err"; fi
if grep '"ice.remote"' "$tmp/lone.ev" | grep -q 'did not resolve'; then
	ok "an unanswered .local name is reported as not resolved"
else bad "no 'did not resolve' note"; grep ice.remote "$tmp/lone.ev"; fi
if grep '"ice.mdns"' "$tmp/lone.ev" | grep -q '"timeout"'; then
	ok "the mDNS query timed out (recorded)"
else bad "no mDNS timeout recorded"; fi
if grep -q '"ice-failed"' "$tmp/lone.json"; then ok "the report has the ice-failed finding"
else bad "no ice-failed finding"; fi

$LAB down >/dev/null 2>&1
[ $fail = 0 ] && echo "it_mdns: all passed"
exit $fail
