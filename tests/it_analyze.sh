#!/bin/sh
# Integration test of `natprobe analyze` on the recorded fixtures
# (fixtures/pcap, made by fixtures/pcap/record.sh from real coturn, openssl
# and RTP traffic): our per-protocol packet counts must equal tshark's view
# of the same file, JSON reports must validate against the schema, and
# broken files must give the documented messages and exit codes.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
NATPROBE=${NATPROBE:-$ROOT/natprobe}
SCHEMA=$ROOT/reports/report.schema.json
PCAPS=$ROOT/fixtures/pcap

if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIP: it_analyze needs tshark to compare counts (make deps installs it)"
	exit 0
fi

# tshark's count of frames matching a display filter. RTP and RTCP have no
# fixed port, so their heuristics are switched on (as Wireshark users do).
tcount() {
	timeout 60 tshark -r "$1" --enable-heuristic rtp_udp --enable-heuristic rtcp_udp \
		-Y "$2" -T fields -e frame.number 2>/dev/null | wc -l | tr -d ' '
}

# Our counts from the JSON report, "key=value" for each.
ours() {
	$PY - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
c = j["capture"]["counts"]
print(" ".join("%s=%d" % (k, v) for k, v in [
    ("packets", j["capture"]["packets"]), ("stun", c["stun"]),
    ("channeldata", c["turn_channeldata"]), ("dtls", c["dtls"] + c["dtls13"]),
    ("rtp", c["rtp"]), ("rtcp", c["rtcp"]), ("truncated", c["truncated"])]))
PY
}

validate() {
	$PY -c 'import jsonschema' 2>/dev/null || return 0
	$PY - "$SCHEMA" "$1" <<'PY' || bad "$2: JSON report does not match the schema"
import json, sys, jsonschema
try:
    jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
except jsonschema.ValidationError as e:
    sys.exit("%s at %s" % (e.message, list(e.absolute_path)))
PY
}

printf '%-28s %-62s %s\n' file "natprobe" "tshark"
for f in stun_coturn_lo.pcapng stun_any_sll2.pcapng stun_any_sll.pcap \
	 turn_channeldata_lo.pcapng dtls_lo.pcapng dtls_alert_lo.pcapng \
	 rtp_ice_lo.pcapng rtp_rawip.pcap rtp_null.pcap stun_ipv6_lo.pcapng \
	 turn_snaplen60.pcapng natprobe_libnice_turn.pcapng; do
	p=$PCAPS/$f
	[ -f "$p" ] || { bad "$f: fixture missing"; continue; }
	timeout 60 "$NATPROBE" analyze --format json -o "$tmp/r.json" "$p" 2>"$tmp/err"
	rc=$?
	[ $rc -le 1 ] || { bad "$f: exit $rc: $(cat "$tmp/err")"; continue; }
	validate "$tmp/r.json" "$f"
	o=$(ours "$tmp/r.json")
	# classicstun: libnice's RFC 3489-style Binding (no magic cookie).
	t="packets=$(tcount "$p" frame) stun=$(tcount "$p" '(stun || classicstun) && !stun.channel')"
	t="$t channeldata=$(tcount "$p" stun.channel) dtls=$(tcount "$p" dtls)"
	t="$t rtp=$(tcount "$p" rtp) rtcp=$(tcount "$p" rtcp)"
	t="$t truncated=$(tcount "$p" 'frame.cap_len < frame.len')"
	printf '%-28s %-62s %s\n' "$f" "$o" "$t"
	if [ "$f" = turn_snaplen60.pcapng ]; then
		# Cut to 60 bytes, 18 bytes of payload remain: tshark declines
		# to call them anything; we classify by what those bytes prove
		# (the STUN cookie, a ChannelData header). Compare the facts
		# about the capture only.
		for k in packets truncated; do
			a=$(echo "$o" | tr ' ' '\n' | grep "^$k=")
			b=$(echo "$t" | tr ' ' '\n' | grep "^$k=")
			[ "$a" = "$b" ] && ok "$f $a" || bad "$f: ours $a, tshark $b"
		done
		continue
	fi
	[ "$o" = "$t" ] && ok "$f counts equal tshark's" || bad "$f: ours [$o] tshark [$t]"
done

# What the counts alone do not show.
"$NATPROBE" analyze --format json -o "$tmp/rtp.json" "$PCAPS/rtp_ice_lo.pcapng" 2>/dev/null
$PY - "$tmp/rtp.json" <<'PY' && ok "RTP loss 3 of 150 across the wrap; ICE pair with USE-CANDIDATE" || bad "rtp_ice_lo.pcapng: streams or ICE pair wrong"
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
s = {r["ssrc"]: r for r in c["rtp"]}
a, b = s[0x1111aaaa], s[0x2222bbbb]
assert (a["expected"], a["lost"], a["clock_rate"]) == (150, 3, 48000), a
assert (b["expected"], b["lost"], b["clock_rate"]) == (100, 0, 8000), b
assert a["jitter_ms"] < 20, a
assert c["ice"][0]["checks"] == 3 and c["ice"][0]["use_candidate"] == 1, c["ice"]
PY
"$NATPROBE" analyze --format json -o "$tmp/turn.json" --events "$tmp/ev.jsonl" \
	"$PCAPS/turn_channeldata_lo.pcapng" 2>/dev/null
$PY - "$tmp/turn.json" "$tmp/ev.jsonl" <<'PY' && ok "TURN: 401 then allocations, relayed addresses; events match" || bad "turn_channeldata_lo.pcapng: TURN summary or events wrong"
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
t = c["turn"]
assert t["allocate_requests"] == 4 and t["allocations"] == 2, t
assert t["allocate_errors"] == {"401": 2} and len(t["relayed"]) == 2, t
lines = [json.loads(l) for l in open(sys.argv[2])]
assert lines[0]["command"] == "analyze" and lines[0]["start_wall_us"] > 0
kinds = [l.get("kind") for l in lines[1:]]
assert kinds.count("sent") == c["stun"]["requests"], kinds
assert kinds.count("response") == c["stun"]["success"] + c["stun"]["errors"], kinds
PY
"$NATPROBE" analyze "$PCAPS/stun_coturn_lo.pcapng" --events "$tmp/ev2.jsonl" >"$tmp/out" 2>&1
grep -q '"kind":"timeout"' "$tmp/ev2.jsonl" && grep -q "STUN requests without responses: 1 of 7" "$tmp/out" &&
	ok "unanswered request: timeout observation and finding" ||
	bad "stun_coturn_lo.pcapng: no timeout/finding for the dead port"
"$NATPROBE" analyze "$PCAPS/dtls_alert_lo.pcapng" >"$tmp/out" 2>&1
grep -q "DTLS alert from .*: handshake_failure" "$tmp/out" && ok "DTLS handshake_failure alert found" ||
	bad "dtls_alert_lo.pcapng: $(cat "$tmp/out")"

# Broken inputs.
"$NATPROBE" analyze "$PCAPS/unknown_linktype.pcap" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "unsupported link type linktype 147" "$tmp/out" &&
	ok "unknown link type: exit 2, named" || bad "unknown link type: exit $rc: $(cat "$tmp/out")"
for f in corrupt_cut.pcap corrupt_badlen.pcap; do
	"$NATPROBE" analyze --format json -o "$tmp/c.json" "$PCAPS/$f" 2>"$tmp/err"
	rc=$?
	$PY -c 'import json,sys; c=json.load(open(sys.argv[1]))["capture"]; assert c["read_error"] and c["packets"] > 0' "$tmp/c.json" 2>/dev/null &&
		[ $rc -le 1 ] && grep -q "reporting the" "$tmp/err" &&
		ok "$f: partial results kept, $(cat "$tmp/err" | head -c 90)" ||
		bad "$f: exit $rc, $(cat "$tmp/err")"
done
"$NATPROBE" analyze /nonexistent.pcap >/dev/null 2>&1
[ $? -eq 2 ] && ok "missing file: exit 2" || bad "missing file: not exit 2"
"$NATPROBE" analyze "$SCHEMA" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "not a pcap or pcapng file" "$tmp/out" && ok "not a capture: exit 2" ||
	bad "not a capture: $(cat "$tmp/out")"
exit $fail
