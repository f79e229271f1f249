"""tests/chromium/sdp_adapt.py - SDP helpers for tests/chromium/drive.py.

natprobe's signaling file contract (ICE_CONTRACT: written atomically,
taken once the last non-empty line is a=end-of-candidates or the size has
not changed for 200 ms), and the ICE-only shim: until natprobe speaks
DTLS, its description is plain ICE (one application m-line, no
fingerprint) and Chromium refuses it ("Called with SDP without DTLS
fingerprint", and an answer must mirror every m-line of the offer). The
shim adds a dummy fingerprint, a=setup and a=sctp-port, and rebuilds an
answer with one m-line per offered one, carrying natprobe's ICE
credentials and candidates. DTLS then never completes (nobody holds the
dummy certificate) but ICE does, which is what the ICE-only test checks.
With IT_CHROMIUM_WEBRTC=1 the shim is not used: natprobe's own
description must be one Chromium accepts.
"""
import os
import time

# Any 32 bytes do: Chromium checks the syntax at setRemoteDescription and
# the certificate only in the DTLS handshake, which the shim never reaches.
DUMMY_FP = "sha-256 " + ":".join(["4E"] * 16 + ["50"] * 16)


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def read_when_complete(path, deadline, stop=None):
    """The contract's reader: the file once it exists and ends with
    a=end-of-candidates or has not grown for 200 ms; None at the deadline."""
    last_size, since = -1, 0.0
    while time.monotonic() < deadline:
        if stop and stop():
            return None
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            time.sleep(0.02)
            continue
        lines = [l for l in text.splitlines() if l.strip()]
        if lines and lines[-1].strip() == "a=end-of-candidates":
            return text
        now = time.monotonic()
        if len(text) != last_size:
            last_size, since = len(text), now
        elif text and now - since >= 0.2:
            return text
        time.sleep(0.02)
    return None


def sections(sdp):
    """(session lines, [m-section lines...]) without line ends."""
    sess, media = [], []
    for l in sdp.replace("\r\n", "\n").split("\n"):
        if not l.strip():
            continue
        if l.startswith("m="):
            media.append([l])
        elif media:
            media[-1].append(l)
        else:
            sess.append(l)
    return sess, media


def join(sess, media):
    return "\r\n".join(sess + [l for m in media for l in m]) + "\r\n"


def add_end_of_candidates(sdp):
    """Chromium's complete description has no a=end-of-candidates (RFC
    8840); add one to every m-section with candidates, so natprobe takes
    the file at once instead of after 200 ms of silence."""
    sess, media = sections(sdp)
    for m in media:
        if any(l.startswith("a=candidate:") for l in m) and \
           "a=end-of-candidates" not in m:
            m.append("a=end-of-candidates")
    return join(sess, media)


def has_fingerprint(sdp):
    return "a=fingerprint:" in sdp


def _ice_lines(m):
    keep = ("a=ice-ufrag:", "a=ice-pwd:", "a=ice-options:", "a=candidate:",
            "a=end-of-candidates")
    return [l for l in m if l.startswith(keep)]


def shim_offer(sdp):
    """natprobe's plain ICE offer -> one Chromium accepts."""
    sess, media = sections(sdp)
    for m in media:
        extra = []
        if not any(l.startswith("a=fingerprint:") for l in m):
            extra.append("a=fingerprint:" + DUMMY_FP)
        if not any(l.startswith("a=setup:") for l in m):
            extra.append("a=setup:actpass")
        if m[0].startswith("m=application") and \
           not any(l.startswith("a=sctp-port:") for l in m):
            extra.append("a=sctp-port:5000")
        at = next((i + 1 for i, l in enumerate(m) if l.startswith("a=mid:")), 1)
        m[at:at] = extra
    return join(sess, media)


def shim_answer(answer, offer):
    """natprobe's plain ICE answer -> an answer to Chromium's offer: every
    offered m-line mirrored (BUNDLE on the first), natprobe's credentials
    and candidates, a dummy fingerprint, setup:active, media recvonly."""
    asess, amedia = sections(answer)
    osess, omedia = sections(offer)
    ice = _ice_lines(amedia[0]) if amedia else _ice_lines(asess)
    ice_sess = [l for l in asess if l.startswith(("a=ice-ufrag:", "a=ice-pwd:"))]
    mids = []
    out = []
    for m in omedia:
        kind = m[0].split()[0][2:]
        mid = next((l[6:] for l in m if l.startswith("a=mid:")), str(len(mids)))
        mids.append(mid)
        sec = []
        if kind == "audio":
            sec += ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0",
                    "a=rtpmap:111 opus/48000/2", "a=rtcp-mux", "a=recvonly"]
        elif kind == "video":
            pt = next((l.split()[0][9:] for l in m
                       if l.startswith("a=rtpmap:") and "VP8/90000" in l), "96")
            sec += ["m=video 9 UDP/TLS/RTP/SAVPF " + pt, "c=IN IP4 0.0.0.0",
                    "a=rtpmap:%s VP8/90000" % pt, "a=rtcp-mux", "a=recvonly"]
        elif kind == "application":
            sec += ["m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                    "c=IN IP4 0.0.0.0", "a=sctp-port:5000"]
        else:
            sec += ["m=%s 0 %s" % (kind, " ".join(m[0].split()[2:])),
                    "c=IN IP4 0.0.0.0"]
        sec += ["a=mid:" + mid, "a=fingerprint:" + DUMMY_FP, "a=setup:active"]
        sec += ice_sess + ice if not out else ice_sess + [
            l for l in ice if not l.startswith(("a=candidate:", "a=end-of"))]
        out.append(sec)
    sess = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=group:BUNDLE " + " ".join(mids)]
    return join(sess, out)
