#!/usr/bin/python3
"""janus_driver.py - drives one EchoTest call through Janus's HTTP API (the
Janus REST transport, plain HTTP), with natprobe's file signaling contract on
the other side (ICE_CONTRACT: the offer file is taken once it exists and ends
with a=end-of-candidates or stops growing for 200 ms; the answer file is
written to ANSWER.tmp.<pid> and renamed).

  janus_driver.py --url http://203.0.113.10:8088/janus --offer OFFER
                  --answer ANSWER [--summary FILE] [--timeout S] [--hold S]
                  [--body JSON] [--placeholder-fingerprint]
                  [--admin http://203.0.113.10:7088/admin [--admin-secret S]]

Steps: create a session, attach janus.plugin.echotest, send the "message"
request with the offer as jsep, long-poll the session for the answer jsep,
write it, tell Janus the offerer's candidates are complete (trickle
"completed", as janus.js does), then keep long-polling for "webrtcup" (Janus
sends it once DTLS is up), "media" (receiving audio/video: yes/no),
"slowlink" and "hangup" until --hold seconds after webrtcup, or --timeout.
Then hangup, detach, destroy. The summary (JSON, --summary or stdout) has
the times in ms from the driver's start, every event seen, Janus's
answer's media description and, with --admin, "janus_view": Janus's own
handle_info (ICE state and selected pair, DTLS state, role and SRTP
profile, packets in/out per media type), polled every 0.25 s. SIGTERM
ends the call cleanly (hangup, detach, destroy, summary written).

--placeholder-fingerprint: Janus refuses an offer without a=fingerprint
(error 465 "Error processing SDP"); for an ICE-only offerer, the driver adds a
fixed one (and a=setup:actpass) so Janus answers and ICE runs. DTLS then
cannot complete (nobody holds that certificate), and the summary says the
offer was patched.

Exit: 0 when Janus answered (the test decides what else it requires),
1 when Janus refused the offer or never answered, 2 usage/HTTP errors.
"""
import argparse
import json
import os
import random
import signal
import string
import sys
import threading
import time
import urllib.error
import urllib.request

PLACEHOLDER_FP = ("a=fingerprint:sha-256 " +
                  ":".join(["00"] * 31 + ["01"]))
MAX_EVENTS = 1000          # cap on what a (misbehaving) server can make us keep


class Stop(Exception):
    """SIGTERM: the test is done with the call (e.g. the offerer exited)."""


def on_term(signum, frame):
    raise Stop()


def tx():
    return "".join(random.choice(string.ascii_letters) for _ in range(12))


class Janus:
    def __init__(self, url, log):
        self.url = url.rstrip("/")
        self.log = log
        self.session = None
        self.handle = None

    def _req(self, path, body=None, timeout=10.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read(1 << 20).decode())

    def post(self, path, body, timeout=10.0):
        body = dict(body)
        body.setdefault("transaction", tx())
        r = self._req(path, body, timeout)
        self.log("POST %s %s -> %s" % (path, body.get("janus"), r.get("janus")))
        return r

    def create(self):
        r = self.post("", {"janus": "create"})
        if r.get("janus") != "success":
            raise RuntimeError("create: %s" % r)
        self.session = r["data"]["id"]

    def attach(self, plugin):
        r = self.post("/%d" % self.session, {"janus": "attach", "plugin": plugin})
        if r.get("janus") != "success":
            raise RuntimeError("attach: %s" % r)
        self.handle = r["data"]["id"]

    def hpath(self):
        return "/%d/%d" % (self.session, self.handle)

    def poll(self, wait_s):
        """One long poll: a list of events (maybe only a keepalive)."""
        try:
            r = self._req("/%d?rid=%d&maxev=20" % (self.session, int(time.time() * 1000)),
                          None, timeout=max(1.0, wait_s) + 35.0)
        except (urllib.error.URLError, OSError) as e:
            self.log("poll: %s" % e)
            time.sleep(0.1)
            return []
        return r if isinstance(r, list) else [r]


class AdminPoller(threading.Thread):
    """Asks the Admin API for handle_info every 0.25 s: Janus's own view of
    ICE (state, selected pair), DTLS (state, role) and packet counts. Keeps
    the last snapshot and the first time ICE and DTLS were up."""

    def __init__(self, url, secret, session, handle, t0):
        super().__init__(daemon=True)
        self.url = "%s/%d/%d" % (url.rstrip("/"), session, handle)
        self.secret, self.t0 = secret, t0
        self.stop = threading.Event()
        self.last, self.ice_up_ms, self.dtls_up_ms, self.errors = None, None, None, 0

    def snap(self):
        body = json.dumps({"janus": "handle_info", "transaction": tx(),
                           "admin_secret": self.secret}).encode()
        req = urllib.request.Request(self.url, data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=3) as r:
            j = json.loads(r.read(1 << 20).decode())
        info = j.get("info") or {}
        w = info.get("webrtc") or {}          # Janus 1.x layout
        ice, dtls = w.get("ice") or {}, w.get("dtls") or {}
        out = {"ms": round((time.monotonic() - self.t0) * 1000.0, 1)}
        out["ice_state"] = ice.get("state")
        out["selected_pair"] = ice.get("selected-pair")
        out["dtls_state"] = dtls.get("dtls-state")
        out["dtls_role"] = dtls.get("dtls-role")
        out["srtp_profile"] = dtls.get("srtp-profile")
        out["dtls_retransmissions"] = dtls.get("retransmissions")
        out["sctp"] = dtls.get("sctp-association")
        # packets per media type ("audio", "video", "data"), both ways
        out["in"], out["out"] = {}, {}
        for m in (w.get("media") or {}).values():
            t, st = m.get("type", "?"), m.get("stats") or {}
            for d in ("in", "out"):
                n = (st.get(d) or {}).get("packets") or 0
                out[d][t] = out[d].get(t, 0) + n
        out["flags"] = sorted(k for k, v in (info.get("flags") or {}).items() if v is True)
        return out

    def run(self):
        while not self.stop.is_set():
            try:
                s = self.snap()
            except (urllib.error.URLError, OSError, ValueError):
                self.errors += 1
                s = None
            if s is not None and s.get("ice_state") is not None:
                self.last = s
                if self.ice_up_ms is None and s["ice_state"] in ("connected", "ready"):
                    self.ice_up_ms = s["ms"]
                if self.dtls_up_ms is None and s["dtls_state"] == "connected":
                    self.dtls_up_ms = s["ms"]
            self.stop.wait(0.25)


def read_offer(path, deadline):
    """The contract's reader: exists and ends with a=end-of-candidates, or
    its size has not changed for 200 ms."""
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as f:
                b = f.read(1 << 16)
        except FileNotFoundError:
            time.sleep(0.02)
            continue
        lines = [l.strip() for l in b.decode("utf-8", "replace").splitlines() if l.strip()]
        if lines and lines[-1] == "a=end-of-candidates":
            return b.decode("utf-8", "replace")
        if len(b) != last:
            last, since = len(b), time.monotonic()
        elif len(b) > 0 and time.monotonic() - since >= 0.2:
            return b.decode("utf-8", "replace")
        time.sleep(0.02)
    return None


def patch_fingerprint(sdp):
    """Adds a placeholder fingerprint and setup:actpass at session level when
    there is no a=fingerprint anywhere. Returns (sdp, patched)."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    if any(l.startswith("a=fingerprint:") for l in lines):
        return sdp, False
    out, done = [], False
    for l in lines:
        if l.startswith("m=") and not done:
            out += [PLACEHOLDER_FP]
            if not any(x.startswith("a=setup:") for x in lines):
                out += ["a=setup:actpass"]
            done = True
        out.append(l)
    return "\n".join(out), True


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def media_summary(sdp):
    """m-lines of an SDP: kind, port, protocol, formats and key attributes."""
    ms, cur = [], None
    for l in sdp.replace("\r\n", "\n").split("\n"):
        if l.startswith("m="):
            p = l[2:].split()
            cur = {"kind": p[0], "port": int(p[1]), "proto": p[2], "fmts": p[3:],
                   "attrs": []}
            ms.append(cur)
        elif cur is not None and l.startswith("a=") and not l.startswith("a=candidate"):
            if l.split(":")[0] in ("a=setup", "a=mid", "a=rtcp-mux", "a=rtpmap",
                                   "a=sctp-port", "a=sendrecv", "a=recvonly",
                                   "a=sendonly", "a=inactive", "a=fingerprint",
                                   "a=max-message-size"):
                cur["attrs"].append(l)
    return ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--offer", required=True)
    ap.add_argument("--answer", required=True)
    ap.add_argument("--summary", default="-")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--hold", type=float, default=3.0,
                    help="seconds to stay after webrtcup (media flows)")
    ap.add_argument("--body", default='{"audio":true,"video":false,"data":true}')
    ap.add_argument("--placeholder-fingerprint", action="store_true")
    ap.add_argument("--admin", help="Admin API URL (http://HOST:7088/admin)")
    ap.add_argument("--admin-secret", default="natprobe-it")
    ap.add_argument("--verbose", "-v", action="store_true")
    a = ap.parse_args()
    t0 = time.monotonic()
    deadline = t0 + a.timeout

    def ms():
        return round((time.monotonic() - t0) * 1000.0, 1)

    def log(m):
        if a.verbose:
            print("janus_driver %8.1f ms: %s" % (ms(), m), file=sys.stderr, flush=True)

    s = {"ok": False, "patched_fingerprint": False, "events": [], "media": [],
         "answer_ms": None, "webrtcup_ms": None, "hangup": None, "error": None}
    j = Janus(a.url, log)
    adm = None
    rc = 1
    answered = False
    signal.signal(signal.SIGTERM, on_term)
    try:
        offer = read_offer(a.offer, deadline)
        if offer is None:
            raise RuntimeError("no offer in %s within %.1f s" % (a.offer, a.timeout))
        s["offer_ms"] = ms()
        if a.placeholder_fingerprint:
            offer, s["patched_fingerprint"] = patch_fingerprint(offer)
        offer = offer.replace("\r\n", "\n").strip("\n").replace("\n", "\r\n") + "\r\n"
        s["offer_media"] = media_summary(offer)
        j.create()
        j.attach("janus.plugin.echotest")
        s["session"], s["handle"] = j.session, j.handle
        if a.admin:
            adm = AdminPoller(a.admin, a.admin_secret, j.session, j.handle, t0)
            adm.start()
        t_sent = ms()
        r = j.post(j.hpath(), {"janus": "message", "body": json.loads(a.body),
                               "jsep": {"type": "offer", "sdp": offer}})
        if r.get("janus") == "error":
            raise RuntimeError("message refused: %s" % r.get("error"))
        s["message_ms"] = t_sent
        answered, up_at, ended = False, None, False
        while time.monotonic() < deadline and not ended:
            if up_at is not None and time.monotonic() - up_at >= a.hold:
                break
            for ev in j.poll(deadline - time.monotonic()):
                kind = ev.get("janus")
                if kind == "keepalive":
                    continue
                if len(s["events"]) < MAX_EVENTS:
                    e = {"ms": ms(), "janus": kind}
                    for k in ("type", "receiving", "mid", "uplink", "lost",
                              "reason", "media"):
                        if k in ev:
                            e[k] = ev[k]
                    pd = ev.get("plugindata", {}).get("data")
                    if pd is not None:
                        e["plugindata"] = pd
                    if "jsep" in ev:
                        e["jsep"] = ev["jsep"].get("type")
                    s["events"].append(e)
                log("event %s" % json.dumps(ev)[:300])
                pd = ev.get("plugindata", {}).get("data", {})
                if kind == "event" and pd.get("error"):
                    raise RuntimeError("echotest error %s: %s" %
                                       (pd.get("error_code"), pd.get("error")))
                if kind == "event" and pd.get("result") == "done":
                    ended = True    # EchoTest: the PeerConnection is gone
                if kind == "event" and ev.get("jsep", {}).get("type") == "answer" and not answered:
                    ans = ev["jsep"]["sdp"]
                    write_atomic(a.answer, ans)
                    answered = True
                    s["answer_ms"] = ms()
                    s["answer_media"] = media_summary(ans)
                    s["answer_candidates"] = [l.strip() for l in ans.splitlines()
                                              if l.startswith("a=candidate")]
                    j.post(j.hpath(), {"janus": "trickle",
                                       "candidate": {"completed": True}})
                elif kind == "webrtcup" and s["webrtcup_ms"] is None:
                    s["webrtcup_ms"] = ms()
                    up_at = time.monotonic()
                elif kind == "media" and len(s["media"]) < MAX_EVENTS:
                    s["media"].append({"ms": ms(), "type": ev.get("type"),
                                       "mid": ev.get("mid"),
                                       "receiving": ev.get("receiving")})
                elif kind in ("hangup", "detached"):
                    s["hangup"] = ev.get("reason", kind)
                    ended = True
        s["ok"] = answered
        rc = 0 if answered else 1
        if not answered:
            s["error"] = "Janus sent no answer within %.1f s" % a.timeout
    except urllib.error.HTTPError as e:
        s["error"] = "HTTP %d from %s" % (e.code, e.url)
        rc = 2
    except (urllib.error.URLError, OSError) as e:
        s["error"] = "Janus API at %s: %s" % (a.url, e)
        rc = 2
    except RuntimeError as e:
        s["error"] = str(e)
        rc = 1
    except Stop:
        s["stopped"] = "SIGTERM"
        s["ok"] = answered
        rc = 0 if answered else 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if adm is not None:
            adm.stop.set()
            adm.join(5)
            try:        # one last look before the hangup
                last = adm.snap()
                if last.get("ice_state") is not None:
                    adm.last = last
            except (urllib.error.URLError, OSError, ValueError):
                pass
            s["janus_view"] = {"last": adm.last, "ice_up_ms": adm.ice_up_ms,
                               "dtls_up_ms": adm.dtls_up_ms, "errors": adm.errors}
        for body in ({"janus": "hangup"}, {"janus": "detach"}):
            if j.handle is not None:
                try:
                    j.post(j.hpath(), body, timeout=3)
                except (urllib.error.URLError, OSError):
                    pass
        if j.session is not None:
            try:
                r = j.post("/%d" % j.session, {"janus": "destroy"}, timeout=3)
                s["destroyed"] = r.get("janus") == "success"
            except (urllib.error.URLError, OSError):
                s["destroyed"] = False
        s["total_ms"] = ms()
    out = json.dumps(s, indent=1)
    if a.summary == "-":
        print(out)
    else:
        write_atomic(a.summary, out + "\n")
    if s["error"]:
        print("janus_driver: %s" % s["error"], file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
