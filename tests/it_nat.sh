#!/bin/sh
# Integration test of `natprobe nat` in the NAT lab: every case, against
# coturn and against natprobe serve, must give the case's ground truth.
# The lossy case runs 10 times in a row against each server, all correct.
# Needs root and network namespaces; skips with a message otherwise.
set -u
NATPROBE=${NATPROBE:-$(pwd)/natprobe}
export NATPROBE
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
LAB=$ROOT/fixtures/lab/natlab
SCHEMA=$ROOT/reports/report.schema.json
PY=/usr/bin/python3
SERVERS=${NAT_SERVERS:-"coturn natprobe"}
CASES=${NAT_CASES:-$($LAB list | awk '{print $1}')}
LOSSY_RUNS=${LOSSY_RUNS:-10}
fail=0
tmp=$(mktemp -d)
trap '$LAB down >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM

if [ "$(id -u)" != 0 ] || ! ip netns add nl-probe-$$ 2>/dev/null; then
	echo "SKIP: it_nat needs root and network namespaces (ip netns)"
	exit 0
fi
ip netns del nl-probe-$$

for server in $SERVERS; do
	for c in $CASES; do
		runs=1
		[ "$c" = lossy ] && runs=$LOSSY_RUNS
		extra=""
		grep -q '^TRUTH_IPV6=open' "$ROOT/fixtures/lab/cases/$c.case" &&
			extra="--server stun:[2001:db8:1::10]"
		grep -q '^TRUTH_LIFETIME_TESTED=yes' "$ROOT/fixtures/lab/cases/$c.case" &&
			extra="$extra --lifetime=$($LAB truth "$c" | sed -n 's/^TRUTH_LIFETIME_S=//p' | awk '{print $1*3}')"
		if ! NATLAB_SERVER=$server timeout 30 $LAB up "$c" >"$tmp/up" 2>&1; then
			echo "FAIL $c/$server: lab did not come up"; cat "$tmp/up"; fail=1; continue
		fi
		i=1
		while [ $i -le $runs ]; do
			start=$(date +%s%N)
			timeout 300 $LAB exec client "$NATPROBE" nat --format json $extra \
				stun:203.0.113.10 >"$tmp/r.json" 2>"$tmp/err"
			end=$(date +%s%N)
			ms=$(( (end - start) / 1000000 ))
			secs="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
			if $PY "$HERE/nat_truth.py" "$ROOT/fixtures/lab/cases/$c.case" "$tmp/r.json" >"$tmp/cmp" &&
			   $PY "$HERE/validate_json.py" "$SCHEMA" "$tmp/r.json" >>"$tmp/cmp"; then
				echo "ok   $c/$server run $i (${secs}s)"
			else
				echo "FAIL $c/$server run $i (${secs}s)"; cat "$tmp/cmp" "$tmp/err"; fail=1
			fi
			i=$((i + 1))
		done
	done
done
$LAB down >/dev/null 2>&1
if ip netns list | grep -q '^nl-'; then
	echo "FAIL natlab down left namespaces behind"; fail=1
fi
exit $fail
