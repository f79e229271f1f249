#!/bin/sh
# bench_dtls.sh - time from the selected pair to DTLS connected (issue #7
# item 8): Chromium <-> Chromium vs natprobe, on the same path: two network
# namespaces joined by a veth pair, set up as tests/it_chromium.sh does
# (198.18.50.1/24 in ${BD_PREFIX}a, .2 in ${BD_PREFIX}b, an nftables guard
# rejecting everything outside the veth subnet), Chromium driven by
# tests/chromium/drive.py (headless, chromedriver), SDP through files.
#
#   sh tests/bench_dtls.sh     BENCH_DTLS_RUNS=N (default 5, at most 20),
#                              BENCH_DTLS_BUDGET=S (default 300: a round
#                              starts only with 60 s of it left),
#                              BD_PREFIX (default "bd-"), BD_KEEP=DIR (keep
#                              SDPs, summaries, reports, events there),
#                              BD_CAPTURE=1 (dumpcap on B's veth, each
#                              natprobe<->Chromium case, into BD_KEEP)
#
# One round = four pairings, each in fresh processes:
#  cc      Chromium offers (A), Chromium answers (B). Chromium has no
#          "selected pair" time; its figure is ICE connected -> DTLS
#          connected (page.html's times_ms, one performance.now() clock).
#          The offerer's is the baseline (as it_chromium.sh says): the
#          answerer (DTLS client) is ICE connected by its own checks before
#          the offerer has read the answer file, so its figure includes
#          signaling latency; it is shown, not compared.
#  np-off  natprobe offers (B), Chromium answers (A): Chromium is DTLS
#          client (a=setup:active), natprobe the server.
#  np-ans  Chromium offers (A), natprobe answers (B): natprobe is client.
#  np-np   natprobe offers (A), natprobe answers (B).
# natprobe's figure: from ice.times_ms.selected in its JSON report to the
# "dtls" tls event saying "connected" in its --events log (same clock,
# tests/chromium/check.py np_dtls_after_selected); its dtls.handshake_ms
# is shown next to it, and the time to its session's "dtls->connected"
# (probe/webrtc.c: after SCTP and the media probe are started). Figures come from the summaries and reports, none
# from printed text. The table: median, min and max over the rounds that
# produced the figure, and the ratio cc offerer median / row median (> 1:
# natprobe faster). Needs root, ip netns, nft, chromium, chromedriver.
# About 25-40 s a round on a loaded 2-core machine (Chromium's start).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
NATPROBE=${NATPROBE:-$ROOT/natprobe}
NATPROBE=$(cd "$(dirname "$NATPROBE")" && pwd)/$(basename "$NATPROBE")
CR=$HERE/chromium
J="$PY $CR/check.py"
RUNS=${BENCH_DTLS_RUNS:-5}
case $RUNS in '' | *[!0-9]*) RUNS=5 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || RUNS=5
BUDGET=${BENCH_DTLS_BUDGET:-300}
case $BUDGET in '' | *[!0-9]*) BUDGET=300 ;; esac

if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "SKIP: bench_dtls needs root and network namespaces (ip netns)"; exit 0
fi
for c in /usr/lib/chromium/chromium /usr/bin/chromedriver; do
	[ -x "$c" ] || { echo "SKIP: bench_dtls needs $c (Debian chromium, chromium-driver)"; exit 0; }
done
command -v nft >/dev/null 2>&1 || { echo "SKIP: bench_dtls needs nft (nftables)"; exit 0; }
[ -x "$NATPROBE" ] || { echo "FAIL no natprobe at $NATPROBE"; exit 1; }

P=${BD_PREFIX:-bd-}
A=${P}a B=${P}b VA=${P}va VB=${P}vb
IPA=198.18.50.1 IPB=198.18.50.2
tmp=$(mktemp -d)
pids=""

. "$HERE/chromium/netns.sh"
finish() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	ns_down
	[ -n "${BD_KEEP:-}" ] && rm -rf "$BD_KEEP" && cp -r "$tmp" "$BD_KEEP"
	rm -rf "$tmp"
}
trap finish EXIT
trap 'exit 130' INT TERM

ns_up || { echo "FAIL cannot set up namespaces $A/$B"; exit 1; }

# drive NS ROLE DIR NAME [drive.py options]: one Chromium in the
# background, goal DTLS connected; its PID in $dpid.
drive() {
	_ns=$1 _role=$2 _d=$3 _name=$4; shift 4
	ip netns exec "$_ns" $PY "$CR/drive.py" --role "$_role" --dir "$_d/$_name" \
		--out "$_d/$_name.json" --goal dtls --timeout 30 "$@" >"$_d/$_name.out" 2>&1 &
	dpid=$!; pids="$pids $dpid"
}

# npice NS ROLE DIR NAME REMOTE: natprobe ice, DTLS and 1 s held.
npice() {
	ip netns exec "$1" timeout 25 "$NATPROBE" ice --"$2" --local "$3/$4.sdp" \
		--remote "$3/$5.sdp" --timeout 20 --hold 1 --format json \
		-o "$3/$4.json" --events "$3/$4.events" >"$3/$4.out" 2>&1
}

# rec PAIRING ROLE VALUE [HANDSHAKE [SESSION]]: one round's figures.
rec() { echo "$1|$2|$3|${4:--}|${5:--}" >>"$tmp/figs"; }

cc() {
	d=$1
	drive $A offer "$d" cc_a --local "$d/cc_offer.sdp" --remote "$d/cc_answer.sdp" \
		--done-file "$d/cc_a.done" --stop-file "$d/cc_b.done" --linger 0.5
	pa=$dpid
	drive $B answer "$d" cc_b --local "$d/cc_answer.sdp" --remote "$d/cc_offer.sdp" \
		--done-file "$d/cc_b.done" --stop-file "$d/cc_a.done" --linger 0.5
	pb=$dpid
	wait $pa; wait $pb
	set -- $($J bench cr "$d/cc_a.json"); rec cc "offerer, DTLS ${2}" "$1"
	set -- $($J bench cr "$d/cc_b.json"); rec cc "answerer, DTLS ${2}" "$1"
}

# np_cr DIR NAME ROLE_OF_NATPROBE: Chromium in A, natprobe in B.
np_cr() {
	d=$1 name=$2 nrole=$3
	if [ "$nrole" = offer ]; then crole=answer; else crole=offer; fi
	drive $A $crole "$d" ${name}_cr --local "$d/${name}_cr.sdp" --remote "$d/${name}_np.sdp" \
		--stop-file "$d/${name}_np.exited"
	pc=$dpid cap_pid=
	if [ "${BD_CAPTURE:-0}" = 1 ] && command -v dumpcap >/dev/null 2>&1; then
		ip netns exec $B dumpcap -q -i $VB -w "$d/$name.pcapng" >/dev/null 2>&1 &
		cap_pid=$!; pids="$pids $cap_pid"
	fi
	npice $B $nrole "$d" ${name}_np ${name}_cr
	rn=$?
	[ -n "$cap_pid" ] && { kill -INT $cap_pid; wait $cap_pid; }
	touch "$d/${name}_np.exited"
	wait $pc
	[ $rn = 0 ] || echo "     NOTE $name: natprobe exit $rn: $(tail -1 "$d/${name}_np.out")"
	set -- $($J bench np "$d/${name}_np.json" "$d/${name}_np.events")
	rec "natprobe<->Chromium ($nrole)" "natprobe DTLS $3" "$1" "$2" "$4"
	set -- $($J bench cr "$d/${name}_cr.json")
	rec "natprobe<->Chromium ($nrole)" "(Chromium's ICE conn.->DTLS, $2)" "$1"
}

npnp() {
	d=$1
	npice $A offer "$d" nn_o nn_a &
	po=$!; pids="$pids $po"
	npice $B answer "$d" nn_a nn_o
	ra=$?
	wait $po; ro=$?
	[ $ro = 0 ] && [ $ra = 0 ] || echo "     NOTE np-np: natprobe exit $ro/$ra: $(tail -1 "$d/nn_o.out") / $(tail -1 "$d/nn_a.out")"
	set -- $($J bench np "$d/nn_o.json" "$d/nn_o.events"); rec natprobe-natprobe "offerer, DTLS $3" "$1" "$2" "$4"
	set -- $($J bench np "$d/nn_a.json" "$d/nn_a.events"); rec natprobe-natprobe "answerer, DTLS $3" "$1" "$2" "$4"
}

echo "natprobe: $NATPROBE; $RUNS rounds, budget ${BUDGET} s; namespaces $A/$B"
t_start=$(date +%s)
: >"$tmp/figs"
r=1
while [ $r -le "$RUNS" ]; do
	if [ $(($(date +%s) - t_start + 60)) -gt "$BUDGET" ]; then
		echo "NOTE round $r and later not run: the ${BUDGET} s budget is spent"; break
	fi
	d=$tmp/r$r; mkdir -p "$d"
	t_r=$(date +%s)
	cc "$d"; np_cr "$d" npo offer; np_cr "$d" npa answer; npnp "$d"
	echo "     round $r: $(($(date +%s) - t_r)) s"
	r=$((r + 1))
done

echo
$PY - "$tmp/figs" <<'EOF'
import sys
from statistics import median
rows, order = {}, []
for line in open(sys.argv[1]):
    pairing, role, v, hs, st = line.rstrip("\n").split("|")
    k = (pairing, role)
    if k not in rows:
        rows[k] = ([], [], [0], [])
        order.append(k)
    rows[k][2][0] += 1
    for x, l in ((v, rows[k][0]), (hs, rows[k][1]), (st, rows[k][3])):
        if x not in ("-", ""):
            l.append(float(x))
base = None
for k in order:
    if k[0] == "cc" and k[1].startswith("offerer") and rows[k][0]:
        base = median(rows[k][0])
f = lambda x: "-" if x is None else "%.1f" % x  # noqa: E731
print("%-28s %-37s %5s %7s %7s %7s %6s %9s %9s" % (
    "pairing", "role", "n", "median", "min", "max", "cc/row", "handshake", "session"))
print("%-28s %-37s %5s %7s %7s %7s %6s %9s %9s" % (
    "", "", "", "ms", "ms", "ms", "", "median ms", "median ms"))
for k in order:
    v, hs, n, st = rows[k]
    m = median(v) if v else None
    ratio = "-"
    if k[0] != "cc" and not k[1].startswith("(") and m and base is not None:
        ratio = "%.2f" % (base / m)
    print("%-28s %-37s %2d/%-2d %7s %7s %7s %6s %9s %9s" % (
        "Chromium-Chromium" if k[0] == "cc" else k[0], k[1], len(v), n[0], f(m),
        f(min(v) if v else None), f(max(v) if v else None), ratio,
        f(median(hs) if hs else None), f(median(st) if st else None)))
print("median/min/max: selected pair (Chromium: ICE connected) -> DTLS connected; cc/row: the"
      " Chromium-Chromium offerer's median over the row's (> 1: the row is faster);\n"
      "handshake: natprobe's dtls.handshake_ms; session: natprobe selected -> its session's"
      " \"dtls->connected\" (after SCTP and media start); n: rounds with the figure / rounds run")
if base is None:
    print("FAIL no Chromium-Chromium baseline")
    sys.exit(1)
natprobe = [rows[k][0] for k in order if k[0] != "cc" and not k[1].startswith("(")]
if any(not v for v in natprobe):
    print("FAIL a natprobe row has no figure")
    sys.exit(1)
EOF
rc=$?
echo "bench_dtls: $(($(date +%s) - t_start)) s"
exit $rc
