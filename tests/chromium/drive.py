#!/usr/bin/python3
"""tests/chromium/drive.py - one headless Chromium peer for it_chromium.sh.

Runs INSIDE the network namespace Chromium is to use: starts chromedriver
on loopback there, opens tests/chromium/page.html from file:// in headless
Chromium (fake audio/video devices, permission prompts auto-accepted, no
background networking), and moves SDP between the page and files by
natprobe's signaling contract (ICE_CONTRACT.md), so the peer on the other
side can be another drive.py or `natprobe ice`:

  drive.py --role offer  --local OUT --remote IN --out STATS.json [...]
  drive.py --role answer --remote IN --local OUT --out STATS.json [...]

It then polls getStats() until the goal holds ("ice": a succeeded,
nominated candidate pair; "dtls": also DTLS connected; "webrtc": also RTP
and data-channel messages received), touches --done-file, keeps
the call up until --stop-file exists (or the deadline), and writes the
last summary (page.html np.stats(), plus "goal_met", "setup_error",
"sdp_in"/"sdp_out") to --out. Exit 0 when the goal was met, 1 if not,
2 when Chromium could not be driven.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdp_adapt  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Driver:
    def __init__(self, port, logdir):
        self.base = "http://127.0.0.1:%d" % port
        self.sid = None
        log = open(os.path.join(logdir, "chromedriver.log"), "w")
        self.proc = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % port, "--allowed-ips=127.0.0.1",
             "--log-path=" + os.path.join(logdir, "chromedriver.verbose.log")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def call(self, method, path, body=None, timeout=40):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            v = json.loads(e.read() or b"{}").get("value", {})
            raise RuntimeError("webdriver %s %s: %s" % (method, path, v.get("message", e)))

    def wait_up(self, deadline):
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/status", timeout=2).get("ready"):
                    return True
            except Exception:
                pass
            time.sleep(0.05)
        return False

    def session(self, profile, logdir, media):
        args = ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + profile,
                "--use-fake-device-for-media-stream",
                "--allow-file-access-from-files",
                # Nothing but the peer connection may leave the namespace.
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--no-first-run",
                "--disable-extensions", "--disable-domain-reliability",
                "--disable-client-side-phishing-detection", "--no-pings",
                "--disable-features=MediaRouter,OptimizationHints,Translate,"
                "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
                "--metrics-recording-only", "--password-store=basic",
                "--enable-logging=stderr", "--v=0",
                "--log-file=" + os.path.join(logdir, "chromium.log")]
        # The fake UI grants camera/microphone: Chromium then shows host
        # addresses; without it they are hidden behind mDNS names.
        if media:
            args.append("--use-fake-ui-for-media-stream")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}}
        v = self.call("POST", "/session", caps, timeout=60)
        self.sid = v["sessionId"]
        self.call("POST", "/session/%s/timeouts" % self.sid, {"script": 60000})

    def go(self, url):
        self.call("POST", "/session/%s/url" % self.sid, {"url": url})

    def js(self, expr, *args, timeout=65):
        """Awaits np.<expr>(...args) in the page; its value or an exception."""
        script = ("const cb = arguments[arguments.length - 1];"
                  "const a = Array.prototype.slice.call(arguments, 0, -1);"
                  "Promise.resolve().then(() => np.%s(...a))"
                  ".then(v => cb({ok: v}), e => cb({err: String(e)}));" % expr)
        v = self.call("POST", "/session/%s/execute/async" % self.sid,
                      {"script": script, "args": list(args)}, timeout=timeout)
        if v is None or "err" in v:
            raise RuntimeError("np.%s: %s" % (expr, v and v.get("err")))
        return v["ok"]

    def close(self):
        if self.sid:
            try:
                self.call("DELETE", "/session/" + self.sid, timeout=10)
            except Exception:
                pass
            self.sid = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _term(*_):
    raise KeyboardInterrupt()


def goal_met(s, goal):
    p = s.get("pair")
    ice = bool(p and p["state"] == "succeeded" and p["nominated"])
    if goal == "ice":
        return ice
    dtls = ice and (s.get("dtls") or {}).get("state") == "connected"
    if goal == "dtls":
        return dtls
    dc = s.get("datachannel") or {}
    return (dtls
            and any((i.get("packets") or 0) > 0 for i in s["inbound"])
            and (dc.get("messages_received") or 0) > 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=("offer", "answer"), required=True)
    ap.add_argument("--local", required=True)
    ap.add_argument("--remote", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dir", required=True, help="profile and logs go here")
    ap.add_argument("--port", type=int, default=9515)
    ap.add_argument("--goal", choices=("ice", "dtls", "webrtc"), default="webrtc")
    ap.add_argument("--video", action="store_true")
    ap.add_argument("--no-media", action="store_true",
                    help="no getUserMedia: host candidates become mDNS names")
    ap.add_argument("--shim", action="store_true",
                    help="make a plain ICE description (no fingerprint) acceptable")
    ap.add_argument("--done-file")
    ap.add_argument("--stop-file")
    ap.add_argument("--linger", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=40.0)
    o = ap.parse_args()

    start = time.monotonic()
    deadline = start + o.timeout
    os.makedirs(o.dir, exist_ok=True)
    res = {"role": o.role, "goal": o.goal, "goal_met": False, "setup_error": None}
    drv = Driver(o.port, o.dir)
    signal.signal(signal.SIGTERM, _term)
    rc = 1
    try:
        if not drv.wait_up(start + 15):
            raise RuntimeError("chromedriver did not come up on port %d" % o.port)
        drv.session(os.path.join(o.dir, "profile"), o.dir, not o.no_media)
        page = os.path.join(os.path.dirname(os.path.abspath(__file__)), "page.html")
        drv.go("file://" + page)
        res["start"] = drv.js("start", {"video": o.video, "media": not o.no_media})
        res["t_chromium_ready_s"] = round(time.monotonic() - start, 2)
        stopped = lambda: time.monotonic() > deadline  # noqa: E731
        if o.role == "offer":
            offer = drv.js("offer")
            res["sdp_out"] = offer
            sdp_adapt.write_atomic(o.local, sdp_adapt.add_end_of_candidates(offer))
            ans = sdp_adapt.read_when_complete(o.remote, deadline)
            if ans is None:
                raise RuntimeError("no answer in %s before the deadline" % o.remote)
            res["sdp_in"] = ans
            if o.shim and not sdp_adapt.has_fingerprint(ans):
                ans = sdp_adapt.shim_answer(ans, offer)
                res["sdp_in_shimmed"] = ans
            drv.js("accept", ans)
        else:
            off = sdp_adapt.read_when_complete(o.remote, deadline)
            if off is None:
                raise RuntimeError("no offer in %s before the deadline" % o.remote)
            res["sdp_in"] = off
            if o.shim and not sdp_adapt.has_fingerprint(off):
                off = sdp_adapt.shim_offer(off)
                res["sdp_in_shimmed"] = off
            ans = drv.js("answer", off)
            res["sdp_out"] = ans
            sdp_adapt.write_atomic(o.local, sdp_adapt.add_end_of_candidates(ans))
        met_at = stop_seen = best = None
        while True:
            s = drv.js("stats")
            now = time.monotonic()
            # Once the peer is gone Chromium's pair fails or is dropped:
            # keep the last summary with the pair succeeded.
            if goal_met(s, "ice"):
                best = s
            if met_at is None and goal_met(s, o.goal):
                met_at = now
                res["goal_met"] = True
                res["t_goal_s"] = round(now - start, 2)
                if o.done_file:
                    sdp_adapt.write_atomic(o.done_file, "done\n")
            if o.stop_file and stop_seen is None and os.path.exists(o.stop_file):
                stop_seen = now
            if met_at is not None and (not o.stop_file or stop_seen is not None):
                if now - met_at >= o.linger:
                    break
            # The peer is done and the goal was not met: one more second.
            if met_at is None and stop_seen is not None and now - stop_seen >= 1.0:
                break
            if stopped():
                break
            time.sleep(0.2)
        res["stats"] = s
        if best is not None and not goal_met(s, "ice"):
            res["stats"] = best
            res["stats_when"] = "the last with the pair succeeded"
        rc = 0 if res["goal_met"] else 1
    except KeyboardInterrupt:
        res["setup_error"] = "terminated"
        rc = 2
    except Exception as e:  # noqa: BLE001 - everything goes to the report
        res["setup_error"] = str(e)
        rc = 2
        try:
            res["stats"] = drv.js("stats", timeout=10)
        except Exception:
            pass
    finally:
        drv.close()
        sdp_adapt.write_atomic(o.out, json.dumps(res, indent=1) + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
