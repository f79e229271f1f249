#!/bin/sh
# it_lab.sh - integration test of the NAT lab itself (fixtures/lab/natlab):
# for each case, bring it up with coturn, check the case's ground truth with
# stunprobe.py (and turnutils_natdiscovery -m) from the client namespace,
# bring it down and check that nothing is left behind.
#
#   sh tests/it_lab.sh [CASE...]      (default: every case)
#
# One "ok CASE" / "FAIL CASE: why" line per case; exit 1 on any failure.
# Skips (exit 0) without root, network namespaces, nft or coturn.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAB=$ROOT/fixtures/lab
NATLAB=$LAB/natlab
PY=/usr/bin/python3
S4=203.0.113.10 S4B=203.0.113.11 S6=2001:db8:1::10
CLIENT6=2001:db8:100::2

skip() { echo "SKIP: $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "needs root and network namespaces (ip netns)"
command -v ip >/dev/null 2>&1 || skip "needs root and network namespaces (ip netns)"
probe_ns=nl-itprobe$$
timeout 10 ip netns add "$probe_ns" >/dev/null 2>&1 ||
	skip "needs root and network namespaces (ip netns)"
timeout 10 ip netns del "$probe_ns"
command -v nft >/dev/null 2>&1 || skip "needs nftables (nft)"
command -v turnserver >/dev/null 2>&1 || skip "needs coturn (turnserver)"
command -v turnutils_natdiscovery >/dev/null 2>&1 || skip "needs coturn (turnutils_natdiscovery)"
[ -x "$PY" ] || skip "needs $PY"

unset NATLAB_SERVER
trap 'timeout 30 "$NATLAB" down >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM

# probe CMD ARGS... : stunprobe.py in the client namespace, bounded
probe() { timeout 40 "$NATLAB" exec client "$PY" "$LAB/stunprobe.py" "$@" 2>&1; }
# val KEY OUTPUT : the value of KEY=... in OUTPUT
val() { printf '%s\n' "$2" | sed -n "s/^$1=\([^ ]*\).*/\1/p" | head -n 1; }
port() { printf '%s\n' "${1##*:}"; }
host() { h=${1%:*}; h=${h#[}; printf '%s\n' "${h%]}"; }

why=
bad() { why="$why${why:+; }$*"; }

# expect WHAT GOT WANT
expect() { [ "$2" = "$3" ] || bad "$1: got '$2', want '$3'"; }

check_case() {
	c=$1
	# the ground truth: TRUTH_*=value lines
	# shellcheck disable=SC2034 # used by the eval below
	truth=$(timeout 10 "$NATLAB" truth "$c") || { bad "natlab truth failed"; return; }
	for k in NAT UDP TCP MAPPING FILTERING HAIRPINNING PORT_PRESERVATION \
		PUBLIC_IP LIFETIME_S LOSS_PCT MAX_UDP IPV6 IPV6_FILTERING; do
		eval "T_$k=\$(val TRUTH_$k \"\$truth\")"
	done

	if ! out=$(timeout 30 "$NATLAB" up "$c" 2>&1); then
		bad "natlab up: $out"
		return
	fi
	[ -z "$out" ] || bad "natlab up printed: $out"
	pids=$(awk '{print $2}' /run/natlab/pids 2>/dev/null)
	[ -n "$pids" ] || bad "no server pid recorded"

	# lossy paths: retransmit more, so a verdict is not a loss
	tries=3
	[ "$T_LOSS_PCT" = 0 ] || tries=10
	export STUNPROBE_TRIES=$tries

	# UDP reachability, mapped address, mapping behaviour, port preservation
	m=$(probe map $S4 $S4B $S4:3479)
	local_port=$(port "$(val local "$m")")
	m1=$(val "mapped\[$S4:3478\]" "$m")
	m2=$(val "mapped\[$S4B:3478\]" "$m")
	m3=$(val "mapped\[$S4:3479\]" "$m")
	if [ "$T_UDP" = blocked ]; then
		expect "udp mapped" "$m1" none
	else
		if [ "$m1" = none ] || [ -z "$m1" ]; then
			bad "udp: no answer from $S4 ($m)"
		else
			expect "public ip" "$(host "$m1")" "$T_PUBLIC_IP"
			case $T_MAPPING in
			endpoint-independent)
				expect "mapping (other address)" "$m2" "$m1"
				expect "mapping (other port)" "$m3" "$m1" ;;
			address-and-port-dependent)
				[ "$m1" != "$m2" ] || bad "mapping: same mapping $m1 for $S4 and $S4B"
				[ "$m1" != "$m3" ] || bad "mapping: same mapping $m1 for ports 3478 and 3479" ;;
			esac
			if [ "$T_PORT_PRESERVATION" = yes ]; then
				expect "port preservation" "$(port "$m1")" "$local_port"
			elif [ "$(port "$m1")" = "$local_port" ]; then
				bad "port preservation: port $local_port kept"
			fi
			expect filtering "$(val filtering "$(probe filter $S4)")" "$T_FILTERING"
			case $T_HAIRPINNING in yes | no)
				expect hairpinning "$(val hairpin "$(probe hairpin $S4)")" "$T_HAIRPINNING" ;;
			esac
		fi
	fi

	# TCP (STUN over TCP on 3478; 443 is redirected to the TLS/TCP port)
	t=$(val reach "$(probe tcp $S4:3478)")
	case $T_TCP in
	ok) expect "tcp 3478" "$t" ok ;;
	443-only) expect "tcp 3478" "$t" blocked
		expect "tcp 443" "$(val reach "$(probe tcp $S4:443)")" ok ;;
	esac

	# RFC 5780 on the server, seen by coturn's own client (not on lossy paths)
	if [ "$T_UDP" = ok ] && [ "$T_LOSS_PCT" = 0 ]; then
		nd=$(timeout 30 "$NATLAB" exec client turnutils_natdiscovery -m $S4 2>&1)
		case $nd in *"Other addr"*) ;; *) bad "natdiscovery: no OTHER-ADDRESS" ;; esac
		case $T_MAPPING:$nd in
		endpoint-independent:*"Endpoint Independent Mapping"*) ;;
		address-and-port-dependent:*"Address and Port Dependent Mapping"*) ;;
		*) bad "natdiscovery mapping verdict: $(printf '%s\n' "$nd" | grep 'NAT with\|No NAT' | tr '\n' ' ')" ;;
		esac
	fi

	# mapping lifetime, when it is short enough to test
	case $T_LIFETIME_S in [1-9])
		expect "lifetime (idle 2 s)" "$(val alive "$(probe lifetime $S4 2)")" yes
		expect "lifetime (idle $((T_LIFETIME_S + 2)) s)" \
			"$(val alive "$(probe lifetime $S4 $((T_LIFETIME_S + 2)))")" no ;;
	esac

	# loss: 300 Bindings, the measured loss within 10 points of the truth
	if [ "$T_LOSS_PCT" != 0 ]; then
		l=$(val loss_pct "$(probe loss $S4 300)")
		l=${l%.*}
		if [ -z "$l" ] || [ "$l" -lt $((T_LOSS_PCT - 10)) ] || [ "$l" -gt $((T_LOSS_PCT + 10)) ]; then
			bad "loss: measured ${l:-?} %, want $T_LOSS_PCT %"
		fi
	fi

	# largest UDP payload (sizes are multiples of 4)
	case $T_MAX_UDP in 1[0-9][0-9][0-9])
		if [ "$T_MAX_UDP" -lt 1472 ]; then
			expect "udp payload $T_MAX_UDP" "$(val passed "$(probe size $S4 "$T_MAX_UDP")")" yes
			expect "udp payload $((T_MAX_UDP + 4))" \
				"$(val passed "$(probe size $S4 $((T_MAX_UDP + 4)))")" no
		else
			expect "udp payload 1472" "$(val passed "$(probe size $S4 1472)")" yes
		fi ;;
	esac

	# IPv6
	u6=$(probe udp "[$S6]")
	if [ "$T_IPV6" = open ]; then
		expect "ipv6 reach" "$(val reach "$u6")" ok
		expect "ipv6 mapped" "$(host "$(val mapped "$u6")")" "$CLIENT6"
		expect "ipv6 filtering" "$(val filtering "$(probe filter "[$S6]")")" "$T_IPV6_FILTERING"
	else
		expect "ipv6 reach" "$(val reach "$u6")" noroute
	fi

	# down leaves nothing behind
	if ! out=$(timeout 30 "$NATLAB" down 2>&1); then bad "natlab down: $out"; fi
	left=$(ip netns list | awk '{print $1}' | grep -E '^nl-(client|nat|cgn|inet|server|peer|peernat)$' | tr '\n' ' ')
	[ -z "$left" ] || bad "namespaces left after down: $left"
	for p in $pids; do
		if [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
			bad "process $p still running after down"
		fi
	done
}

cases=${*:-$(for f in "$LAB"/cases/*.case; do basename "$f" .case; done)}
fail=0
for c in $cases; do
	why=
	check_case "$c"
	if [ -z "$why" ]; then
		echo "ok $c"
	else
		echo "FAIL $c: $why"
		fail=1
	fi
done

# down when nothing is up is a no-op success
timeout 30 "$NATLAB" down || { echo "FAIL down when already down"; fail=1; }
exit $fail
