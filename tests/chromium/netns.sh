# netns.sh - sourced by tests/it_chromium.sh and tests/bench_dtls.sh: two
# network namespaces $A and $B joined by a veth pair ($VA/$VB,
# $IPA/$IPB in 198.18.50.0/24), each with an nftables guard that rejects
# (and counts, in "escaped") any packet leaving for elsewhere. Chromium
# gathers every interface it sees; here it sees only these.
#   ns_up    (re)creates both; returns non-zero on failure
#   ns_down  kills what still runs in them (all started by the caller)
#            and deletes them

ns_down() {
	for ns in $A $B; do
		ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	sleep 0.3
	for ns in $A $B; do
		ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
}

ns_up() {
	ns_down
	ip netns add $A && ip netns add $B &&
	ip link add $VA netns $A type veth peer name $VB netns $B &&
	ip -n $A addr add $IPA/24 dev $VA && ip -n $B addr add $IPB/24 dev $VB &&
	ip -n $A link set lo up && ip -n $B link set lo up &&
	ip -n $A link set $VA up && ip -n $B link set $VB up &&
	ip -n $A route add default via $IPB && ip -n $B route add default via $IPA || return 1
	for ns in $A $B; do
		ip netns exec $ns nft -f - <<-'NFT' || return 1
		table inet crguard {
			counter escaped {}
			chain out {
				type filter hook output priority 0; policy accept;
				oifname "lo" accept
				ip daddr { 198.18.50.0/24, 224.0.0.0/4 } accept
				ip6 daddr { fe80::/10, ff00::/8 } accept
				counter name escaped reject
			}
		}
		NFT
	done
}
