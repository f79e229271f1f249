#!/bin/sh
# it_capture.sh - integration test of `--capture FILE.pcapng`:
#  - privileged calls appear only in probe/privilege.c (privileged_calls.sh);
#  - `natprobe stun --capture` against coturn on loopback: tshark reads the
#    file back, and every Binding request and response natprobe recorded in
#    --events is in it with the same transaction ID;
#  - the process drops privileges once the handle is open: its
#    /proc/PID/status shows uid nobody (or SUDO_UID) and CapEff 0 while it
#    runs;
#  - without root or CAP_NET_RAW, --capture exits 2 naming what is missing,
#    before any probing;
#  - `natprobe nat --capture` in the NAT lab: the STUN requests and
#    responses, including those to 203.0.113.11, are in the file;
#  - `natprobe ice --capture` in a natprobe<->natprobe WebRTC session on
#    loopback: the ICE checks recorded in --events are in the file, tshark
#    sees the DTLS handshake and, with --keylog, decrypts it; natprobe
#    analyze finds STUN, DTLS and RTP in it; a signaling file the dropped
#    user could not write is refused before anything starts.
# Skips (with the reason) what needs root, tshark, coturn or the lab.
set -u
NATPROBE=${NATPROBE:-./natprobe}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
NATLAB=$ROOT/fixtures/lab/natlab

if sh "$HERE/privileged_calls.sh" "$ROOT"; then ok "privileged calls confined"
else bad "privileged calls outside probe/privilege.c"; fi

skip() { echo "SKIP: it_capture $*"; exit $fail; }
[ "$(id -u)" = 0 ] || skip "needs root to capture (run it with sudo)"
command -v tshark >/dev/null 2>&1 || skip "needs tshark (make deps installs it)"
command -v turnserver >/dev/null 2>&1 || skip "needs coturn's turnserver"
command -v setpriv >/dev/null 2>&1 || skip "needs setpriv (util-linux)"

BASE=$((22000 + ($$ % 2000) * 10))
P=$BASE; SILENT=$((BASE + 5))

timeout 120 turnserver -n --no-cli --log-file stdout --simple-log \
	-L 127.0.0.1 --listening-port "$P" --no-tls --no-dtls \
	--pidfile "$tmp/turn.pid" >"$tmp/turn.log" 2>&1 &
pids="$pids $!"
# A UDP port that listens and never answers: natprobe keeps retrying.
$PY -c "import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind(('127.0.0.1',$SILENT)); time.sleep(60)" &
pids="$pids $!"
wait_stun "stun:127.0.0.1:$P"

# tids EVENTS PCAP [TRANSPORT]: compares the Binding requests (sent,
# retransmit) and responses in the event log with what tshark decodes from
# the capture; prints a summary, exit 1 on a mismatch.
tids() {
	tshark -r "$2" -d tcp.port==3479,stun -d udp.port==3479,stun \
		-Y stun -T fields -e stun.type -e stun.id \
		-e ip.src -e ip.dst >"$tmp/tshark.txt" 2>"$tmp/tshark.err" || {
		cat "$tmp/tshark.err"; return 1; }
	$PY - "$1" "$tmp/tshark.txt" "${3:-udp}" <<'PYEOF'
import json, sys
ev, ts, transport = sys.argv[1], sys.argv[2], sys.argv[3]
req, resp = set(), set()
nsent = 0
for line in open(ev):
    o = json.loads(line)
    if o.get("transport") != transport or "tid" not in o or o.get("method") != 1:
        continue
    if o["kind"] in ("sent", "retransmit"):
        req.add(o["tid"]); nsent += 1
    elif o["kind"] == "response" and o.get("class") == 2:
        resp.add(o["tid"])
creq, cresp = set(), set()
for line in open(ts):
    f = line.rstrip("\n").split("\t")
    if len(f) < 2:
        continue
    if f[0] == "0x0001": creq.add(f[1])
    elif f[0] == "0x0101": cresp.add(f[1])
missing = (req - creq) | (resp - cresp)
print("events: %d requests sent (%d transactions), %d answered; capture: %d request tids, %d response tids"
      % (nsent, len(req), len(resp), len(creq), len(cresp)))
if not req or missing:
    print("missing from the capture:", sorted(missing)[:10])
    sys.exit(1)
PYEOF
}

# --- stun on loopback ------------------------------------------------------
$NATPROBE stun --capture "$tmp/stun.pcapng" --events "$tmp/stun.jsonl" \
	-o "$tmp/stun.txt" "stun:127.0.0.1:$P" 2>"$tmp/stun.err"; rc=$?
if [ $rc != 0 ]; then bad "stun --capture: exit $rc"; cat "$tmp/stun.err"
elif ! grep -Eq "captured [1-9][0-9]* packets to $tmp/stun.pcapng" "$tmp/stun.err"; then
	bad "stun --capture: no 'captured N packets' line"; cat "$tmp/stun.err"
elif ! grep -Eq "status +ok" "$tmp/stun.txt"; then
	bad "stun --capture: report (-o, opened before the drop) lacks status ok"
elif out=$(tids "$tmp/stun.jsonl" "$tmp/stun.pcapng"); then
	ok "stun --capture: $out"
	echo "     $(grep -c . "$tmp/tshark.txt") STUN packets read back by tshark, e.g.:"
	head -4 "$tmp/tshark.txt" | sed 's/^/       /'
else
	bad "stun --capture: $out"
fi
if ! command -v capinfos >/dev/null 2>&1; then
	echo "SKIP: comment check needs capinfos (wireshark-common)"
elif capinfos -k "$tmp/stun.pcapng" 2>/dev/null | grep -q "natprobe stun --capture"; then
	ok "the section comment records the command line"
else
	bad "no comment with the command line in the file"; capinfos -k "$tmp/stun.pcapng"
fi

# --- privileges are dropped while it runs -----------------------------------
# watch_drop WANT_UID ENV...: runs natprobe against the silent port (about
# 2 s of retries) and reads Uid and CapEff from /proc while it runs.
watch_drop() {
	want=$1; shift
	: >"$tmp/drop.err"
	env "$@" $NATPROBE stun -c 1 --timeout 2 --capture "$tmp/drop.pcapng" \
		"stun:127.0.0.1:$SILENT" >/dev/null 2>>"$tmp/drop.err" &
	np=$!
	i=0
	while [ $i -lt 40 ] && ! grep -qs "privileges dropped" "$tmp/drop.err"; do
		i=$((i + 1)); sleep 0.05
	done
	uidl=$(grep '^Uid:' /proc/$np/status 2>/dev/null)
	capl=$(grep '^CapEff:' /proc/$np/status 2>/dev/null)
	prml=$(grep '^CapPrm:' /proc/$np/status 2>/dev/null)
	wait $np
	set -- $uidl
	if [ "${2:-}" = "$want" ] && [ "${3:-}" = "$want" ] && [ "${4:-}" = "$want" ] &&
	   [ "$capl" = "$(printf 'CapEff:\t0000000000000000')" ] &&
	   [ "$prml" = "$(printf 'CapPrm:\t0000000000000000')" ]; then
		ok "privileges dropped while running: $uidl / $capl / $prml"
	else
		bad "privileges not dropped (want uid $want): '$uidl' '$capl' '$prml'"
		cat "$tmp/drop.err"
	fi
}
watch_drop "$(id -u nobody)" -u SUDO_UID -u SUDO_GID
watch_drop 12345 SUDO_UID=12345 SUDO_GID=12345 SUDO_USER=someone

# --- without privilege: exit 2 before probing --------------------------------
up=$(mktemp -d); chmod 777 "$up"
setpriv --reuid=nobody --regid=nogroup --clear-groups $NATPROBE stun \
	--capture "$up/x.pcapng" --events "$up/ev.jsonl" "stun:127.0.0.1:$P" \
	>"$up/out" 2>"$up/err"; rc=$?
if [ $rc = 2 ] && grep -q "CAP_NET_RAW" "$up/err" && grep -q "root" "$up/err" &&
   [ ! -e "$up/x.pcapng" ] && [ ! -e "$up/ev.jsonl" ]; then
	ok "unprivileged --capture: exit 2, $(cat "$up/err")"
else
	bad "unprivileged --capture: exit $rc (want 2 naming CAP_NET_RAW/root, nothing written)"
	cat "$up/out" "$up/err"; ls "$up"
fi
rm -rf "$up"

# --- ice: a WebRTC session on loopback ----------------------------------------
ice=$(mktemp -d); chmod 1777 "$ice"
timeout 60 $NATPROBE ice --answer --loopback -4 --remote "$ice/offer.sdp" \
	--local "$ice/answer.sdp" --format json -o "$ice/b.json" 2>"$ice/b.err" &
ans=$!
timeout 60 $NATPROBE ice --offer --loopback -4 --local "$ice/offer.sdp" \
	--remote "$ice/answer.sdp" --capture "$ice/a.pcapng" \
	--keylog "$ice/keys.txt" --events "$ice/a.jsonl" --format json \
	-o "$ice/a.json" 2>"$ice/a.err"; rc=$?
wait $ans
if [ $rc != 0 ]; then
	bad "ice --capture: exit $rc"; cat "$ice/a.err" "$ice/b.err"
elif ! grep -q "privileges dropped, running as nobody" "$ice/a.err"; then
	bad "ice --capture: no drop to nobody"; cat "$ice/a.err"
elif out=$(tids "$ice/a.jsonl" "$ice/a.pcapng"); then
	ok "ice --capture, the ICE checks: $out"
else
	bad "ice --capture, the ICE checks: $out"
fi
hs=$(tshark -r "$ice/a.pcapng" -Y dtls.handshake.type -T fields \
	-e dtls.handshake.type 2>/dev/null | tr ',' '\n' | sort -un | tr '\n' ' ')
dec=$(tshark -r "$ice/a.pcapng" -o "tls.keylog_file:$ice/keys.txt" \
	-Y dtls.app_data -x 2>/dev/null | grep -c "Decrypted DTLS")
missing=
for t in 1:ClientHello 2:ServerHello 16:ClientKeyExchange; do
	case " $hs " in *" ${t%%:*} "*) ;; *) missing="$missing ${t#*:}" ;; esac
done
if [ -n "$missing" ]; then
	bad "ice --capture: the DTLS handshake is not in the file (types: $hs; missing:$missing)"
elif [ "${dec:-0}" -gt 0 ]; then
	ok "ice --capture: tshark sees the DTLS handshake (types $hs) and, with --keylog, decrypts $dec records"
else
	bad "ice --capture: tshark decrypts no DTLS record with the keylog"
fi
if $NATPROBE analyze --format json "$ice/a.pcapng" >"$ice/an.json" 2>"$ice/an.err" ||
   [ $? = 1 ]; then
	counts=$($PY -c "import json,sys
c=json.load(open(sys.argv[1]))['capture']['counts']
print(' '.join('%s=%d' % (k, c.get(k, 0)) for k in ('stun','dtls','rtp','rtcp')))
sys.exit(0 if all(c.get(k, 0) > 0 for k in ('stun','dtls','rtp')) else 1)" "$ice/an.json") &&
		ok "ice --capture: natprobe analyze finds $counts" ||
		bad "ice --capture: natprobe analyze: $counts"
else
	bad "ice --capture: natprobe analyze failed"; cat "$ice/an.err"
fi
# The answer's directory is root's alone: nobody could not write it.
priv=$(mktemp -d); chmod 700 "$priv"
$NATPROBE ice --offer --loopback -4 --local "$priv/offer.sdp" \
	--remote "$priv/answer.sdp" --capture "$ice/c.pcapng" \
	--events "$ice/c.jsonl" >/dev/null 2>"$ice/c.err"; rc=$?
if [ $rc = 2 ] && grep -q "cannot write in $priv" "$ice/c.err" &&
   [ ! -e "$ice/c.pcapng" ] && [ ! -e "$priv/offer.sdp" ]; then
	ok "ice --capture with --local where nobody cannot write: exit 2 before starting, $(cat "$ice/c.err")"
else
	bad "ice --capture, unwritable --local: exit $rc (want 2, nothing written)"
	cat "$ice/c.err"; ls "$ice" "$priv"
fi
rm -rf "$ice" "$priv"

# --- nat in the lab ------------------------------------------------------------
lab_ok=1
if ! ip netns list >/dev/null 2>&1 || ! command -v nft >/dev/null 2>&1; then
	echo "SKIP: lab part needs network namespaces and nftables"; lab_ok=0
elif timeout 10 "$NATLAB" status >/dev/null 2>&1; then
	echo "SKIP: lab part: the lab is already up (someone else's; not touching it)"
	lab_ok=0
fi
if [ $lab_ok = 1 ]; then
	if ! out=$(timeout 60 "$NATLAB" up portrestricted 2>&1); then
		bad "natlab up: $out"
	else
		: >"$tmp/nat.err"
		timeout 60 "$NATLAB" exec client $NATPROBE nat --no-tls --lifetime=3 \
			--capture "$tmp/nat.pcapng" --events "$tmp/nat.jsonl" \
			stun:203.0.113.10 >"$tmp/nat.txt" 2>>"$tmp/nat.err" &
		np=$!
		i=0
		while [ $i -lt 60 ] && ! grep -qs "privileges dropped" "$tmp/nat.err"; do
			i=$((i + 1)); sleep 0.05
		done
		# timeout(1) is our child; natprobe (after natlab's and ip's
		# execs) is timeout's child.
		child=$(cat /proc/$np/task/$np/children 2>/dev/null | awk '{print $1}')
		uidl=$(grep '^Uid:' /proc/${child:-0}/status 2>/dev/null)
		capl=$(grep '^CapEff:' /proc/${child:-0}/status 2>/dev/null)
		wait $np; rc=$?
		if [ $rc -gt 1 ]; then bad "lab nat --capture: exit $rc"; cat "$tmp/nat.err"
		elif out=$(tids "$tmp/nat.jsonl" "$tmp/nat.pcapng"); then
			ok "lab nat --capture: $out"
		else
			bad "lab nat --capture: $out"
		fi
		if out=$(tids "$tmp/nat.jsonl" "$tmp/nat.pcapng" tcp); then
			ok "lab nat --capture, STUN over TCP: $out"
		else
			bad "lab nat --capture, STUN over TCP: $out"
		fi
		tids "$tmp/nat.jsonl" "$tmp/nat.pcapng" >/dev/null
		n11=$(awk -F'\t' '$1=="0x0001" && $4=="203.0.113.11"' "$tmp/tshark.txt" | wc -l)
		r11=$(awk -F'\t' '$1=="0x0101" && $3=="203.0.113.11"' "$tmp/tshark.txt" | wc -l)
		if [ "$n11" -gt 0 ]; then
			ok "lab: $n11 requests to 203.0.113.11 captured ($r11 responses from it got through the port-restricted NAT)"
		else
			bad "lab: no request to 203.0.113.11 in the capture"
		fi
		case "$uidl" in
		*"	$(id -u nobody)	"*)
			if [ "$capl" = "$(printf 'CapEff:\t0000000000000000')" ]; then
				ok "lab: dropped while running: $uidl / $capl"
			else bad "lab: capabilities left: '$capl'"; fi ;;
		*) bad "lab: not dropped: '$uidl' '$capl'" ;;
		esac
		grep "captured" "$tmp/nat.err" | sed 's/^/     /'
	fi
	out=$(timeout 30 "$NATLAB" down 2>&1) || bad "natlab down: $out"
fi
exit $fail
