#!/bin/sh
# Integration test against headless Chromium (Debian chromium +
# chromium-driver), in two network namespaces joined by a veth pair
# (198.18.50.1/24 in ${CR_PREFIX}a, 198.18.50.2/24 in ${CR_PREFIX}b, each
# with a default route over the veth, so Chromium gathers a real
# interface). An nftables guard in each namespace rejects (and counts)
# every packet not for the veth subnet, multicast or loopback: Chromium
# reaches nothing else, and fails fast instead of waiting on DNS.
#
# tests/chromium/drive.py drives one Chromium through chromedriver inside
# a namespace; tests/chromium/page.html makes one RTCPeerConnection (no
# iceServers) with a fake audio track and a data channel "probe", and SDP
# moves through files by natprobe's signaling contract.
#
#  1. Chromium <-> Chromium (A offers, B answers): selected pair succeeded
#     and nominated on both sides, DTLS connected, RTP received both ways,
#     data-channel messages both ways (each side's own and its echoes). The
#     times from setRemoteDescription and from ICE connected to DTLS
#     connected are printed: the baseline for "selected pair to DTLS
#     connected". The call is captured (dumpcap on B's veth) and `natprobe
#     analyze` must count STUN, DTLS, RTP and RTCP as tshark does, on it
#     and on the recorded fixture fixtures/pcap/chromium_chromium.pcapng
#     (CR_RECORD=1 rewrites the fixture from this run).
#     The counts for DTLS and RTCP are tshark's by RFC 7983 first-byte
#     ranges, see analyze_cmp.
#  2. natprobe offers, Chromium answers; 3. Chromium offers, natprobe
#     answers; 4. as 3 (and 5, np-offer-mdns, not by default: as 2), but
#     the page asks for no media, so Chromium's host candidates are mDNS
#     .local names natprobe must resolve (a NOTE says when it did not and
#     the pair used a peer-reflexive candidate instead). Today: ICE
#     selects a pair on both sides (natprobe exit 0 and ice.selected;
#     Chromium's pair succeeded and nominated), and both sides name the
#     same pair. natprobe's plain ICE descriptions go through the shim in
#     tests/chromium/sdp_adapt.py (dummy fingerprint, mirrored m-lines); once
#     natprobe's description has a fingerprint, the shim leaves it alone.
#     IT_CHROMIUM_WEBRTC=dtls asserts DTLS connected on both sides too.
#     With IT_CHROMIUM_WEBRTC=1 there is no shim and the full session is
#     asserted: Chromium's DTLS connected, natprobe's RTP (its a=ssrc)
#     counted by Chromium, data-channel messages both ways, and natprobe's
#     report: dtls.state connected, media.received.packets > 0,
#     datachannel.state open, .probe_echoed > 0 (the page echoes what it
#     did not send) and .messages_received > 0 ("media" and
#     "messages_received" are guesses until natprobe reports them).
#
# Env: CR_PREFIX (namespace/interface prefix, default "cr-"), CR_RECORD=1,
# CR_KEEP=DIR (copy SDPs, summaries, reports and browser logs there),
# CR_CAPTURE=1 (also capture the natprobe cases, into CR_KEEP),
# IT_CHROMIUM_WEBRTC=dtls|1, CR_CASES (default "cc np-offer np-answer
# np-answer-mdns"; also np-offer-mdns). Needs root, ip netns, nft,
# chromium, chromedriver; tshark for the capture comparison. 40 s to 100 s
# (most of it Chromium starting, 3-10 s each on a loaded machine).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
NATPROBE=$(cd "$(dirname "$NATPROBE")" && pwd)/$(basename "$NATPROBE")
CR=$HERE/chromium
PCAP_FIX=$ROOT/fixtures/pcap/chromium_chromium.pcapng
WEBRTC=${IT_CHROMIUM_WEBRTC:-1}
CASES=${CR_CASES:-cc np-offer np-answer np-answer-mdns}

if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "SKIP: it_chromium needs root and network namespaces (ip netns)"; exit 0
fi
for c in /usr/lib/chromium/chromium /usr/bin/chromedriver; do
	[ -x "$c" ] || { echo "SKIP: it_chromium needs $c (Debian chromium, chromium-driver)"; exit 0; }
done
command -v nft >/dev/null 2>&1 || { echo "SKIP: it_chromium needs nft (nftables)"; exit 0; }

P=${CR_PREFIX:-cr-}
A=${P}a B=${P}b VA=${P}va VB=${P}vb
IPA=198.18.50.1 IPB=198.18.50.2

. "$HERE/chromium/netns.sh"
keep() { [ -n "${CR_KEEP:-}" ] && rm -rf "$CR_KEEP" && cp -r "$tmp" "$CR_KEEP"; }
trap 'ns_down; keep; cleanup' EXIT
trap 'exit 130' INT TERM

ns_up || { echo "FAIL cannot set up namespaces $A/$B"; exit 1; }

# drive NS ROLE NAME [drive.py options]: one Chromium in the background;
# its PID in $dpid, its summary in $tmp/NAME.json.
drive() {
	_ns=$1 _role=$2 _name=$3; shift 3
	ip netns exec "$_ns" $PY "$CR/drive.py" --role "$_role" --dir "$tmp/$_name" \
		--out "$tmp/$_name.json" "$@" >"$tmp/$_name.out" 2>&1 &
	dpid=$!; pids="$pids $dpid"
}

# Helpers reading drive.py's summaries and natprobe's report.
J="$PY $CR/check.py"

# ---- 1. Chromium <-> Chromium --------------------------------------------------
cc() {
	rm -f "$tmp"/cc_*
	cap=$tmp/cc.pcapng cpid=
	if command -v dumpcap >/dev/null 2>&1; then
		ip netns exec $B dumpcap -q -i $VB -w "$cap" >"$tmp/dumpcap.out" 2>&1 &
		cpid=$!; pids="$pids $cpid"
		i=0; while [ ! -s "$cap" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	else
		echo "NOTE no dumpcap (wireshark-common): the call is not captured"
	fi
	drive $A offer cc_a --local "$tmp/cc_offer" --remote "$tmp/cc_answer" \
		--done-file "$tmp/cc_a.done" --stop-file "$tmp/cc_b.done" --linger 3 --timeout 30
	pa=$dpid
	drive $B answer cc_b --local "$tmp/cc_answer" --remote "$tmp/cc_offer" \
		--done-file "$tmp/cc_b.done" --stop-file "$tmp/cc_a.done" --linger 3 --timeout 30
	pb=$dpid
	# Capture until both have met the goal and 2 s of media more; the
	# drivers linger 3 s, so the call is still up when the capture ends.
	i=0; while [ $i -lt 300 ] && ! { [ -f "$tmp/cc_a.done" ] && [ -f "$tmp/cc_b.done" ]; }; do
		kill -0 $pa 2>/dev/null || kill -0 $pb 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	if [ -n "$cpid" ]; then sleep 2; kill -INT $cpid 2>/dev/null; wait $cpid 2>/dev/null; fi
	wait $pa; ra=$?; wait $pb; rb=$?
	[ $ra -le 1 ] && [ $rb -le 1 ] || bad "Chromium<->Chromium: driver failed: $($J err "$tmp/cc_a.json") / $($J err "$tmp/cc_b.json")"
	$J cc "$tmp/cc_a.json" "$tmp/cc_b.json" && ok "Chromium<->Chromium: ICE, DTLS, RTP and data both ways" ||
		bad "Chromium<->Chromium: see above"
	if [ "${CR_RECORD:-0}" = 1 ] && [ -s "$cap" ]; then
		cp "$cap" "$PCAP_FIX" && chmod 644 "$PCAP_FIX" && echo "NOTE recorded $PCAP_FIX ($(wc -c <"$PCAP_FIX") bytes)"
	fi
	[ -n "$cpid" ] && analyze_cmp "$cap" "this run's capture"
	if [ -f "$PCAP_FIX" ]; then
		analyze_cmp "$PCAP_FIX" "$(basename "$PCAP_FIX")"
	else
		bad "fixture $PCAP_FIX missing (CR_RECORD=1 records it)"
	fi
}

# analyze_cmp FILE LABEL: natprobe analyze's counts equal tshark's, as in
# tests/it_analyze.sh, and the call is really there (STUN, DTLS, RTP, RTCP).
# Three differences from it_analyze's filters, each a tshark 4.0 limit or
# convention, not a matter of opinion: Chromium speaks DTLS 1.3, whose
# unified-header records (RFC 9147 §4, first byte 001xxxxx) tshark 4.0 does
# not dissect, and its RTCP is SRTCP, which tshark's rtcp_udp heuristic
# rejects; both are counted by the RFC 7983 first-byte ranges instead (DTLS
# 20..63; RTCP 128..191 with packet type 192..223, RFC 5761 §4). And an
# ICMP error quoting an RTP or DTLS packet matches tshark's "rtp"/"dtls"
# filters, but is not one: ICMP frames are left out.
analyze_cmp() {
	[ -s "$1" ] || { bad "$2: no capture"; return; }
	command -v tshark >/dev/null 2>&1 || { echo "NOTE no tshark: $2 not compared"; return; }
	timeout 60 "$NATPROBE" analyze --format json -o "$tmp/an.json" "$1" 2>"$tmp/an.err"
	[ $? -le 1 ] || { bad "$2: natprobe analyze failed: $(cat "$tmp/an.err")"; return; }
	o=$($J ours "$tmp/an.json")
	$J tshark "$1" >"$tmp/ts.out"
	t=$(sed -n 1p "$tmp/ts.out")
	echo "     natprobe analyze: $o"
	echo "     tshark:           $t"
	echo "     (tshark's own dissectors: $(sed -n 2p "$tmp/ts.out"))"
	[ "$o" = "$t" ] && ok "$2: natprobe analyze counts equal tshark's" || bad "$2: counts differ"
	$PY "$CR/check.py" callseen "$o" && ok "$2: STUN, DTLS, RTP and RTCP all present" ||
		bad "$2: not a whole call: $o"
}

# ---- 2-4. natprobe <-> Chromium ------------------------------------------------
# np_case NAME ROLE_OF_NATPROBE [drive.py options]: Chromium in A, natprobe in B.
np_case() {
	name=$1 nrole=$2; shift 2
	rm -f "$tmp/${name}"_*
	if [ "$nrole" = offer ]; then crole=answer; else crole=offer; fi
	goal=ice; shim=--shim; hold=0
	case $WEBRTC in
	dtls) goal=dtls; shim=; hold=1 ;;
	1) goal=webrtc; shim=; hold=4 ;;
	esac
	if [ "${CR_CAPTURE:-0}" = 1 ]; then
		ip netns exec $B dumpcap -q -i $VB -w "$tmp/$name.pcapng" >/dev/null 2>&1 &
		cap_pid=$!; pids="$pids $cap_pid"
	fi
	drive $A $crole ${name}_cr --local "$tmp/${name}_cr.sdp" --remote "$tmp/${name}_np.sdp" \
		--goal $goal $shim --stop-file "$tmp/${name}_np.exited" --timeout 30 "$@"
	pc=$dpid
	ip netns exec $B timeout 25 "$NATPROBE" ice --$nrole --local "$tmp/${name}_np.sdp" \
		--remote "$tmp/${name}_cr.sdp" --timeout 20 --hold $hold --format json \
		-o "$tmp/${name}_np.json" --events "$tmp/${name}_np.events" >"$tmp/${name}_np.out" 2>&1
	rn=$?
	touch "$tmp/${name}_np.exited"
	wait $pc; rc=$?
	[ "${CR_CAPTURE:-0}" = 1 ] && { kill -INT $cap_pid; wait $cap_pid; }
	[ $rc -le 1 ] || bad "$name: Chromium driver failed: $($J err "$tmp/${name}_cr.json")"
	[ $rn = 0 ] && ok "$name: natprobe exit 0" ||
		bad "$name: natprobe exit $rn: $(tail -3 "$tmp/${name}_np.out")"
	$J np "$tmp/${name}_cr.json" "$tmp/${name}_np.json" "$goal" "$tmp/${name}_np.events" &&
		ok "$name: both sides selected the same pair$([ $goal = ice ] || echo ", $goal asserted")" ||
		bad "$name: see above"
}

# The whole run stays under 3 minutes: a case starts only with 30 s left
# (each is bounded by drive.py --timeout 30 and natprobe --timeout 20).
t_start=$(date +%s)
budget=${CR_BUDGET:-175}
for c in $CASES; do
	t_case=$(date +%s)
	if [ $((t_case - t_start + 30)) -gt "$budget" ]; then
		bad "$c: not run, the ${budget} s budget is spent"; continue
	fi
	case $c in
	cc) cc ;;
	np-offer) np_case np_offer offer ;;
	np-answer) np_case np_answer answer ;;
	np-answer-mdns) np_case np_mdns answer --no-media ;;
	np-offer-mdns) np_case np_offer_mdns offer --no-media ;;
	*) bad "unknown case $c" ;;
	esac
	echo "     ($c: $(($(date +%s) - t_case)) s)"
done

for ns in $A $B; do
	n=$(ip netns exec $ns nft list counter inet crguard escaped 2>/dev/null |
		sed -n 's/.*packets \([0-9]*\).*/\1/p')
	echo "NOTE $ns: ${n:-?} packets to outside the lab subnet rejected by the guard"
done
case $WEBRTC in
1) ;;
dtls) echo "NOTE IT_CHROMIUM_WEBRTC=dtls: natprobe<->Chromium asserted ICE and DTLS, not media and data" ;;
*) echo "NOTE IT_CHROMIUM_WEBRTC unset: natprobe<->Chromium asserted ICE only" ;;
esac
exit $fail
