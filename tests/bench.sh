#!/bin/sh
# make bench: natprobe side by side with the peer a user would otherwise
# pick, in one run, printing both results and the ratio.
#  1. NAT discovery in the lab: coturn's turnutils_natdiscovery -m -f -H
#     vs natprobe nat, every lab case, same coturn server; verdicts, times,
#     ratio, natprobe's peak RSS.
#  2. Binding responses per second on loopback: natprobe serve vs coturn,
#     one core each, the same sendmmsg load generator (bounded).
# Every load is bounded in count and time; traffic stays in the lab's
# namespaces and on loopback.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
NATPROBE=${NATPROBE:-$(dirname "$HERE")/natprobe}
export NATPROBE
rc=0
echo "== NAT discovery: turnutils_natdiscovery vs natprobe nat (lab, coturn server)"
sh "$HERE/bench_nat.sh" "${BENCH_CASES:-all}" || rc=1
echo
echo "== Binding responses per second: natprobe serve vs coturn (loopback)"
sh "$HERE/bench_serve.sh" || rc=1
echo; echo "== natprobe analyze vs tshark, same capture (BENCH_ANALYZE_MB, default 1024)"; sh "$HERE/bench_analyze.sh" || rc=1
echo; echo "== ICE start -> selected pair: two libnice agents vs two natprobe agents (lab, portrestricted x masquerade)"; sh "$HERE/bench_ice.sh" || rc=1
echo; echo "== SRTP protect+unprotect: natprobe srtp_session vs a direct libsrtp2 loop (one core)"; sh "$HERE/bench_srtp.sh" || rc=1
echo; echo "== Selected pair -> DTLS connected: Chromium<->Chromium vs natprobe (veth between two namespaces)"; sh "$HERE/bench_dtls.sh" || rc=1
exit $rc
