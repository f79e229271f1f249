#!/usr/bin/python3
"""sig_server.py PORT DIR PAGE - the headless browser's side of the file
signaling, on 127.0.0.1:PORT (in the browser's namespace):

  GET  /            PAGE (tests/janus/chromium.html)
  POST /offer       body (SDP) -> DIR/offer, atomically (tmp + rename)
  GET  /answer      204 until DIR/answer exists, then its content
  POST /log         one line appended to DIR/page.log (the page's progress)
  POST /result      body (JSON) -> DIR/result.json, atomically

So Janus's driver (janus_driver.py) sees the browser exactly as it sees
natprobe: an offer file in, an answer file out. Bodies are capped at 64 KiB.
"""
import http.server
import os
import sys

PORT, DIR, PAGE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
CAP = 1 << 16


def write_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b"", ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.split("?")[0] == "/":
            with open(PAGE, "rb") as f:
                self.reply(200, f.read(), "text/html")
        elif self.path.startswith("/answer"):
            try:
                with open(os.path.join(DIR, "answer"), "rb") as f:
                    self.reply(200, f.read(), "application/sdp")
            except FileNotFoundError:
                self.reply(204)
        else:
            self.reply(404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n < 0 or n > CAP:
            self.reply(413)
            return
        body = self.rfile.read(n)
        if self.path == "/offer":
            write_atomic(os.path.join(DIR, "offer"), body)
        elif self.path == "/result":
            write_atomic(os.path.join(DIR, "result.json"), body)
        elif self.path == "/log":
            with open(os.path.join(DIR, "page.log"), "ab") as f:
                f.write(body[:1000] + b"\n")
        else:
            self.reply(404)
            return
        self.reply(200)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
