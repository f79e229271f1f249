#!/bin/sh
# Integration test of --format junit and --format openmetrics with their
# real consumers: the JUnit XML read by junitparser (python3-junitparser)
# and checked for well-formedness by xmllint, the OpenMetrics text linted by
# `promtool check metrics` (Debian's prometheus) and parsed by the strict
# OpenMetrics parser of prometheus_client (python3-prometheus-client).
# Reports come from the recorded logs (natprobe report, no network) and
# from `natprobe stun` against a coturn started here on loopback.
set -u
NATPROBE=${NATPROBE:-./natprobe}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

have_junit=1 have_promtool=1 have_omparser=1 have_xmllint=1
$PY -c 'import junitparser' 2>/dev/null ||
	{ have_junit=0; echo "SKIP JUnit parsing: python3-junitparser is missing (make deps installs it)"; }
command -v xmllint >/dev/null 2>&1 ||
	{ have_xmllint=0; echo "SKIP xmllint: libxml2-utils is missing"; }
command -v promtool >/dev/null 2>&1 ||
	{ have_promtool=0; echo "SKIP promtool: prometheus is missing (make deps installs it)"; }
$PY -c 'import prometheus_client.openmetrics.parser' 2>/dev/null ||
	{ have_omparser=0; echo "SKIP OpenMetrics parser: python3-prometheus-client is missing (make deps installs it)"; }

# junit NAME FILE TESTS FAILURES [FAILED_CASE]: the file parses as JUnit with
# these totals, and FAILED_CASE (if given) is a failed testcase whose
# message and text are not empty.
junit() {
	name=$1 file=$2 tests=$3 failures=$4 failed=${5:-}
	if [ $have_xmllint = 1 ] && ! xmllint --noout "$file" 2>"$tmp/xerr"; then
		bad "$name: not well-formed XML"; cat "$tmp/xerr"; return
	fi
	[ $have_junit = 1 ] || return 0
	if $PY - "$file" "$tests" "$failures" "$failed" >"$tmp/jerr" 2>&1 <<'PYEOF'
import sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
tests = failures = 0
failed = set()
for suite in xml:
    names = [p.name for p in suite.properties()]
    assert len(names) == len(set(names)), "duplicate property in " + suite.name
    for case in suite:
        tests += 1
        for r in case.result:
            if isinstance(r, Failure):
                failures += 1
                assert r.message and r.text, "failure without message or text"
                failed.add(case.name)
assert (tests, failures) == (int(sys.argv[2]), int(sys.argv[3])), \
    "parsed %d tests, %d failures" % (tests, failures)
assert (xml.tests, xml.failures) == (tests, failures), "totals disagree with testcases"
if sys.argv[4]:
    assert sys.argv[4] in failed, "%s not among failed %s" % (sys.argv[4], failed)
PYEOF
	then ok "$name: junitparser reads $tests tests, $failures failures"
	else bad "$name: junitparser"; cat "$tmp/jerr"; fi
}

# metrics NAME FILE PATTERN: promtool and the OpenMetrics parser accept it,
# and the parsed samples include PATTERN (name{labels} value, as parsed).
metrics() {
	name=$1 file=$2 pat=$3
	if [ $have_promtool = 1 ]; then
		if promtool check metrics <"$file" >"$tmp/perr" 2>&1; then
			ok "$name: promtool check metrics"
		else bad "$name: promtool check metrics"; cat "$tmp/perr"; fi
	fi
	[ $have_omparser = 1 ] || return 0
	if $PY - "$file" "$pat" >"$tmp/oerr" 2>&1 <<'PYEOF'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
seen = []
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        seen.append("%s%s %g" % (s.name, sorted(s.labels.items()), s.value))
assert any(sys.argv[2] in s for s in seen), "no sample matches " + sys.argv[2]
PYEOF
	then ok "$name: OpenMetrics parser"
	else bad "$name: OpenMetrics parser"; cat "$tmp/oerr"; fi
}


# Replayed NAT runs, with and without a policy.
$NATPROBE report --events "$ROOT/fixtures/obs/nat_portrestricted.jsonl" --format junit \
	--require udp,eim,hairpin,ipv6 >"$tmp/nat.xml"; rc=$?
[ $rc = 1 ] && ok "nat policy fails: exit 1" || bad "nat policy: exit $rc, want 1"
junit "nat junit policy" "$tmp/nat.xml" 4 2 hairpin
$NATPROBE report --events "$ROOT/fixtures/obs/nat_fullcone.jsonl" --format junit \
	--require udp,eim,eif --max-rtt 100 >"$tmp/full.xml"; rc=$?
[ $rc = 0 ] && ok "nat policy passes: exit 0" || bad "nat policy pass: exit $rc, want 0"
junit "nat junit pass" "$tmp/full.xml" 4 0
$NATPROBE report --events "$ROOT/fixtures/obs/nat_udpblocked.jsonl" --format junit \
	>"$tmp/blocked.xml"
junit "nat junit udp blocked" "$tmp/blocked.xml" 1 1 udp
for c in portrestricted symmetric udpblocked ipv6 mtu1200 tcp443; do
	$NATPROBE report --events "$ROOT/fixtures/obs/nat_$c.jsonl" --format openmetrics \
		--require udp >"$tmp/$c.om"
done
metrics "nat openmetrics" "$tmp/portrestricted.om" \
	"natprobe_nat_mapping_info[('confidence', 'high'), ('family', 'ipv4'), ('value', 'endpoint-independent')] 1"
metrics "nat openmetrics symmetric" "$tmp/symmetric.om" \
	"natprobe_nat_mapping_info[('confidence', 'high'), ('family', 'ipv4'), ('value', 'address-and-port-dependent')] 1"
metrics "nat openmetrics udp blocked" "$tmp/udpblocked.om" \
	"natprobe_udp_reachable[('family', 'ipv4')] 0"
metrics "nat openmetrics ipv6" "$tmp/ipv6.om" "natprobe_udp_reachable[('family', 'ipv6')] 1"
metrics "nat openmetrics mtu" "$tmp/mtu1200.om" "natprobe_max_datagram_bytes[('direction', 'out')"
metrics "nat openmetrics tcp443" "$tmp/tcp443.om" "natprobe_check_passed"

# Bad policies are usage errors naming the valid checks.
$NATPROBE report --events "$ROOT/fixtures/obs/nat_open.jsonl" --require udp,teleport \
	>/dev/null 2>"$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q "valid: udp, tcp, tls, tls443, eim" "$tmp/err"; then
	ok "unknown check: exit 2 with the valid list"
else bad "unknown check: exit $rc"; cat "$tmp/err"; fi
$NATPROBE stun --format yaml stun:127.0.0.1 >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q "text, json, html, junit or openmetrics" "$tmp/err"; then
	ok "unknown format: exit 2"
else bad "unknown format: exit $rc"; cat "$tmp/err"; fi

# Live: natprobe stun against coturn on loopback.
if ! command -v turnserver >/dev/null 2>&1; then
	echo "SKIP live stun reports: coturn's turnserver is missing (make deps installs coturn)"
	exit $fail
fi
BASE=$((24000 + ($$ % 1500) * 10))
P=$BASE CLOSED=$((BASE + 5))
timeout 60 turnserver -n --no-cli --log-file stdout --simple-log \
	-L 127.0.0.1 -L ::1 --listening-port "$P" --no-tls --no-dtls \
	--pidfile "$tmp/turn.pid" >"$tmp/turn.log" 2>&1 &
pids="$pids $!"
wait_stun "stun:127.0.0.1:$P"
$NATPROBE stun -c 2 --timeout 0.5 --format junit --require udp,tcp,ipv6 --max-rtt 200 \
	"stun:127.0.0.1:$P" "stun:[::1]:$P?transport=tcp" "stun:127.0.0.1:$CLOSED" \
	>"$tmp/live.xml" 2>/dev/null; rc=$?
[ $rc = 0 ] && ok "live stun policy passes with a dead leg: exit 0" || bad "live stun: exit $rc, want 0"
junit "live stun junit" "$tmp/live.xml" 7 1 "stun:127.0.0.1:$CLOSED udp 127.0.0.1:$CLOSED"
$NATPROBE stun -c 2 --timeout 0.5 --format openmetrics --require ipv4 \
	"stun:127.0.0.1:$P" "stun:[::1]:$P?transport=tcp" "stun:127.0.0.1:$CLOSED" \
	>"$tmp/live.om" 2>/dev/null
metrics "live stun openmetrics" "$tmp/live.om" \
	"natprobe_stun_up[('address', '[::1]:$P'), ('family', 'ipv6'), ('server', 'stun:[::1]:$P?transport=tcp'), ('transport', 'tcp')] 1"
metrics "live stun openmetrics closed" "$tmp/live.om" \
	"natprobe_stun_up[('address', '127.0.0.1:$CLOSED'), ('family', 'ipv4'), ('server', 'stun:127.0.0.1:$CLOSED'), ('transport', 'udp')] 0"
$NATPROBE stun -c 1 --timeout 0.5 --format junit --require tls "stun:127.0.0.1:$P" \
	>"$tmp/notls.xml" 2>/dev/null; rc=$?
[ $rc = 1 ] && ok "live stun policy fails: exit 1" || bad "live stun tls policy: exit $rc, want 1"
junit "live stun junit policy failure" "$tmp/notls.xml" 2 1 tls
exit $fail
