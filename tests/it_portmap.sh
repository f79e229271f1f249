#!/bin/sh
# Integration test of the port-mapping client (probe/portmap*.c) against
# Debian's miniupnpd running on the lab's NAT (NATLAB_UPNP=1: UPnP IGD,
# NAT-PMP and PCP), through tests/portmap_driver.c on the lab's client:
#
#  - PCP, NAT-PMP and UPnP each map a UDP socket (gateway from the client's
#    /proc/net/route); the external address is the NAT's 198.51.100.2; the
#    mapping is in miniupnpd's nftables chains (and in `upnpc -l` for
#    UPnP); a datagram from the server to the external address:port reaches
#    the socket; after release the rule is gone and a new probe does not
#    get through;
#  - all three at once on one socket (as ICE gathering asks them);
#  - what the gateway refuses, with its code and name: a port its rules deny
#    (PCP 2 NOT_AUTHORIZED, NAT-PMP 2 Not Authorized/Refused, UPnP 606), an
#    external port UPnP already maps elsewhere (718 ConflictInMappingEntry);
#  - a gateway that does not answer: every protocol ends in a timeout
#    within its 2 s budget, and replies from another host are ignored;
#  - a gateway that refuses everything (miniupnpd behind the symmetric
#    case's NAT): PCP 8, NAT-PMP 3, UPnP 501, each with its name.
#
# Needs root (namespaces), miniupnpd (+ miniupnpd-nftables), coturn (the
# lab's STUN server, which miniupnpd asks before it allows forwarding).
# miniupnpc's upnpc is used for the conflict setup and the UPnP listing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: it_portmap needs root (network namespaces)"; exit 0
fi
if [ ! -x /usr/sbin/miniupnpd ] || ! command -v nft >/dev/null 2>&1 ||
   ! command -v turnserver >/dev/null 2>&1; then
	echo "SKIP: it_portmap needs miniupnpd, nftables and coturn (make deps)"; exit 0
fi
if [ ! -f "$ROOT/build/libnp.a" ]; then
	echo "SKIP: it_portmap needs build/libnp.a (run make first)"; exit 0
fi
HAVE_UPNPC=0
command -v upnpc >/dev/null 2>&1 && HAVE_UPNPC=1

DRIVER=$tmp/portmap_driver
cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I"$ROOT/probe" \
	-o "$DRIVER" "$HERE/portmap_driver.c" "$ROOT/build/libnp.a" \
	$(pkg-config --libs openssl jansson) -lm ||
	{ echo "FAIL cannot build tests/portmap_driver.c"; exit 1; }

export NATLAB_PREFIX=${IT_PORTMAP_PREFIX:-pm-}
LAB="$ROOT/fixtures/lab/natlab"
CLIENT=198.18.0.2 PUBLIC=198.51.100.2 SERVER=203.0.113.10
DESC_URL=http://198.18.0.1:5000/rootDesc.xml

lab_down() { "$LAB" down >/dev/null 2>&1; cleanup; }
trap lab_down EXIT INT TERM
if ! NATLAB_UPNP=1 "$LAB" up portrestricted; then
	echo "FAIL natlab up portrestricted with NATLAB_UPNP=1"; exit 1
fi
if "$LAB" status | grep -q '^miniupnpd: pid [0-9]* running'; then
	ok "miniupnpd up on the NAT ($("$LAB" status | grep '^miniupnpd'))"
else
	bad "miniupnpd is not running: $("$LAB" status)"
fi

in_ns() { r=$1; shift; ip netns exec "${NATLAB_PREFIX}$r" "$@"; }

# send_probe IP PORT PAYLOAD: one datagram from the server, from a new port
# (a new conntrack entry, so a removed DNAT rule cannot be bypassed).
send_probe() {
	in_ns server "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[4], 0))
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))' "$1" "$2" "$3" "$SERVER"
}

# wait_line FILE REGEX [TENTHS]: until a line matches (default 5 s).
wait_line() {
	_n=0
	while [ $_n -lt "${3:-50}" ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		_n=$((_n + 1)); sleep 0.1
	done
	return 1
}

# rule_for PORT: miniupnpd's DNAT rule for that external port, if any.
rule_for() {
	in_ns nat nft list chain inet filter prerouting_miniupnpd 2>/dev/null |
		grep -E "dport $1 .*dnat"
}

upnp_list() {
	in_ns client upnpc -u "$DESC_URL" -l 2>/dev/null | grep -E '^ *[0-9]+ UDP'
}

# run_one PROTO PORT: map, probe, release, probe again.
run_one() {
	p=$1 port=$2 out=$tmp/$1.out
	in_ns client timeout 20 "$DRIVER" -i "$CLIENT:$port" -p "$p" -w 3 -a 1 \
		-e "$tmp/$p.events" >"$out" 2>&1 &
	dpid=$!
	if ! wait_line "$out" '^(READY|MAPPED)'; then
		bad "$p: no outcome within 5 s: $(cat "$out")"; kill "$dpid" 2>/dev/null; return
	fi
	line=$(grep "^MAP $p " "$out")
	ext=$(echo "$line" | sed -n 's/.* ok external=\([^ ]*\) .*/\1/p')
	ms=$(sed -n 's/^MAPPED .* ms=//p' "$out")
	if [ -z "$ext" ]; then
		bad "$p: mapping failed: $line"; kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; return
	fi
	eport=${ext##*:}
	if [ "${ext%:*}" = "$PUBLIC" ]; then
		ok "$p: mapped $CLIENT:$port -> $ext in $ms ms ($(echo "$line" | sed 's/.*reason=//'))"
	else
		bad "$p: external address $ext is not the NAT's $PUBLIC"
	fi
	if rule_for "$eport" | grep -q "$CLIENT:$port"; then
		ok "$p: miniupnpd's nftables DNAT rule $eport -> $CLIENT:$port is there"
	else
		bad "$p: no DNAT rule for $eport in prerouting_miniupnpd"
	fi
	if [ "$p" = upnp ] && [ $HAVE_UPNPC = 1 ]; then
		if upnp_list | grep -q "UDP *$eport->$CLIENT:$port"; then
			ok "upnp: upnpc -l lists $eport->$CLIENT:$port"
		else
			bad "upnp: upnpc -l does not list the mapping: $(upnp_list)"
		fi
	fi
	send_probe "${ext%:*}" "$eport" "probe-$p"
	wait_line "$out" '^RELEASED' 50 || bad "$p: not released within 5 s"
	if grep -q "^PROBE from=$SERVER:[0-9]* bytes=[0-9]* data=probe-$p\$" "$out"; then
		ok "$p: a datagram from $SERVER to $ext reached the socket"
	else
		bad "$p: the probe did not arrive through $ext: $(grep -E '^PROBE' "$out")"
	fi
	rel=$(grep "^RELEASE $p " "$out")
	case $rel in
	"RELEASE $p ok "*) ok "$p: released ($(grep '^RELEASED' "$out"))" ;;
	*) bad "$p: release: $rel" ;;
	esac
	if rule_for "$eport" >/dev/null; then
		bad "$p: DNAT rule for $eport still there after release"
	else
		ok "$p: the rule for $eport is gone after release"
	fi
	if [ "$p" = upnp ] && [ $HAVE_UPNPC = 1 ] && upnp_list | grep -q "UDP *$eport->"; then
		bad "upnp: upnpc -l still lists $eport"
	fi
	send_probe "${ext%:*}" "$eport" "after-$p"
	wait "$dpid" 2>/dev/null
	if grep -q '^AFTER none' "$out" && ! grep -q '^AFTER from' "$out"; then
		ok "$p: a new probe to $ext no longer gets through"
	else
		bad "$p: after release: $(grep '^AFTER' "$out")"
	fi
	# Every exchange is in the observation log.
	if "$PY" - "$tmp/$p.events" "$p" <<'EOF'
import json, sys
kinds = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    t = o.get("test", "")
    if t.startswith("portmap." + sys.argv[2]):
        kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
sys.exit(0 if kinds.get("sent", 0) >= 2 and kinds.get("response", 0) >= 2 else 1)
EOF
	then ok "$p: requests and responses (map and release) are in the observation log"
	else bad "$p: observation log lacks sent/response records"
	fi
}

run_one pcp 40001
run_one natpmp 40002
run_one upnp 40003

# All three at once on one socket, as ICE gathering asks.
out=$tmp/all.out
in_ns client timeout 20 "$DRIVER" -i "$CLIENT:40010" -p all -e "$tmp/all.events" >"$out" 2>&1
n=$(grep -c "^MAP [a-z]* ok external=$PUBLIC:" "$out")
ms=$(sed -n 's/^MAPPED .* ms=//p' "$out")
if [ "$n" = 3 ]; then
	ok "all three in parallel: 3 of 3 mapped in $ms ms ($(grep '^MAP ' "$out" | sed 's/ lifetime.*//; s/^MAP //' | tr '\n' ' '))"
else
	bad "all three in parallel: $n of 3 mapped: $(grep '^MAP ' "$out")"
fi
if [ "$(grep -c '^RELEASE ' "$out")" = 3 ] && grep -q '^RELEASED' "$out" &&
   ! rule_for 40010 >/dev/null; then
	ok "all three released ($(grep '^RELEASE ' "$out" | sed 's/^RELEASE //; s/ reason=.*//' | tr '\n' ' ')), no rule left"
else
	bad "all three: release: $(grep '^RELEASE' "$out"); rule: $(rule_for 40010)"
fi

# A port miniupnpd's rules deny (only 1024-65535 may be mapped).
out=$tmp/deny.out
in_ns client timeout 20 "$DRIVER" -i "$CLIENT:999" -p all >"$out" 2>&1
check_code() {
	if grep -q "^MAP $1 fail code=$2 reason=.*$3" "$out"; then
		ok "denied port: $1 reports $2 $3"
	else
		bad "denied port: $1 should report $2 $3: $(grep "^MAP $1 " "$out")"
	fi
}
check_code pcp 2 NOT_AUTHORIZED
check_code natpmp 2 "Not Authorized/Refused"
check_code upnp 606 "Action not authorized"

# An external port already mapped to another LAN host (a second address on
# the client, 198.18.0.3, holds it): UPnP says 718 ConflictInMappingEntry
# (and must not delete the other host's mapping); PCP and NAT-PMP are
# given another external port instead (the suggested port is a hint).
in_ns client ip addr add 198.18.0.3/24 dev eth0 2>/dev/null
in_ns client timeout 20 "$DRIVER" -i 198.18.0.3:40020 -p upnp -k >"$tmp/other.out" 2>&1
if grep -q '^MAP upnp ok external=' "$tmp/other.out"; then
	out=$tmp/conflict.out
	in_ns client timeout 20 "$DRIVER" -i "$CLIENT:40020" -p all >"$out" 2>&1
	if grep -q '^MAP upnp fail code=718 reason=AddPortMapping: 718 ConflictInMappingEntry' "$out"; then
		ok "conflict: upnp reports 718 ConflictInMappingEntry"
	else
		bad "conflict: expected 718: $(grep '^MAP ' "$out")"
	fi
	for p in pcp natpmp; do
		e=$(sed -n "s/^MAP $p ok external=$PUBLIC:\([0-9]*\) .*/\1/p" "$out")
		if [ -n "$e" ] && [ "$e" != 40020 ]; then
			ok "conflict: $p mapped to another external port ($e)"
		else
			bad "conflict: $p: $(grep "^MAP $p " "$out")"
		fi
	done
	if rule_for 40020 | grep -q '198.18.0.3:40020'; then
		ok "conflict: the other host's mapping of 40020 is untouched"
	else
		bad "conflict: the other host's mapping of 40020 is gone"
	fi
else
	bad "conflict setup: 198.18.0.3 could not map 40020: $(cat "$tmp/other.out")"
fi
# the other host removes its mapping (a fresh add, then the release)
in_ns client timeout 20 "$DRIVER" -i 198.18.0.3:40020 -p upnp >/dev/null 2>&1
in_ns client ip addr del 198.18.0.3/24 dev eth0 2>/dev/null

# A gateway that never answers: bounded timeouts; miniupnpd's own SSDP
# reply (from 198.18.0.1) is not taken for the gateway's.
out=$tmp/silent.out
in_ns client timeout 20 "$DRIVER" -i "$CLIENT:40030" -g 198.18.0.9 -p all \
	-e "$tmp/silent.events" >"$out" 2>&1
ms=$(sed -n 's/^MAPPED .* ms=//p' "$out")
n=$(grep -c "^MAP [a-z]* fail code=-[0-9]* reason=no .*" "$out")
if [ "$n" = 3 ] && [ -n "$ms" ] && [ "$ms" -lt 5000 ]; then
	ok "silent gateway: 3 of 3 timed out, all done in $ms ms"
else
	bad "silent gateway: $(grep -E '^(MAP|MAPPED)' "$out")"
fi
if grep '"unmatched"' "$tmp/silent.events" | grep -q 'SSDP reply not from the gateway'; then
	ok "silent gateway: the real IGD's SSDP reply was recorded as unmatched, not used"
else
	echo "note: no stray SSDP reply seen (miniupnpd answers multicast after a random MX delay)"
fi

# Behind a NAT that changes ports (symmetric), miniupnpd's STUN check fails
# and it refuses every mapping: each refusal is reported with its code.
if NATLAB_UPNP=1 "$LAB" up symmetric; then
	out=$tmp/symmetric.out
	in_ns client timeout 20 "$DRIVER" -i "$CLIENT:40040" -p all >"$out" 2>&1
	for want in "pcp fail code=8 reason=8 NO_RESOURCES" \
		    "natpmp fail code=3 reason=3 Network Failure" \
		    "upnp fail code=501 reason=AddPortMapping: 501 Action Failed"; do
		if grep -q "^MAP $want" "$out"; then
			ok "symmetric upstream: $want"
		else
			bad "symmetric upstream: expected $want: $(grep '^MAP ' "$out")"
		fi
	done
else
	bad "natlab up symmetric with NATLAB_UPNP=1"
fi

exit $fail
