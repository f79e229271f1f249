#!/bin/sh
# Benchmark: natprobe analyze against tshark on the same large capture,
# side by side: elapsed seconds, peak RSS, and the counts both must agree
# on: packets per protocol (with it_analyze.sh's tshark filters and RTP/RTCP
# heuristics), RTP streams and RTP loss.
#
#   sh tests/bench_analyze.sh                      a 1024 MiB capture
#   BENCH_ANALYZE_MB=200 sh tests/bench_analyze.sh a quicker run
#
# The capture is written by tests/gen_capture.c (built here) from the real
# fixtures in fixtures/pcap: each fixture conversation (ICE checks, a TURN
# session with ChannelData, DTLS handshakes, STUN over IPv4 and IPv6)
# replayed again and again on fresh addresses, TURN Send/Data indications,
# and 40 RTP streams (with RTCP on the same 5-tuple) with a known loss
# pattern; the generator prints its ground truth, which both tools must
# also match. Sizes: BENCH_ANALYZE_MB (default 1024), and a second, smaller
# capture of BENCH_ANALYZE_SMALL_MB (default 100; 0 skips it) to show that
# natprobe's peak RSS does not grow with the capture. Both tools read each
# file once before the timed runs (page cache warm for both). natprobe runs
# REPEAT times (default 3, the median is shown), tshark once.
# The captures live in a temporary directory under /tmp, removed at exit.
#
# Exit 1 when a count differs between natprobe, tshark and the generator;
# the speed ratio and memory are printed, not asserted (machines differ).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
NATPROBE=${NATPROBE:-$ROOT/natprobe}
CC=${CC:-cc}
MB=${BENCH_ANALYZE_MB:-1024}
SMALL=${BENCH_ANALYZE_SMALL_MB:-100}
REPEAT=${REPEAT:-3}
TSHARK_ARGS="--enable-heuristic rtp_udp --enable-heuristic rtcp_udp"
IOSTAT='io,stat,0,frame,stun && !stun.channel,stun.channel,dtls,rtp,rtcp'

if [ "$MB" -gt 1024 ] || [ "$SMALL" -gt 1024 ]; then
	# CAP_MAX_FILE (probe/capture_read.h) refuses larger files.
	echo "bench_analyze: natprobe analyze reads captures up to 1024 MiB"; exit 1
fi
for t in tshark /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: bench_analyze needs $t"; exit 0; }
done
[ -x "$NATPROBE" ] || { echo "bench_analyze: no natprobe at $NATPROBE (make first)"; exit 1; }
[ -f "$ROOT/build/libnp.a" ] || { echo "bench_analyze: no build/libnp.a (make first)"; exit 1; }
$CC -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$ROOT/probe" -I"$ROOT/analyzers" \
	-o "$tmp/gen_capture" "$HERE/gen_capture.c" "$ROOT/build/libnp.a" || {
	echo "bench_analyze: cannot build tests/gen_capture.c"; exit 1; }
need=$(( (MB + SMALL) * 11 / 10 ))
avail=$(df -Pm "$tmp" | awk 'NR == 2 { print $4 }')
if [ "${avail:-0}" -lt "$need" ]; then
	echo "bench_analyze: $need MiB needed in $tmp, $avail free"; exit 1
fi

# "key value" lines of /usr/bin/time -v: elapsed seconds, CPU seconds (user +
# system) and max RSS in MiB.
timed() {  # timed OUTFILE cmd...: stdout of cmd to OUTFILE, time to OUTFILE.time
	o=$1; shift
	/usr/bin/time -v "$@" >"$o" 2>"$o.time"
	rc=$?
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0;
			for (i = 1; i <= n; i++) s = s * 60 + a[i]; print "seconds", s }
		/User time \(seconds\)/ { cpu += $2 } /System time \(seconds\)/ { cpu += $2 }
		/Maximum resident set size/ { printf "rss_mb %.1f\n", $2 / 1024 }
		END { printf "cpu %.2f\n", cpu }' "$o.time" >"$o.kv"
	return $rc
}
kv() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

# natprobe's figures from its JSON report, as "key value" lines.
np_counts() {
	$PY - "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
n = c["counts"]
for k, v in [("packets", c["packets"]), ("stun", n["stun"]),
             ("channeldata", n["turn_channeldata"]), ("dtls", n["dtls"] + n["dtls13"]),
             ("rtp", n["rtp"]), ("rtcp", n["rtcp"]), ("streams", len(c["rtp"])),
             ("lost", sum(s["lost"] for s in c["rtp"])), ("dropped", c["dropped"])]:
    print(k, v)
PY
}

# tshark's: the io,stat row (frames per filter) and the rtp,streams table.
ts_counts() {
	$PY - "$1" <<'PY'
import re, sys
row, streams, lost = None, 0, 0
for line in open(sys.argv[1], errors="replace"):
    if "<>" in line and line.startswith("|"):
        row = [c.strip() for c in line.strip().strip("|").split("|")]
    m = re.search(r"\s0x[0-9A-Fa-f]{8}\s+\S+\s+(\d+)\s+(-?\d+)\s+\(", line)
    if m:
        streams += 1
        lost += int(m.group(2))
if row is None:
    sys.exit("no io,stat row in tshark's output")
frames = [int(row[i]) for i in range(1, len(row), 2)]
for k, v in zip(["packets", "stun", "channeldata", "dtls", "rtp", "rtcp"], frames):
    print(k, v)
print("streams", streams)
print("lost", lost)
PY
}

KEYS="packets stun channeldata dtls rtp rtcp streams lost"
printf '%-6s %-9s %8s %7s %9s %9s %8s %8s %8s %9s %6s %7s %6s\n' MiB tool seconds "CPU s" "RSS MiB" \
	packets stun chandata dtls rtp rtcp streams lost
row() {  # row SIZE TOOL KVFILE COUNTSFILE
	printf '%-6s %-9s %8s %7s %9s' "$1" "$2" "$(kv seconds "$3")" "$(kv cpu "$3")" "$(kv rss_mb "$3")"
	for k in $KEYS; do
		case $k in
		packets|rtp) w=9 ;; stun|channeldata|dtls) w=8 ;; streams) w=7 ;; *) w=6 ;;
		esac
		printf " %${w}s" "$(kv "$k" "$4")"
	done
	echo
}

sizes=$MB
[ "$SMALL" -gt 0 ] 2>/dev/null && [ "$SMALL" -ne "$MB" ] && sizes="$SMALL $MB"
summary=""
for size in $sizes; do
	cap=$tmp/bench_$size.pcapng
	"$tmp/gen_capture" "$ROOT/fixtures/pcap" "$cap" "$size" >"$tmp/truth.$size" || {
		bad "gen_capture $size MiB failed"; continue; }
	cat "$cap" >/dev/null   # into the page cache, for both tools
	# natprobe: REPEAT runs, the median by elapsed time.
	: >"$tmp/np.$size.runs"
	i=0
	while [ $i -lt "$REPEAT" ]; do
		timed "$tmp/np.$size.out" "$NATPROBE" analyze --format json -o "$tmp/np.$size.json" "$cap"
		rc=$?
		[ $rc -le 1 ] || { bad "natprobe analyze exit $rc: $(tail -3 "$tmp/np.$size.out.time")"; break; }
		echo "$(kv seconds "$tmp/np.$size.out.kv") $(kv rss_mb "$tmp/np.$size.out.kv") $(kv cpu "$tmp/np.$size.out.kv")" >>"$tmp/np.$size.runs"
		i=$((i + 1))
	done
	[ -s "$tmp/np.$size.json" ] || continue
	sort -n "$tmp/np.$size.runs" | sed -n "$(( (REPEAT + 1) / 2 ))p" |
		awk '{ print "seconds", $1; print "rss_mb", $2; print "cpu", $3 }' >"$tmp/np.$size.kv"
	np_counts "$tmp/np.$size.json" >"$tmp/np.$size.counts"
	# shellcheck disable=SC2086
	timed "$tmp/ts.$size.out" tshark -r "$cap" -q $TSHARK_ARGS -z "$IOSTAT" -z rtp,streams || {
		bad "tshark failed: $(tail -3 "$tmp/ts.$size.out.time")"; continue; }
	ts_counts "$tmp/ts.$size.out" >"$tmp/ts.$size.counts" || { bad "tshark output not understood"; continue; }
	row "$size" tshark "$tmp/ts.$size.out.kv" "$tmp/ts.$size.counts"
	row "$size" natprobe "$tmp/np.$size.kv" "$tmp/np.$size.counts"
	printf '%-6s %-9s %8s %7s %9s' "$size" generator - - -
	printf ' %9s %8s %8s %8s %9s %6s %7s %6s\n' "$(kv packets "$tmp/truth.$size")" - - - \
		"$(kv rtp "$tmp/truth.$size")" "$(kv rtcp "$tmp/truth.$size")" \
		"$(kv streams "$tmp/truth.$size")" "$(kv lost "$tmp/truth.$size")"
	for k in $KEYS; do
		a=$(kv "$k" "$tmp/np.$size.counts") b=$(kv "$k" "$tmp/ts.$size.counts")
		[ "$a" = "$b" ] || bad "$size MiB: $k natprobe $a, tshark $b"
	done
	for k in packets rtp rtcp streams lost; do
		a=$(kv "$k" "$tmp/np.$size.counts") g=$(kv "$k" "$tmp/truth.$size")
		[ "$a" = "$g" ] || bad "$size MiB: $k natprobe $a, generator $g"
	done
	ratio=$(awk -v t="$(kv seconds "$tmp/ts.$size.out.kv")" -v n="$(kv seconds "$tmp/np.$size.kv")" \
		'BEGIN { if (n > 0) printf "%.1f", t / n; else print "inf" }')
	cratio=$(awk -v t="$(kv cpu "$tmp/ts.$size.out.kv")" -v n="$(kv cpu "$tmp/np.$size.kv")" \
		'BEGIN { if (n > 0) printf "%.1f", t / n; else print "inf" }')
	summary="$summary$size MiB ($(kv bytes "$tmp/truth.$size") bytes): natprobe ${ratio}x tshark's speed (elapsed; ${cratio}x in CPU time); peak RSS natprobe $(kv rss_mb "$tmp/np.$size.kv") MiB, tshark $(kv rss_mb "$tmp/ts.$size.out.kv") MiB; natprobe entries beyond its caps (flows 256, STUN transactions 4096, ICE pairs 64, RTP streams 64): $(kv dropped "$tmp/np.$size.counts")
"
	rm -f "$cap"
done
printf '%s' "$summary"
[ $fail -eq 0 ] && echo "counts: natprobe, tshark and the generator agree" ||
	echo "counts DIFFER (see FAIL lines)"
exit $fail
