#!/bin/sh
# bench_nat.sh - NAT behaviour discovery in the lab: coturn's
# turnutils_natdiscovery against natprobe, same case, same server (coturn).
#
#   sh tests/bench_nat.sh CASE|all
#
# For each case prints
#   truth CASE mapping=... filtering=... hairpin=...
#   natdiscovery CASE mapping=... filtering=... hairpin=... time=12.03s
# and, when $NATPROBE is set and has the "nat" command,
#   natprobe CASE mapping=... filtering=... hairpin=... time=0.85s
#   ratio natdiscovery/natprobe = 14.2x
# Verdicts use RFC 4787 words; "none" = no verdict. Needs root (the lab).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAB=$ROOT/fixtures/lab
NATLAB=$LAB/natlab
PY=/usr/bin/python3
SERVER=203.0.113.10

[ $# -eq 1 ] || { echo "usage: $0 CASE|all" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root and network namespaces (ip netns)"; exit 0; }
command -v turnutils_natdiscovery >/dev/null 2>&1 || { echo "SKIP: needs coturn"; exit 0; }

if [ "$1" = all ]; then
	cases=$(for f in "$LAB"/cases/*.case; do basename "$f" .case; done)
else
	cases=$1
fi

have_natprobe=no
if [ -n "${NATPROBE:-}" ] && [ -x "$NATPROBE" ] &&
	timeout 10 "$NATPROBE" nat --help >/dev/null 2>&1; then
	have_natprobe=yes
fi

export NATLAB_SERVER=coturn
trap 'timeout 30 "$NATLAB" down >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# "NAT with Address and Port Dependent Mapping!" -> address-and-port-dependent
rfc4787() {
	v=$(sed -n "s/^NAT with \(.*\) $1!.*/\1/p" | head -n 1 | tr 'A-Z ' 'a-z-')
	echo "${v:-none}"
}

fail=0
for c in $cases; do
	if ! out=$(timeout 30 "$NATLAB" up "$c" 2>&1); then
		echo "FAIL $c: natlab up: $out"
		fail=1
		continue
	fi
	truth=$("$NATLAB" truth "$c")
	tv() { printf '%s\n' "$truth" | sed -n "s/^TRUTH_$1=//p"; }
	echo "truth $c mapping=$(tv MAPPING) filtering=$(tv FILTERING) hairpin=$(tv HAIRPINNING)"

	t0=$(now)
	nd=$(timeout 60 "$NATLAB" exec client turnutils_natdiscovery -m -f -H "$SERVER" 2>&1)
	rc=$?
	t1=$(now)
	nd_time=$(elapsed "$t0" "$t1")
	mapping=$(printf '%s\n' "$nd" | rfc4787 Mapping)
	filtering=$(printf '%s\n' "$nd" | rfc4787 Filtering)
	# hairpinning: "yes" when socket 1 got socket 2's request; "no" when
	# socket 1 had a mapping (its first response came) but got nothing
	hp=$(printf '%s\n' "$nd" | sed -n '/Hairpinning Behavior/,/Mapping Behavior/p')
	case $hp in
	*"Received a request"*) hairpin=yes ;;
	*"reflexive addr"*) hairpin=no ;;
	*) hairpin=none ;;
	esac
	st=
	[ "$rc" = 0 ] || st=" exit=$rc"
	echo "natdiscovery $c mapping=$mapping filtering=$filtering hairpin=$hairpin time=${nd_time}s$st"

	if [ "$have_natprobe" = yes ]; then
		t0=$(now)
		np=$(timeout 60 "$NATLAB" exec client /usr/bin/time -f '%M' -o /tmp/natprobe-bench.rss \
			"$NATPROBE" nat --format json "stun:$SERVER" 2>/dev/null)
		t1=$(now)
		np_time=$(elapsed "$t0" "$t1")
		rss=$(tail -n 1 /tmp/natprobe-bench.rss 2>/dev/null)
		verdict=$(printf '%s\n' "$np" | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    d = {}
def word(v):
    if v is True: return "yes"
    if v is False: return "no"
    if isinstance(v, dict):  # e.g. {"verdict": ...}
        v = v.get("verdict", v.get("result", v.get("type")))
    return "none" if v in (None, "") else str(v)
print("mapping=%s filtering=%s hairpin=%s" % (word(d.get("mapping")),
      word(d.get("filtering")), word(d.get("hairpinning"))))
')
		echo "natprobe $c $verdict time=${np_time}s peak_rss=${rss:-?}KiB"
		awk -v a="$nd_time" -v b="$np_time" \
			'BEGIN { if (b > 0) printf "ratio natdiscovery/natprobe = %.1fx\n", a / b }'
	fi
done
exit $fail
