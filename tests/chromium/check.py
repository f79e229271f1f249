#!/usr/bin/python3
"""tests/chromium/check.py - the assertions of tests/it_chromium.sh, on
drive.py summaries (page.html np.stats()) and natprobe's JSON report.

  check.py err SUMMARY             drive.py's setup error, if any
  check.py cc A.json B.json        Chromium <-> Chromium: everything flows
  check.py np CR.json NP.json GOAL [NP.events]
                                   natprobe <-> Chromium (GOAL ice|dtls|webrtc)
  check.py ours REPORT.json        analyze counts, as tests/it_analyze.sh
  check.py tshark FILE              the same counts by tshark (one pass)
  check.py callseen "k=v ..."      STUN, DTLS, RTP and RTCP all counted
  check.py bench cr SUMMARY        one line for tests/bench_dtls.sh: ICE
                                   connected->DTLS connected ms, DTLS role
  check.py bench np NP.json NP.events
                                   natprobe selected->DTLS connected ms,
                                   dtls.handshake_ms, dtls.role, selected->
                                   session "dtls->connected" ms ("-" if none)
Prints what it found; exit 0 when every assertion holds, 1 if not.
"""
import json
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"setup_error": "%s: %s" % (path, e)}


def fail(msgs, text):
    msgs.append(text)
    print("     FAIL: " + text)


def cand_form(sdp):
    """How host candidates were written: addresses or mDNS names."""
    hosts = [l.split()[4] for l in (sdp or "").splitlines()
             if l.startswith("a=candidate:") and " typ host" in l]
    mdns = sum(1 for h in hosts if h.endswith(".local"))
    return "%d host candidates, %d as mDNS .local names" % (len(hosts), mdns)


def delta(t, a, b):
    if t.get(a) is None or t.get(b) is None:
        return None
    return round(t[b] - t[a], 1)


def timeline(name, s):
    t = s.get("times_ms") or {}
    ice = t.get("icetransport_connected", t.get("ice_connected"))
    d = (s.get("dtls") or {})
    print("     %s: setRemoteDescription->ICE connected %s ms, ->DTLS connected %s ms,"
          " ICE connected->DTLS connected %s ms, ->data channel open %s ms;"
          " DTLS %s %s, %s, %s" % (
              name, ice, t.get("dtls_connected"),
              None if ice is None or t.get("dtls_connected") is None
              else round(t["dtls_connected"] - ice, 1),
              t.get("dc_open"), d.get("role"), d.get("tls_version"),
              d.get("cipher"), d.get("srtp_cipher")))


def pair_ok(msgs, name, s):
    p = s.get("pair")
    if not p or p.get("state") != "succeeded" or not p.get("nominated"):
        fail(msgs, "%s: no succeeded, nominated candidate pair (ICE %s; pairs %s)" % (
            name, s.get("ice"), [(x["state"], x["nominated"]) for x in s.get("pairs", [])]))
        return None
    print("     %s: pair %s %s:%s -> %s %s:%s (%s), rtt %s ms" % (
        name, p["local"]["type"], p["local"]["address"], p["local"]["port"],
        p["remote"]["type"], p["remote"]["address"], p["remote"]["port"],
        p["local"]["protocol"], p.get("rtt_ms")))
    return p


def webrtc_ok(msgs, name, s, ssrcs=None, media=True):
    d = s.get("dtls") or {}
    if d.get("state") != "connected":
        fail(msgs, "%s: DTLS %s, not connected" % (name, d.get("state")))
    inb = s.get("inbound") or []
    if ssrcs:
        inb = [i for i in inb if i.get("ssrc") in ssrcs]
    pk = sum(i.get("packets") or 0 for i in inb)
    if pk <= 0 and media:
        fail(msgs, "%s: no RTP received%s (inbound-rtp %s)" % (
            name, " from SSRC %s" % sorted(ssrcs) if ssrcs else "", s.get("inbound")))
    dc = s.get("datachannel") or {}
    # The page's own count too: Chromium drops a closed channel's stats.
    got = max(dc.get("messages_received") or 0, s["page"]["received"])
    if got <= 0:
        fail(msgs, "%s: no data-channel message received (%s)" % (name, dc))
    print("     %s: RTP received %d packets (%s), data channel %s sent %s received %s; page sent %s, echoed %s, got %s echoes" % (
        name, pk, ",".join("%s ssrc %s" % (i["kind"], i["ssrc"]) for i in inb),
        dc.get("state"), dc.get("messages_sent"), dc.get("messages_received"),
        s["page"]["sent"], s["page"]["echoed"], s["page"]["echoes"]))
    return s["page"]["echoes"]


def same_pair(msgs, what, a_local, a_remote, b_local, b_remote):
    key = lambda c: (c.get("address"), c.get("port"))  # noqa: E731

    def same(x, y):
        # Chromium's stats hide its own address ("") behind mDNS.
        return x.get("port") == y.get("port") and (
            x.get("address") == y.get("address") or not x.get("address"))
    if not same(a_local, b_remote) or not same(a_remote, b_local):
        fail(msgs, "%s: the two sides name different pairs: %s/%s vs %s/%s" % (
            what, key(a_local), key(a_remote), key(b_local), key(b_remote)))


def cmd_cc(a_path, b_path):
    msgs = []
    a, b = load(a_path), load(b_path)
    for name, s in (("A (offer)", a), ("B (answer)", b)):
        if s.get("setup_error"):
            fail(msgs, "%s: %s" % (name, s["setup_error"]))
        print("     %s sent %s" % (name, cand_form(s.get("sdp_out"))))
    sa, sb = a.get("stats") or {}, b.get("stats") or {}
    pa, pb = pair_ok(msgs, "A", sa), pair_ok(msgs, "B", sb)
    if pa and pb:
        same_pair(msgs, "A/B", pa["local"], pa["remote"], pb["local"], pb["remote"])
    ea = webrtc_ok(msgs, "A", sa)
    eb = webrtc_ok(msgs, "B", sb)
    if not ea or not eb:
        fail(msgs, "echoes missing: A got %s, B got %s" % (ea, eb))
    timeline("A (offer)", sa)
    timeline("B (answer)", sb)
    return 1 if msgs else 0


def np_selected(j):
    ice = j.get("ice") or {}
    return ice.get("state"), ice.get("selected")


def ssrcs_in(sdp):
    return {int(m) for m in re.findall(r"^a=ssrc:(\d+)", sdp or "", re.M)}


def np_dtls_after_selected(npj, events):
    """ms from natprobe's selected pair to its DTLS connected, from the
    events file (same clock as ice.times_ms); None if either is missing."""
    sel = ((npj.get("ice") or {}).get("times_ms") or {}).get("selected")
    try:
        with open(events) as f:
            for line in f:
                e = json.loads(line)
                if e.get("kind") == "tls" and e.get("test") == "dtls" and \
                   "connected" in e.get("text", "") and sel is not None:
                    return round(e["t_us"] / 1000.0 - sel, 1)
    except (OSError, ValueError, TypeError):
        pass
    return None


def np_event_after_selected(npj, events, test, text):
    """ms from ice.times_ms.selected to the first event TEST whose text
    is TEXT; None if either is missing."""
    sel = ((npj.get("ice") or {}).get("times_ms") or {}).get("selected")
    try:
        with open(events) as f:
            for line in f:
                e = json.loads(line)
                if e.get("test") == test and e.get("text") == text and sel is not None:
                    return round(e["t_us"] / 1000.0 - sel, 1)
    except (OSError, ValueError, TypeError):
        pass
    return None


def cmd_np(cr_path, np_path, goal, events=None):
    msgs = []
    cr, npj = load(cr_path), load(np_path)
    if cr.get("setup_error"):
        fail(msgs, "Chromium: %s" % cr["setup_error"])
    print("     Chromium sent %s" % cand_form(cr.get("sdp_out")))
    if cr.get("sdp_in_shimmed"):
        print("     (natprobe's description went through the ICE-only shim)")
    s = cr.get("stats") or {}
    p = pair_ok(msgs, "Chromium", s)
    state, sel = np_selected(npj)
    if npj.get("setup_error"):
        fail(msgs, "natprobe report: %s" % npj["setup_error"])
    elif not sel:
        fail(msgs, "natprobe: ice.state %s, no ice.selected" % state)
    else:
        print("     natprobe: ice.state %s, selected %s %s:%s -> %s %s:%s, rtt %s ms" % (
            state, sel["local"].get("type"), sel["local"].get("address"),
            sel["local"].get("port"), sel["remote"].get("type"),
            sel["remote"].get("address"), sel["remote"].get("port"), sel.get("rtt_ms")))
        if state != "completed":
            fail(msgs, "natprobe: ice.state %s" % state)
        if p:
            same_pair(msgs, "Chromium/natprobe", p["local"], p["remote"],
                      sel["local"], sel["remote"])
    # The DTLS states are shown at every level, asserted from "dtls" on.
    d = npj.get("dtls") or {}
    cd = s.get("dtls") or {}
    print("     DTLS: Chromium %s (%s, %s, %s), natprobe %s (%s, %s, %s, %s; Chromium offered %s), natprobe handshake %s ms" % (
        cd.get("state"), cd.get("role"), cd.get("tls_version"), cd.get("srtp_cipher"),
        d.get("state"), d.get("role"), d.get("version"), d.get("cipher"),
        d.get("srtp_profile"), d.get("peer_offered"), d.get("handshake_ms")))
    timeline("Chromium", s)
    if events:
        print("     natprobe: selected pair->DTLS connected %s ms" % np_dtls_after_selected(npj, events))
    if goal in ("dtls", "webrtc"):
        if cd.get("state") != "connected":
            fail(msgs, "Chromium: DTLS %s, not connected" % cd.get("state"))
        if d.get("state") != "connected":
            fail(msgs, "natprobe: dtls.state %s, not connected" % d.get("state"))
    if goal == "webrtc":
        # natprobe's a=ssrc lines name its stream; Chromium counts only
        # what it decrypted.
        # Media only when the session has an audio/video m-line (the
        # mDNS case offers a data channel alone).
        sdps = (cr.get("sdp_in") or "") + (cr.get("sdp_out") or "")
        media = "m=audio" in sdps or "m=video" in sdps
        webrtc_ok(msgs, "Chromium", s, ssrcs_in(cr.get("sdp_in")), media)
        m = npj.get("media") or {}
        rx = m.get("srtp_authenticated") or 0
        if media and (rx <= 0 or (m.get("srtp_failed") or 0) > 0):
            fail(msgs, "natprobe: media.srtp_authenticated %s, srtp_failed %s (Chromium's SRTP not authenticated?)"
                 % (rx, m.get("srtp_failed")))
        # natprobe's probe is echoed by the page (RTT measured), and what
        # the page sends is counted ("messages_received": a guess).
        dc = npj.get("datachannel") or {}
        if dc.get("state") != "open":
            fail(msgs, "natprobe: datachannel.state %s, not open" % dc.get("state"))
        # The offerer probes the data channel (the page echoes it); the
        # answerer echoes the page's messages and counts them.
        if (npj.get("ice") or {}).get("role") == "controlling" and (dc.get("probe_echoed") or 0) <= 0:
            fail(msgs, "natprobe: datachannel.probe_echoed %s (probe_sent %s)" % (
                dc.get("probe_echoed"), dc.get("probe_sent")))
        if (dc.get("messages_received") or 0) <= 0:
            fail(msgs, "natprobe: datachannel.messages_received %s" % dc.get("messages_received"))
        print("     natprobe: media %s" % json.dumps(npj.get("media")))
        print("     natprobe: datachannel %s" % json.dumps(dc))
    if ".local " in (cr.get("sdp_out") or "") and sel and sel["remote"].get("type") == "prflx":
        print("     NOTE: Chromium's host candidate was an mDNS name and natprobe's pair has a"
              " prflx remote: the name was not resolved before Chromium's check arrived")
    return 1 if msgs else 0


def cmd_ours(path):
    j = load(path)
    c = j["capture"]["counts"]
    print(" ".join("%s=%d" % (k, v) for k, v in [
        ("packets", j["capture"]["packets"]), ("stun", c["stun"]),
        ("channeldata", c["turn_channeldata"]), ("dtls", c["dtls"] + c["dtls13"]),
        ("rtp", c["rtp"]), ("rtcp", c["rtcp"]), ("truncated", c["truncated"])]))
    return 0


def cmd_tshark(path):
    """tshark's counts in one pass, with the filters analyze_cmp in
    tests/it_chromium.sh describes; a second line gives tshark's own
    dissectors' DTLS and RTCP counts and the ICMP frames, for the record."""
    import subprocess
    out = subprocess.run(
        ["tshark", "-r", path, "--enable-heuristic", "rtp_udp",
         "--enable-heuristic", "rtcp_udp", "-T", "fields", "-E", "separator=|",
         "-e", "frame.protocols", "-e", "frame.cap_len", "-e", "frame.len",
         "-e", "stun.channel", "-e", "udp.payload"],
        capture_output=True, text=True, timeout=60).stdout
    n = dict.fromkeys(("packets", "stun", "channeldata", "dtls", "rtp", "rtcp",
                       "truncated", "own_dtls", "own_rtcp", "icmp"), 0)
    for line in out.splitlines():
        protos, cap, wire, chan, payload = (line.split("|") + [""] * 5)[:5]
        pr = set(protos.split(":"))
        n["packets"] += 1
        n["truncated"] += int(cap) < int(wire)
        n["own_dtls"] += "dtls" in pr
        n["own_rtcp"] += "rtcp" in pr
        if pr & {"icmp", "icmpv6"}:
            n["icmp"] += "icmp" in pr
            continue
        if "stun" in pr:
            n["channeldata" if chan else "stun"] += 1
        n["rtp"] += "rtp" in pr
        if "udp" in pr and len(payload) >= 4:
            b0, b1 = int(payload[0:2], 16), int(payload[2:4], 16)
            n["dtls"] += 20 <= b0 <= 63
            n["rtcp"] += 128 <= b0 <= 191 and 192 <= b1 <= 223
    print(" ".join("%s=%d" % (k, n[k]) for k in (
        "packets", "stun", "channeldata", "dtls", "rtp", "rtcp", "truncated")))
    print("dtls=%d rtcp=%d, icmp=%d" % (n["own_dtls"], n["own_rtcp"], n["icmp"]))
    return 0


def cmd_callseen(counts):
    kv = dict(x.split("=") for x in counts.split())
    return 0 if all(int(kv.get(k, 0)) > 0 for k in ("stun", "dtls", "rtp", "rtcp")) else 1


def cmd_bench(kind, path, events=None):
    """Figures only, space-separated, "-" for a missing one; exit 0."""
    j = load(path)
    if kind == "cr":
        t = (j.get("stats") or {}).get("times_ms") or {}
        ice = t.get("icetransport_connected", t.get("ice_connected"))
        dc = t.get("dtls_connected")
        d = ((j.get("stats") or {}).get("dtls") or {})
        print("%s %s" % ("-" if ice is None or dc is None else round(dc - ice, 1),
                         d.get("role") or "-"))
    else:
        sel = np_dtls_after_selected(j, events) if events else None
        d = j.get("dtls") or {}
        hs = d.get("handshake_ms")
        # The session's "dtls->connected" comes once SCTP and media are
        # started too (probe/webrtc.c on_dtls).
        st = np_event_after_selected(j, events, "webrtc", "dtls->connected") if events else None
        print("%s %s %s %s" % ("-" if sel is None else sel, "-" if hs is None else hs,
                               d.get("role") or "-", "-" if st is None else st))
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "err":
        print(load(argv[2]).get("setup_error"))
        return 0
    if cmd == "cc":
        return cmd_cc(argv[2], argv[3])
    if cmd == "np":
        return cmd_np(argv[2], argv[3], argv[4], argv[5] if len(argv) > 5 else None)
    if cmd == "ours":
        return cmd_ours(argv[2])
    if cmd == "tshark":
        return cmd_tshark(argv[2])
    if cmd == "bench":
        return cmd_bench(argv[2], argv[3], argv[4] if len(argv) > 4 else None)
    if cmd == "callseen":
        return cmd_callseen(argv[2])
    print("usage: see the file's comment", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
