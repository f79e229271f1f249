#!/bin/sh
# Integration test of --format html with its real consumer, a browser:
# pages written by `natprobe report` (a recorded nat log), by a real
# `natprobe stun` run against a natprobe serve on loopback, and by a log
# whose server sends markup in its reason phrase and SOFTWARE, rendered by
# headless Chromium. Checks the rendered DOM (--dump-dom: the timeline SVG
# with its marks, the findings, no element a hostile string smuggled in)
# and the screenshot (a 1200x1600 PNG decoded here with zlib: many colours,
# the timeline's response green and the verdict banner among them).
# Chromium only opens file:// URLs, with no proxy, no background
# networking and no DNS; when unshare(1) can, it runs in an empty network
# namespace, so it cannot reach any network at all.
# IT_HTML_KEEP=DIR keeps the pages and screenshots there, to look at.
set -u
NATPROBE=${NATPROBE:-./natprobe}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "SKIP: it_html needs chromium (make deps installs it)"
	exit 0
fi
NONET=""
if unshare -n true 2>/dev/null; then
	NONET="unshare -n"
else
	echo "note: unshare -n unavailable (not root?); Chromium runs with its network flags only"
fi

# chrome ARGS...: headless Chromium with no network, no profile in $HOME.
chrome() {
	$NONET timeout 60 "$CHROME" --headless=new --no-sandbox --disable-gpu \
		--no-proxy-server --host-resolver-rules="MAP * ~NOTFOUND" \
		--disable-background-networking --disable-component-update \
		--disable-sync --disable-extensions --no-first-run \
		--user-data-dir="$tmp/chrome" --hide-scrollbars "$@" 2>>"$tmp/chrome.log"
}

# page NAME: checks $tmp/NAME.html as written and as Chromium renders it.
page() {
	name=$1 f="$tmp/$1.html"
	if [ ! -s "$f" ]; then
		bad "$name: no page written"; return
	fi
	# Attributes only count inside a tag; escaped text has no raw '<'.
	ext='://|<script|url\(|@import|<link|<img|<[a-zA-Z][^>]* (src|href)='
	if grep -Eq "$ext" "$f"; then
		bad "$name: the page source references something external or a script"
		grep -Eno ".{0,30}($ext).{0,30}" "$f" | head -3
	else
		ok "$name: self-contained source (no URL, script, link or image)"
	fi
	if command -v xmllint >/dev/null 2>&1; then
		if xmllint --noout --nonet "$f" 2>"$tmp/xerr"; then
			ok "$name: well-formed (xmllint)"
		else
			bad "$name: xmllint"; head -5 "$tmp/xerr"
		fi
	fi
	if ! chrome --dump-dom "file://$f" >"$tmp/$name.dom"; then
		bad "$name: chromium --dump-dom failed"; tail -5 "$tmp/chrome.log"; return
	fi
	$PY - "$tmp/$name.dom" "$f" >"$tmp/domchk" 2>&1 <<'PYEOF'
import sys, re
dom = open(sys.argv[1], encoding="utf-8").read()
src = open(sys.argv[2], encoding="utf-8").read()
assert "<svg id=\"timeline-svg\"" in dom, "no timeline SVG in the DOM"
marks = len(re.findall(r'<g class="mark o\d">', dom))
assert marks == len(re.findall(r'<g class="mark o\d">', src)), "marks lost in parsing"
assert marks > 0, "no marks in the timeline"
lanes = len(re.findall(r'<g class="lane">', dom))
assert lanes > 0, "no lanes"
findings = len(re.findall(r'<article class="finding f-(error|warning|info)"', dom))
assert findings == src.count("<article class=\"finding"), "findings lost in parsing"
assert '<section id="figures">' in dom and '<section id="verdict">' in dom
# Nothing executable or fetching made it into the document.
for tag in ("<script", "<img", "<iframe", "<object", "<link", "<a "):
    assert tag not in dom.lower(), tag + " element in the DOM"
assert " onerror=" not in re.sub(r">[^<]*<", "><", dom), "event handler attribute"
print("%d lanes, %d marks, %d findings" % (lanes, marks, findings))
PYEOF
	if [ $? -eq 0 ]; then ok "$name: rendered DOM has $(cat "$tmp/domchk")"
	else bad "$name: rendered DOM"; cat "$tmp/domchk"; fi

	rm -f "$tmp/$name.png"
	chrome --screenshot="$tmp/$name.png" --window-size=1200,1600 "file://$f" >/dev/null
	okmarks=$(grep -c '<g class="mark o1">' "$tmp/$name.dom")
	$PY - "$tmp/$name.png" "$okmarks" >"$tmp/pngchk" 2>&1 <<'PYEOF'
import sys, struct, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert (w, h) == (1200, 1600), "size %dx%d" % (w, h)
assert depth == 8 and ctype in (2, 6) and interlace == 0, "PNG kind %r" % (ihdr,)
bpp = 4 if ctype == 6 else 3
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = {}
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        k = bytes(line[x:x + 3])
        colours[k] = colours.get(k, 0) + 1
    prev = line
top = max(colours.values())
assert len(colours) > 64, "only %d colours: blank?" % len(colours)
assert top < 0.95 * w * h, "one colour covers %d%% of the page" % (100 * top // (w * h))
def px(hexc):
    return colours.get(bytes.fromhex(hexc), 0)
assert px("f6f7f9") > 100000, "page background not drawn"
assert px("ffffff") > 10000, "no white cards"
# Colours only the timeline SVG uses: its phase bands (a full-width row
# each, about 1100x19 px less its text) and the phase span bars.
assert px("e9edf5") >= 8000, "timeline phase bands: %d px" % px("e9edf5")
assert px("8ea2c4") >= 4, "no phase span bar drawn"
# Answered requests are green bars and circles; the legend's green swatch
# alone is 18x4 px.
if int(sys.argv[2]) > 0:
    assert px("2e9d52") > 150, "answered requests not drawn: %d green px" % px("2e9d52")
print("%dx%d, %d colours, %d px of phase bands, %d px of answered-request green"
      % (w, h, len(colours), px("e9edf5"), px("2e9d52")))
PYEOF
	if [ $? -eq 0 ]; then ok "$name: screenshot $(cat "$tmp/pngchk")"
	else bad "$name: screenshot"; cat "$tmp/pngchk"; fi
	if [ -n "${IT_HTML_KEEP:-}" ]; then
		mkdir -p "$IT_HTML_KEEP" && cp "$f" "$tmp/$name.png" "$IT_HTML_KEEP/"
	fi
}

# 1. A recorded nat run, replayed.
"$NATPROBE" report --events "$ROOT/fixtures/obs/nat_symmetric.jsonl" --format html \
	-o "$tmp/nat.html"
page nat
if grep -q 'IPv4: symmetric NAT' "$tmp/nat.dom" &&
   grep -q '<b>Remedy:</b> Provide a TURN server' "$tmp/nat.dom"; then
	ok "nat: the symmetric NAT finding and its remedy are on the page"
else
	bad "nat: finding or remedy missing from the DOM"
fi
for phase in server map filter hairpin size; do
	grep -q "font-weight=\"700\">$phase</text>" "$tmp/nat.dom" ||
		bad "nat: no timeline phase $phase"
done

# An ICE run (natprobe ice, recorded): its phase comes from the labels.
if [ -f "$ROOT/fixtures/obs/ice_turn_401_offer.jsonl" ]; then
	"$NATPROBE" report --events "$ROOT/fixtures/obs/ice_turn_401_offer.jsonl" \
		--format html -o "$tmp/ice.html"
	page ice
	if grep -q 'font-weight="700">ice</text>' "$tmp/ice.dom" &&
	   grep -q '</title>ice.turn.allocate</text>' "$tmp/ice.dom"; then
		ok "ice: an ice phase with its TURN allocation lane"
	else
		bad "ice: no ice phase or ice.turn.allocate lane in the DOM"
	fi
fi

# 2. A hostile server: markup in the reason phrase, SOFTWARE and a label.
$PY - "$ROOT/fixtures/obs/stun_error_response.jsonl" "$tmp/hostile.jsonl" <<'PYEOF'
import json, sys
evil = "<script>document.title='pwned'</script><img src=x onerror=alert(1)> http://evil.example/x.js"
out = open(sys.argv[2], "w")
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "seq" in o:
        o["text"] = evil
        if o.get("kind") == "response":
            o["software"] = evil
    out.write(json.dumps(o) + "\n")
PYEOF
"$NATPROBE" report --events "$tmp/hostile.jsonl" --format html -o "$tmp/hostile.html"
page hostile
if grep -q '&lt;script&gt;document.title' "$tmp/hostile.dom" &&
   ! grep -q 'pwned</title>' "$tmp/hostile.dom"; then
	ok "hostile: the server's markup is shown as text, not run"
else
	bad "hostile: markup from the log was not escaped"
fi

# 3. A real run: natprobe stun against natprobe serve on loopback, one
# leg answered (UDP), one refused (a closed port).
BASE=$((26000 + ($$ % 2000) * 4))
P=$BASE; CLOSED=$((BASE + 3))
"$NATPROBE" serve --listen 127.0.0.1 --port "$P" --no-tls --duration 60 --quiet \
	>"$tmp/serve.log" 2>&1 &
pids="$pids $!"
if ! wait_stun "stun:127.0.0.1:$P"; then
	bad "natprobe serve did not come up"; cat "$tmp/serve.log"
else
	"$NATPROBE" stun -c 3 --timeout 1 --no-dashboard --format html -o "$tmp/live.html" \
		"stun:127.0.0.1:$P" "stun:127.0.0.1:$P?transport=tcp" "stun:127.0.0.1:$CLOSED" \
		2>"$tmp/stun.err"
	page live
	n=$(grep -c '<table id="leg-' "$tmp/live.dom")
	if [ "$n" -ge 3 ]; then ok "live: $n legs in the key figures"
	else bad "live: $n legs in the key figures, expected 3"; fi
	# A timeline lane per leg: the Binding requests take three paths.
	n=$(grep -c '</title>binding <tspan' "$tmp/live.dom")
	if [ "$n" = 3 ]; then ok "live: a timeline lane per leg"
	else bad "live: $n binding lanes in the timeline, expected 3"; fi
fi

[ $fail = 0 ] && echo "it_html: all passed"
exit $fail
