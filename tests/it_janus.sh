#!/bin/sh
# Integration test: natprobe ice against Janus (Debian package janus, the
# EchoTest plugin through its HTTP API), a real WebRTC media server. Janus
# runs in the lab's server namespace (public, 203.0.113.10; it cannot
# gather on loopback alone), the offerer in the client namespace behind the
# portrestricted NAT (EIM + APDF). Config: tests/janus/ (one transport, one
# plugin, no STUN; the Admin API gives Janus's own view of the session).
# tests/janus/janus_driver.py is the signaling: it takes the offer file
# (natprobe's file contract), hands it to EchoTest, writes Janus's answer
# file, and reports "webrtcup", "media" and handle_info.
#   1. natprobe offers, Janus answers (DTLS client, a=setup:active): a pair
#      is selected on both sides and they name the same 5-tuple. When
#      natprobe's offer has a fingerprint: Janus reports webrtcup, and
#      both views say DTLS connected (natprobe server, Janus client) with
#      the same SRTP profile. (An ICE-only offer gets a placeholder
#      fingerprint from the driver, without which Janus refuses it.)
#      Janus must not drop natprobe's RTP as "Unknown SSRC".
#      IT_JANUS_WEBRTC=1 (once natprobe sends media and data): audio
#      accepted, Janus's "media" event and packet counts, natprobe's
#      echoed SRTP authenticated and data-channel echoes counted.
#   2. IT_JANUS_CHROMIUM=1: headless Chromium (fake microphone, a data
#      channel) offers instead, through tests/janus/sig_server.py: this
#      validates Janus, its config and the driver with a real browser
#      (webrtcup, getStats inbound-rtp packetsReceived > 0, text and binary
#      data-channel echoes). The call is captured (dumpcap, Janus's UDP
#      ports) and natprobe analyze's counts are compared with tshark's;
#      IT_JANUS_RECORD=1 also copies the capture to
#      fixtures/pcap/chromium_janus.pcapng.
# Env: NATLAB_PREFIX (natlab's default unless set; use your own),
# IT_JANUS_KEEP=DIR keeps every log, summary and capture there.
# Needs root, network namespaces, nftables, coturn (the lab's STUN server),
# janus; chromium, dumpcap and tshark for part 2.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

NATLAB=$ROOT/fixtures/lab/natlab
J=$HERE/janus
SRV=203.0.113.10
API=http://$SRV:8088/janus
ADMIN=http://$SRV:7088/admin
WEBRTC=${IT_JANUS_WEBRTC:-1}
CHROMIUM=${IT_JANUS_CHROMIUM:-0}
PFX=${NATLAB_PREFIX:-nl-}

if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "SKIP: it_janus needs root and network namespaces (ip netns)"; exit 0
fi
if ! command -v janus >/dev/null 2>&1; then
	echo "SKIP: it_janus needs janus (Debian package janus)"; exit 0
fi
JLIB=
for d in /usr/lib/*/janus /usr/lib/janus /usr/local/lib/janus; do
	[ -f "$d/plugins/libjanus_echotest.so" ] && [ -f "$d/transports/libjanus_http.so" ] &&
		{ JLIB=$d; break; }
done
[ -n "$JLIB" ] || { echo "SKIP: janus has no EchoTest plugin or HTTP transport"; exit 0; }
for c in turnserver nft; do
	command -v "$c" >/dev/null 2>&1 || { echo "SKIP: it_janus needs $c"; exit 0; }
done
NATPROBE=$(cd "$(dirname "$NATPROBE")" && pwd)/$(basename "$NATPROBE")
if [ "$CHROMIUM" = 1 ]; then
	for c in chromium dumpcap tshark; do
		command -v "$c" >/dev/null 2>&1 || { echo "SKIP: IT_JANUS_CHROMIUM=1 needs $c"; CHROMIUM=0; }
	done
fi

# Process groups started with setsid (Chromium and its helpers).
groups=""
lab_down() {
	for g in $groups; do kill -- "-$g" 2>/dev/null; done
	timeout 30 "$NATLAB" down >/dev/null 2>&1
}
keep() { [ -n "${IT_JANUS_KEEP:-}" ] && mkdir -p "$IT_JANUS_KEEP" && cp -r "$tmp"/. "$IT_JANUS_KEEP"/; }
trap 'keep; lab_down; cleanup' EXIT
trap 'exit 130' INT TERM
T0=$(date +%s.%N)
elapsed() { awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $T0}"; }

if ! out=$(timeout 30 "$NATLAB" up portrestricted 2>&1); then
	echo "FAIL natlab up portrestricted: $out"; exit 1
fi
LAB_S=$(elapsed)

# ---- Janus in the server namespace ------------------------------------------
JD=$tmp/janus
mkdir -p "$JD/conf" "$JD/plugins" "$JD/transports" "$JD/events" "$JD/loggers"
sed -e "s|@DIR@|$JD|g" -e "s|@ICE_IP@|$SRV|g" "$J/janus.jcfg.in" >"$JD/conf/janus.jcfg"
cp "$J/janus.transport.http.jcfg" "$J/janus.plugin.echotest.jcfg" "$JD/conf/"
ln -s "$JLIB/plugins/libjanus_echotest.so" "$JD/plugins/"
ln -s "$JLIB/transports/libjanus_http.so" "$JD/transports/"
timeout 300 "$NATLAB" exec server janus -C "$JD/conf/janus.jcfg" -F "$JD/conf" \
	>"$JD/stdout" 2>&1 &
JPID=$!
pids="$pids $JPID"
info=
i=0
while [ $i -lt 100 ]; do
	info=$("$NATLAB" exec server $PY -c '
import json, sys, urllib.request
j = json.load(urllib.request.urlopen(sys.argv[1] + "/info", timeout=1))
print(j["version_string"], " ".join(sorted(j["plugins"])), " ".join(sorted(j["transports"])))
' "$API" 2>/dev/null) && break
	kill -0 $JPID 2>/dev/null || break
	i=$((i + 1)); sleep 0.1
done
if [ -z "$info" ]; then
	echo "FAIL Janus's HTTP API does not answer at $API"
	tail -n 20 "$JD/janus.log" "$JD/stdout" 2>/dev/null | sed 's/^/     | /'
	exit 1
fi
set -- $info
if [ "$2" = janus.plugin.echotest ] && [ "$3" = janus.transport.http ] && [ $# -eq 3 ]; then
	ok "Janus $1 up in ${PFX}server (lab up in $LAB_S s, Janus's API $(awk "BEGIN{printf \"%.1f\", $(elapsed) - $LAB_S}") s later): plugin $2, transport $3 only"
else
	bad "Janus loaded more or less than EchoTest and HTTP: $info"
fi

# driver DIR [args]: the EchoTest call in the server namespace, background;
# summary in DIR/drv.json, log in DIR/drv.err, PID in $DPID.
driver() {
	dd=$1; shift
	timeout 120 "$NATLAB" exec server $PY "$J/janus_driver.py" -v --url "$API" \
		--admin "$ADMIN" --offer "$dd/offer" --answer "$dd/answer" \
		--summary "$dd/drv.json" "$@" 2>"$dd/drv.err" &
	DPID=$!
	pids="$pids $DPID"
}
# stop_driver: SIGTERM (it hangs up, detaches, destroys) and wait, 10 s.
stop_driver() {
	kill "$DPID" 2>/dev/null
	i=0
	while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
	wait "$DPID" 2>/dev/null
}

# ---- 1. natprobe offers -------------------------------------------------------
d=$tmp/np; mkdir "$d"
# The driver stays until natprobe is done (SIGTERM), so natprobe's --hold
# decides how long media flows.
driver "$d" --timeout 60 --hold 60 --placeholder-fingerprint
HOLD=2
[ "$WEBRTC" = 1 ] && HOLD=4
t1=$(date +%s.%N)
timeout 60 "$NATLAB" exec client "$NATPROBE" ice --offer --local "$d/offer" --remote "$d/answer" \
	--stun stun:$SRV:3478 --timeout 20 --hold $HOLD --format json -o "$d/np.json" 2>"$d/np.err"
rc=$?
secs=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t1}")
stop_driver
$PY - "$d/np.json" "$d/drv.json" "$rc" "$secs" "$WEBRTC" >"$d/check" 2>&1 <<'PY'
import json, sys
np_path, drv_path, rc, secs, webrtc = sys.argv[1:]
ok, bad = [], []
def check(cond, good, fail):
    (ok if cond else bad).append(good if cond else fail)
try:
    n = json.load(open(np_path))
except (OSError, ValueError) as e:
    n = {}
    bad.append("natprobe wrote no JSON report: %s" % e)
try:
    s = json.load(open(drv_path))
except (OSError, ValueError) as e:
    s = {"error": "the driver wrote no summary: %s" % e}
s.setdefault("events", [])
s.setdefault("media", [])
ice = n.get("ice") or {}
sel = ice.get("selected")
check(rc == "0" and sel, "natprobe exit 0, ice.selected non-null (%s s)" % secs,
      "natprobe exit %s, ice.selected %s" % (rc, sel))
check(s.get("answer_ms") is not None and not s.get("error"),
      "Janus answered %.0f ms after the offer was read%s" %
      ((s.get("answer_ms") or 0) - (s.get("offer_ms") or 0),
       " (placeholder fingerprint added: natprobe offers no DTLS yet)" if s.get("patched_fingerprint") else ""),
      "Janus did not answer: %s" % s.get("error"))
am = s.get("answer_media") or []
app = [m for m in am if m["kind"] == "application"]
check(app and app[0]["port"] != 0 and "a=setup:active" in app[0]["attrs"]
      and "a=sctp-port:5000" in app[0]["attrs"],
      "Janus's answer: data channel accepted, a=setup:active (DTLS client), a=sctp-port:5000",
      "Janus's answer media: %s" % am)
cands = s.get("answer_candidates") or []
jports = {int(c.split()[5]) for c in cands if len(c.split()) > 7}
v = (s.get("janus_view") or {}).get("last") or {}
if sel:
    r, l = sel["remote"], sel["local"]
    check(r["address"] == "203.0.113.10" and r["port"] in jports,
          "natprobe's selected remote %s:%d is Janus's host candidate" % (r["address"], r["port"]),
          "natprobe's selected remote %s, Janus's candidates %s" % (r, cands))
    sp = v.get("selected_pair") or ""
    want_l, want_r = "203.0.113.10:%d" % r["port"], "%s:%d" % (l["address"], l["port"])
    check(v.get("ice_state") in ("connected", "ready") and want_l in sp and want_r in sp,
          "Janus's view (Admin API): ICE %s, selected pair %s: the same 5-tuple" % (v.get("ice_state"), sp),
          "Janus's view: ICE %s, selected pair '%s', expected %s <-> %s" %
          (v.get("ice_state"), sp, want_l, want_r))
print("INFO Janus events: %s" %
      ", ".join(e["janus"] + ("/" + str(e.get("type")) if e.get("type") else "") for e in s["events"]))
print("INFO Janus's view: DTLS %s as %s, %s, packets in %s out %s" %
      (v.get("dtls_state"), v.get("dtls_role"), v.get("srtp_profile"), v.get("in"), v.get("out")))
dt = n.get("dtls") or {}
if not s.get("patched_fingerprint"):
    # natprobe offered a fingerprint: it claims DTLS, so Janus must get there
    check(s.get("webrtcup_ms") is not None,
          "Janus: webrtcup %.0f ms after the offer was read" %
          ((s.get("webrtcup_ms") or 0) - (s.get("offer_ms") or 0)), "Janus sent no webrtcup")
    check(v.get("dtls_state") == "connected" and v.get("dtls_role") == "active",
          "Janus's view: DTLS connected as client (active), %s" % v.get("srtp_profile"),
          "Janus's view: DTLS %s as %s" % (v.get("dtls_state"), v.get("dtls_role")))
    # key names: reports/report_ice.c report_webrtc_json
    check(dt.get("state") == "connected" and dt.get("role") == "server" and not dt.get("mitm"),
          "natprobe: DTLS connected as server in %s ms (%s, %s, SRTP %s; Janus offered %s)" %
          (dt.get("handshake_ms"), dt.get("version"), dt.get("cipher"), dt.get("srtp_profile"),
           dt.get("peer_offered")),
          "natprobe dtls: %s" % dt)
    check(dt.get("srtp_profile") is None or dt.get("srtp_profile") == v.get("srtp_profile"),
          "the same SRTP profile in both views", "SRTP profile: natprobe %s, Janus %s" %
          (dt.get("srtp_profile"), v.get("srtp_profile")))
else:
    print("INFO natprobe offered no fingerprint (ICE only): the driver added a placeholder")
if webrtc == "1":
    off = s.get("offer_media") or []
    au = [m for m in off if m["kind"] == "audio"]
    check(not s.get("patched_fingerprint") and au and "111" in au[0]["fmts"]
          and "a=rtpmap:111 opus/48000/2" in au[0]["attrs"] and "a=rtcp-mux" in au[0]["attrs"],
          "natprobe's offer: fingerprint, audio opus/48000/2 PT 111, rtcp-mux",
          "natprobe's offer media: %s (fingerprint patched: %s)" % (off, s.get("patched_fingerprint")))
    aa = [m for m in am if m["kind"] == "audio"]
    check(aa and aa[0]["port"] != 0 and "a=rtpmap:111 opus/48000/2" in aa[0]["attrs"],
          "Janus's answer: audio accepted with opus/48000/2", "Janus's answer audio: %s" % aa)
    check(any(m["type"] == "audio" and m["receiving"] for m in s["media"]),
          "Janus: media audio receiving", "Janus: no 'media audio receiving' event: %s" % s["media"])
    ins, outs = v.get("in") or {}, v.get("out") or {}
    check(ins.get("audio", 0) > 0 and outs.get("audio", 0) > 0 and ins.get("data", 0) > 0,
          "Janus's view: audio in %s out %s packets, data in %s out %s" %
          (ins.get("audio"), outs.get("audio"), ins.get("data"), outs.get("data")),
          "Janus's view: packets in %s out %s" % (ins, outs))
    # natprobe's own view (report keys "media" and "datachannel"): its
    # SRTP stream sent, echoed back by Janus and authenticated, and its
    # data-channel probe echoed.
    me = n.get("media") or {}
    check(me.get("packets_sent", 0) > 0 and me.get("packets_received", 0) > 0
          and me.get("srtp_authenticated", 0) > 0 and me.get("srtp_failed", 1) == 0,
          "natprobe: media sent %s, received %s (authenticated %s), loss %s %%, RTT %s ms" %
          (me.get("packets_sent"), me.get("packets_received"), me.get("srtp_authenticated"),
           me.get("loss_pct"), me.get("rtt_ms")),
          "natprobe media: %s" % me)
    dc = n.get("datachannel") or {}
    check(dc.get("state") == "open" and dc.get("probe_sent", 0) > 0 and
          dc.get("probe_echoed", 0) == dc.get("probe_sent"),
          "natprobe: data channel %s messages, %s echoed by Janus, RTT avg %s ms" %
          (dc.get("probe_sent"), dc.get("probe_echoed"), dc.get("rtt_avg_ms")),
          "natprobe datachannel: %s" % dc)
for m in ok:
    print("ok   janus: " + m)
for m in bad:
    print("FAIL janus: " + m)
sys.exit(1 if bad else 0)
PY
crc=$?
cat "$d/check"
if [ $crc -ne 0 ]; then
	fail=1
	echo "     natprobe:"; tail -n 15 "$d/np.err" | sed 's/^/     | /'
	echo "     driver:"; tail -n 15 "$d/drv.err" | cut -c1-200 | sed 's/^/     | /'
fi
# Janus drops RTP whose SSRC the offer did not declare (a=ssrc) unless
# the mid header extension (RFC 8843) is negotiated: "Unknown SSRC".
n=$(grep -c 'Unknown SSRC' "$JD/janus.log")
if [ "$n" -gt 0 ]; then
	bad "Janus dropped $n of natprobe's RTP packets: $(grep -m1 -o 'Unknown SSRC.*' "$JD/janus.log") (the SSRC sent must be the offer's a=ssrc)"
fi
w=$(grep '\[WARN\]\|\[ERR\]' "$JD/janus.log" | grep -vc 'mDNS')
[ "$w" -gt 0 ] && echo "INFO Janus's log during natprobe's call: $w warnings/errors, first: $(grep '\[WARN\]\|\[ERR\]' "$JD/janus.log" | grep -v mDNS | head -n 2 | cut -c 27- | tr '\n' ' ')"
[ "$WEBRTC" = 1 ] || echo "SKIP SRTP media and data-channel echo through Janus (IT_JANUS_WEBRTC=1 once natprobe sends them)"

# ---- 2. Chromium offers ------------------------------------------------------
if [ "$CHROMIUM" != 1 ]; then
	echo "SKIP Chromium <-> Janus validation (IT_JANUS_CHROMIUM=1 runs it)"
	echo "it_janus: $(elapsed) s"
	exit $fail
fi
c=$tmp/cr; mkdir "$c"
"$NATLAB" exec client $PY "$J/sig_server.py" 8765 "$c" "$J/chromium.html" 2>"$c/sig.err" &
pids="$pids $!"
i=0
until "$NATLAB" exec client $PY -c 'import urllib.request as u; u.urlopen("http://127.0.0.1:8765/answer", timeout=1)' 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "FAIL sig_server.py does not answer: $(cat "$c/sig.err")"; exit 1; }
	sleep 0.1
done
# Janus's media ports only: no HTTP, no coturn.
timeout 60 "$NATLAB" exec server dumpcap -q -i eth0 -f 'udp portrange 20000-20099' \
	-w "$c/call.pcapng" >/dev/null 2>"$c/dumpcap.err" &
CAP=$!
pids="$pids $CAP"
i=0
until grep -q "File:" "$c/dumpcap.err" 2>/dev/null || [ $i -ge 50 ]; do i=$((i + 1)); sleep 0.1; done
driver "$c" --timeout 60 --hold 30
t1=$(date +%s.%N)
setsid timeout 60 "$NATLAB" exec client chromium --headless --no-sandbox --disable-gpu \
	--use-fake-device-for-media-stream --use-fake-ui-for-media-stream \
	--no-first-run --disable-background-networking --user-data-dir="$c/profile" \
	"http://127.0.0.1:8765/?secs=3" >"$c/chromium.log" 2>&1 &
CR=$!
groups="$groups $CR"
i=0
while [ ! -f "$c/result.json" ] && [ $i -lt 450 ] && kill -0 $CR 2>/dev/null; do
	i=$((i + 1)); sleep 0.1
done
secs=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t1}")
kill -- "-$CR" 2>/dev/null
wait "$CR" 2>/dev/null
stop_driver
sleep 0.3
kill "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
$PY - "$c/result.json" "$c/drv.json" "$secs" >"$c/check" 2>&1 <<'PY'
import json, sys
res_path, drv_path, secs = sys.argv[1:]
ok, bad = [], []
def check(cond, good, fail):
    (ok if cond else bad).append(good if cond else fail)
try:
    r = json.load(open(res_path))
except (OSError, ValueError) as e:
    r = {"error": "no result from the page: %s" % e}
try:
    s = json.load(open(drv_path))
except (OSError, ValueError) as e:
    s = {"error": "the driver wrote no summary: %s" % e}
s.setdefault("media", [])
check(not r.get("error"), "Chromium's page ran to the end in %s s" % secs, "page: %s" % r.get("error"))
st = r.get("stats") or []
by = lambda t: [x for x in st if x["type"] == t]
inb = [x for x in by("inbound-rtp") if x.get("kind") == "audio"]
outb = [x for x in by("outbound-rtp") if x.get("kind") == "audio"]
tr = by("transport")
check(s.get("webrtcup_ms") is not None, "Janus: webrtcup %.0f ms after the offer was read" %
      ((s.get("webrtcup_ms") or 0) - (s.get("offer_ms") or 0)), "Janus sent no webrtcup: %s" % s.get("error"))
check(any(m["type"] == "audio" and m["receiving"] for m in s["media"]),
      "Janus: media audio receiving", "Janus: no 'media audio receiving': %s" % s["media"])
check(inb and inb[0].get("packetsReceived", 0) > 0,
      "Chromium getStats: inbound-rtp audio packetsReceived %s (sent %s), lost %s, jitter %s s" %
      (inb[0].get("packetsReceived"), outb[0].get("packetsSent") if outb else None,
       inb[0].get("packetsLost"), inb[0].get("jitter")) if inb else "",
      "Chromium inbound-rtp: %s" % inb)
check(tr and tr[0].get("dtlsState") == "connected" and tr[0].get("dtlsRole") == "server",
      "Chromium transport: DTLS connected, Chromium server (Janus is the DTLS client), version %s, %s, %s" %
      (tr[0].get("tlsVersion"), tr[0].get("dtlsCipher"), tr[0].get("srtpCipher")) if tr else "",
      "Chromium transport: %s" % tr)
dc = r.get("dc") or {}
rtt = sorted(dc.get("rtt_ms") or [0])
check(dc.get("sent", 0) > 0 and dc.get("echoed") == dc.get("sent") and dc.get("binary_echoed", 0) > 0
      and dc.get("text_prefixed") == dc.get("text_echoed"),
      "data channel: %d of %d echoed (text %s with EchoTest's prefix, binary %s verbatim), RTT median %.1f ms" %
      (dc.get("echoed"), dc.get("sent"), dc.get("text_echoed"), dc.get("binary_echoed"), rtt[len(rtt) // 2]),
      "data channel: %s" % {k: v for k, v in dc.items() if k != "rtt_ms"})
v = (s.get("janus_view") or {}).get("last") or {}
ins, outs = v.get("in") or {}, v.get("out") or {}
check(v.get("dtls_state") == "connected" and v.get("dtls_role") == "active"
      and ins.get("audio", 0) > 0 and outs.get("audio", 0) > 0 and ins.get("data", 0) > 0,
      "Janus's view: ICE %s %s, DTLS %s as %s, %s; audio in %s out %s, data in %s out %s packets" %
      (v.get("ice_state"), v.get("selected_pair"), v.get("dtls_state"), v.get("dtls_role"),
       v.get("srtp_profile"), ins.get("audio"), outs.get("audio"), ins.get("data"), outs.get("data")),
      "Janus's view: %s" % v)
for m in ok:
    print("ok   chromium: " + m)
for m in bad:
    print("FAIL chromium: " + m)
sys.exit(1 if bad else 0)
PY
crc=$?
cat "$c/check"
if [ $crc -ne 0 ]; then
	fail=1
	echo "     page:"; sed 's/^/     | /' "$c/page.log" 2>/dev/null
	echo "     driver:"; tail -n 15 "$c/drv.err" | cut -c1-200 | sed 's/^/     | /'
	grep -v -i 'dbus\|zygote' "$c/chromium.log" | tail -n 5 | sed 's/^/     | /'
fi

# The capture: natprobe analyze's counts against tshark's (as it_analyze.sh).
p=$c/call.pcapng
if [ -s "$p" ]; then
	tcount() {
		timeout 60 tshark -r "$1" --enable-heuristic rtp_udp --enable-heuristic rtcp_udp \
			-Y "$2" -T fields -e frame.number 2>/dev/null | wc -l | tr -d ' '
	}
	timeout 60 "$NATPROBE" analyze --format json -o "$c/an.json" "$p" >"$c/an.txt" 2>&1
	arc=$?
	o=$($PY - "$c/an.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
c = j["capture"]["counts"]
print(" ".join("%s=%d" % (k, v) for k, v in [
    ("packets", j["capture"]["packets"]), ("stun", c["stun"]),
    ("channeldata", c["turn_channeldata"]), ("dtls", c["dtls"] + c["dtls13"]),
    ("rtp", c["rtp"]), ("rtcp", c["rtcp"]), ("truncated", c["truncated"])]))
PY
)
	t="packets=$(tcount "$p" frame) stun=$(tcount "$p" 'stun && !stun.channel')"
	t="$t channeldata=$(tcount "$p" stun.channel) dtls=$(tcount "$p" dtls)"
	# tshark's RTCP heuristic declines SRTCP (its length field does not
	# cover the SRTCP index and tag) and leaves it undissected, so those
	# are counted by the RFC 5761 section 4 / RFC 7983 test: first byte
	# 128-191, second (packet type) 192-223. Its heuristic count is
	# printed too.
	rtcp_byte='udp.payload[0] >= 80 && udp.payload[0] <= bf && udp.payload[1] >= c0 && udp.payload[1] <= df'
	t="$t rtp=$(tcount "$p" rtp) rtcp=$(tcount "$p" "rtcp || ($rtcp_byte)")"
	t="$t truncated=$(tcount "$p" 'frame.cap_len < frame.len')"
	echo "INFO capture $(wc -c <"$p") bytes; natprobe analyze (exit $arc): $o"
	echo "INFO                         tshark: $t (its rtcp heuristic: $(tcount "$p" rtcp))"
	[ -n "$o" ] && [ "$o" = "$t" ] && ok "chromium_janus capture: natprobe analyze's counts equal tshark's" ||
		bad "chromium_janus capture: ours [$o] tshark [$t]"
	if [ "${IT_JANUS_RECORD:-0}" = 1 ]; then
		cp "$p" "$ROOT/fixtures/pcap/chromium_janus.pcapng" &&
			chmod 644 "$ROOT/fixtures/pcap/chromium_janus.pcapng" &&
			echo "INFO recorded fixtures/pcap/chromium_janus.pcapng"
	fi
else
	bad "no capture of the Chromium call: $(cat "$c/dumpcap.err")"
fi
echo "it_janus: $(elapsed) s"
exit $fail
