#!/bin/sh
# Integration test: real ICE between two agents across the lab's NATs
# (fixtures/lab/natlab), against coturn's STUN/TURN. Agent A runs in the
# client namespace behind the case's NAT and offers (controlling); agent B
# runs in the peer namespace behind NATLAB_PEER_NAT and answers
# (controlled). They exchange SDP through files in $tmp by the
# `natprobe ice` signaling rules. For every row of the matrix below the
# selected pair must be of the kind the NATs allow: direct (host, srflx,
# prflx, or ICE-TCP) where direct connectivity is possible, relayed where
# it is not, relayed over TCP/TLS (443) for a side without UDP. Both agents
# must agree (a relayed address one side uses is the one the other sees).
#
# Agents are pluggable: AGENTS="nice:nice natprobe:nice nice:natprobe
# natprobe:natprobe" (A:B). "nice" is tests/peers/nice_peer.c on Debian's
# libnice, built here; "natprobe" is `$NATPROBE ice` (its JSON report).
# Until `$NATPROBE ice --help` works only nice:nice runs.
#
# Also: coturn's relayed sends toward unroutable private addresses vanish
# silently (the lab's blackhole default route), libnice accepts the SDP
# natprobe writes (probe/sdp.c, through tests/peers/nice_sdp_conv.c), a
# relay-only agent keeps its allocation while checking toward private host
# candidates, and a wrong TURN password gives no relay (ICE then fails
# between two symmetric NATs).
#
# Env: AGENTS (above), ICE_ROWS=all (run every row for mixed agent pairs
# too; default: a subset), NATLAB_PREFIX (natlab's default unless set).
# Needs root, network namespaces, nftables, coturn, libnice-dev. About 2 min
# with nice:nice only, 3.5 min with the four agent pairs.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

NATLAB=$ROOT/fixtures/lab/natlab
SRV=203.0.113.10

if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "SKIP: it_ice needs root and network namespaces (ip netns)"; exit 0
fi
for c in turnserver nft pkg-config cc; do
	command -v "$c" >/dev/null 2>&1 || { echo "SKIP: it_ice needs $c"; exit 0; }
done
if ! pkg-config --exists nice; then
	echo "SKIP: it_ice needs libnice-dev (pkg-config nice)"; exit 0
fi

NICE=$tmp/nice_peer
cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -o "$NICE" "$HERE/peers/nice_peer.c" \
	"$HERE/peers/nice_opts.c" "$HERE/peers/nice_sig.c" $(pkg-config --cflags --libs nice) ||
	{ echo "FAIL cannot build tests/peers/nice_peer.c"; exit 1; }
CONV=
if [ -f "$ROOT/build/libnp.a" ]; then
	CONV=$tmp/nice_sdp_conv
	cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
		-I"$ROOT/probe" -o "$CONV" "$HERE/peers/nice_sdp_conv.c" "$HERE/peers/nice_sig.c" \
		"$ROOT/build/libnp.a" $(pkg-config --libs openssl jansson) -lm ||
		{ echo "FAIL cannot build tests/peers/nice_sdp_conv.c"; exit 1; }
fi

have_np=no
if [ -x "$NATPROBE" ] && timeout 10 "$NATPROBE" ice --help >/dev/null 2>&1; then
	have_np=yes
	NATPROBE=$(cd "$(dirname "$NATPROBE")" && pwd)/$(basename "$NATPROBE")
fi
if [ -z "${AGENTS:-}" ]; then
	if [ $have_np = yes ]; then
		AGENTS="nice:nice natprobe:nice nice:natprobe natprobe:natprobe"
	else
		AGENTS="nice:nice"
		echo "NOTE natprobe pairs NOT run: '$NATPROBE ice --help' does not exit 0 (no ice command yet); only nice:nice"
	fi
fi
case $AGENTS in *natprobe*)
	[ $have_np = yes ] || { echo "FAIL AGENTS='$AGENTS' needs '$NATPROBE ice'"; exit 1; } ;;
esac

lab_down() { timeout 30 "$NATLAB" down >/dev/null 2>&1; }
trap 'lab_down; cleanup' EXIT
trap 'exit 130' INT TERM

# ---- the expectation table ---------------------------------------------------
# client case (fixtures/lab/cases) x peer NAT (NATLAB_PEER_NAT) -> expected pair.
#   direct       both ready, no relayed candidate on either side of the pair
#   relay        both ready, a relayed candidate in the pair
#   relay-tcp:X  relay, and side X (A, B or AB) reaches its relay over TCP/TLS
#   any          both ready, direct or relayed
# RFC 4787 words: EIM/APDM = endpoint-independent / address-and-port-
# dependent mapping; EIF/ADF/APDF = endpoint-independent / address-
# dependent / address-and-port-dependent filtering. "masquerade" is
# EIM + APDF, "symmetric" APDM + APDF. Every agent gathers host, srflx
# (STUN) and relay (TURN: UDP 3478, or TCP/TLS 443 where UDP is blocked).
MATRIX="
open masquerade direct
fullcone masquerade direct
restricted masquerade direct
portrestricted masquerade direct
symmetric masquerade relay
udpblocked masquerade relay-tcp:A
tcp443 masquerade relay-tcp:A
open symmetric direct
fullcone symmetric direct
restricted symmetric any
portrestricted symmetric relay
symmetric symmetric relay
udpblocked symmetric relay-tcp:A
open udpblocked direct
portrestricted udpblocked relay-tcp:B
symmetric udpblocked relay-tcp:B
udpblocked udpblocked relay-tcp:AB
"
# Why, row by row:
#  open x masquerade: the client is not NATed and not filtered; the peer's
#    checks reach its host candidate and the peer's APDF opens for it.
#  fullcone/restricted/portrestricted x masquerade: both EIM, so each srflx
#    candidate is valid toward any destination; both agents check each
#    other's srflx, each check opens the sender's filter (EIF/ADF/APDF) for
#    the other's srflx, and a retransmission passes (hole punching).
#  symmetric x masquerade: APDM gives the client a new port toward the
#    peer, so its srflx (learned from STUN) is useless; the peer's APDF
#    drops packets from that new port (it only opened for the srflx port)
#    and the client's APDF drops the peer's checks to its srflx: relay.
#  udpblocked/tcp443 x masquerade: no UDP leaves the client; only TURN over
#    TCP/TLS on 443 works; the peer reaches the relay over UDP.
#  open x symmetric: the peer's checks from any new port reach the open
#    client, which learns a prflx and answers; direct.
#  fullcone x symmetric: EIF lets the peer's checks from its new port in;
#    the client's triggered check goes to that prflx, which the peer's APDF
#    admits (the peer sent to exactly that address): direct.
#  restricted x symmetric: ADF admits the peer's new port once the client
#    has sent anything to the peer's IP. The peer (answerer) starts checking
#    first, so its first check is dropped and only its retransmission (RFC
#    8445 RTO, 500 ms in libnice) gets through; by then the relayed pair is
#    valid and an agent may nominate it (libnice 0.1.21 does): either is
#    right, a pair must be selected.
#  portrestricted x symmetric: APDF admits only the peer's srflx port, the
#    peer sends from another: relay.  symmetric x symmetric: relay.
#  udpblocked x symmetric: the client relays over TCP; the peer's UDP from
#    any port reaches the relay (TURN permissions are per IP, RFC 8656 §9).
#  open x udpblocked: the peer has no UDP but TCP: its ICE-TCP active
#    candidate (RFC 6544) connects to the open client's passive host
#    candidate, a direct TCP pair that outranks any relayed one.
#  portrestricted/symmetric x udpblocked: the peer relays over TCP; the
#    client's NAT admits nothing unsolicited over TCP: relay.
#  udpblocked x udpblocked: both relay over TCP, relay to relay.
# Mixed agent pairs (nice:natprobe, natprobe:nice) run this subset, and
# not the wrong-password cases, unless
# ICE_ROWS=all:
MIXED_ROWS="portrestricted:masquerade fullcone:symmetric symmetric:symmetric
udpblocked:masquerade portrestricted:udpblocked"

# ---- helpers -------------------------------------------------------------------
# Server options for SIDE's agent of KIND; BLOCKED=yes: no UDP, TURN on 443.
# ARGS is the word list (no file names with spaces here).
# libnice gets no --stun: with a TURN server set, its RFC 3489-style Binding
# to the STUN server (on the same socket) is never matched to coturn's
# answer and times out after 2 s, while the Allocate response's
# XOR-MAPPED-ADDRESS already gives it the same srflx (tests/bench_ice.sh
# keeps both, as the benchmark asks for the same STUN and TURN servers).
servers() { # KIND BLOCKED PASSWORD
	if [ "$1" = nice ]; then
		if [ "$2" = yes ]; then
			echo "--turn $SRV:443 --turn-transport tcp --user natprobe --password $3"
		else
			echo "--turn $SRV:3478 --user natprobe --password $3"
		fi
	else
		if [ "$2" = yes ]; then
			echo "--stun stun:$SRV:3478 --turn turns:$SRV:443 --user natprobe --password $3 --tls-ca $LABSTATE/tls.crt"
		else
			echo "--stun stun:$SRV:3478 --turn turn:$SRV:3478 --user natprobe --password $3"
		fi
	fi
}

# agent ROLE(client|peer) KIND OFFER|ANSWER DIR LOCAL REMOTE EXTRA...:
# start one agent in the background (pid appended to $run_pids).
agent() {
	role=$1 kind=$2 side=$3 d=$4 loc=$5 rem=$6
	shift 6
	flag=--answer
	[ "$side" = A ] && flag=--offer
	if [ "$kind" = nice ]; then
		# shellcheck disable=SC2068
		timeout 60 "$NATLAB" exec "$role" "$NICE" $flag --local "$loc" --remote "$rem" \
			--timeout 25 --hold "$hold" $@ >"$d/$side.json" 2>"$d/$side.log" &
	else
		# shellcheck disable=SC2068
		timeout 60 "$NATLAB" exec "$role" "$NATPROBE" ice $flag --local "$loc" --remote "$rem" \
			--timeout 25 --hold "$hold" $@ --format json -o "$d/$side.json" >"$d/$side.log" 2>&1 &
	fi
	run_pids="$run_pids $!"
	pids="$pids $!"
}

cat >"$tmp/check.py" <<'EOF'
"""check.py EXPECT A_KIND A_FILE B_KIND B_FILE [flags]: the pair both agents
selected, normalised from nice_peer's JSON line or natprobe's report, checked
against EXPECT (direct, relay, relay-tcp:A|B|AB, any, fail). Flags:
a-no-relay (A gathered no relayed candidate), sdp-all (nice agents took
every remote candidate line). Prints one summary line; exit 1 on mismatch."""
import json, sys

RELAY_NET = '203.0.113.'  # the lab's server network: coturn's relayed addresses

def load(kind, path):
    try:
        with open(path) as f:
            text = f.read().strip()
        j = json.loads(text.splitlines()[0] if kind == 'nice' else text)
    except (OSError, ValueError, IndexError) as e:
        return {'state': 'none', 'err': 'no JSON from agent (%s)' % e}
    if kind == 'nice':
        return {'state': j['state'], 'sel': j.get('selected'),
                'local': j['candidates']['local'], 'sdp': j.get('remote_sdp', {})}
    ice = j.get('ice') or {}
    st = 'ready' if ice.get('state') == 'completed' and ice.get('selected') else 'failed'
    return {'state': st, 'sel': ice.get('selected'),
            'local': (ice.get('candidates') or {}).get('local') or [], 'sdp': {}}

def desc(c):
    rp = c.get('relay_protocol')
    return '%s/%s%s %s:%s' % (c['type'], c['protocol'], '(' + rp + ')' if rp else '',
                              c['address'], c['port'])

expect, ak, af, bk, bf = sys.argv[1:6]
flags = sys.argv[6:]
a, b = load(ak, af), load(bk, bf)
errs = []
for n, x in (('A', a), ('B', b)):
    if 'err' in x:
        errs.append('%s: %s' % (n, x['err']))
ready = a['state'] == 'ready' and b['state'] == 'ready'
summ = 'A %s %s | B %s %s' % (
    a['state'], desc(a['sel']['local']) + ' -> ' + desc(a['sel']['remote']) if a.get('sel') else '-',
    b['state'], desc(b['sel']['local']) + ' -> ' + desc(b['sel']['remote']) if b.get('sel') else '-')
if expect == 'fail':
    if a['state'] == 'ready' or b['state'] == 'ready':
        errs.append('expected no pair, got one')
else:
    if not ready:
        errs.append('expected a selected pair on both sides')
    else:
        # relayed: a relay candidate on either end, or a remote at the TURN
        # server (an agent may still call the peer's relay a prflx when a
        # check from it came before the peer's SDP)
        relayed = lambda x: ('relay' in (x['sel']['local']['type'], x['sel']['remote']['type'])
                             or x['sel']['remote']['address'].startswith(RELAY_NET))
        if expect == 'direct' and (relayed(a) or relayed(b)):
            errs.append('expected a direct pair, got a relayed one')
        if expect.startswith('relay') and not (relayed(a) and relayed(b)):
            errs.append('expected a relayed pair on both sides')
        if expect.startswith('relay-tcp:'):
            for n, x in (('A', a), ('B', b)):
                if n in expect.split(':')[1]:
                    l = x['sel']['local']
                    if l['type'] != 'relay' or l.get('relay_protocol') not in ('tcp', 'tls'):
                        errs.append('%s should use its relay over TCP/TLS' % n)
        # what one side relays from is what the other side sends to
        for n, x, y in (('A', a, b), ('B', b, a)):
            l, r = x['sel']['local'], y['sel']['remote']
            if l['type'] == 'relay' and (l['address'], l['port']) != (r['address'], r['port']):
                errs.append("%s's relayed address is not the remote B sees" % n if n == 'A'
                            else "B's relayed address is not the remote A sees")
if 'a-no-relay' in flags:
    if not a['local']:
        errs.append("A's report lists no local candidates")
    elif any(c['type'] == 'relay' for c in a['local']):
        errs.append('A gathered a relayed candidate with a wrong password')
if 'sdp-all' in flags:
    for n, k, x in (('A', ak, a), ('B', bk, b)):
        s = x.get('sdp') or {}
        if k == 'nice' and s and s.get('parsed') != s.get('candidate_lines'):
            errs.append('%s: libnice took %s of %s candidate lines' % (n, s.get('parsed'), s.get('candidate_lines')))
if 'crlf' in flags:
    for n, k, x in (('A', ak, a), ('B', bk, b)):
        if k == 'nice' and not (x.get('sdp') or {}).get('crlf'):
            errs.append("%s: did not get natprobe's CRLF SDP" % n)
print(summ + ('' if not errs else '  [' + '; '.join(errs) + ']'))
sys.exit(1 if errs else 0)
EOF

# lab_up CASE PEER_NAT: (re)build the lab; sets LABSTATE.
lab_up() {
	if ! out=$(NATLAB_PEER_NAT=$2 timeout 30 "$NATLAB" up "$1" 2>&1); then
		bad "natlab up $1 (peer $2): $out"
		return 1
	fi
	LABSTATE=$("$NATLAB" status | sed -n 's/^state: //p')
	return 0
}

n=0
# pair CASE PEER_NAT AK BK EXPECT LABEL [a:OPTS] [b:OPTS] [pw-a:X] [pw-b:X] [conv] [flag...]
pair() {
	c=$1 pn=$2 ak=$3 bk=$4 exp=$5 label=$6
	shift 6
	aopt= bopt= pwa=natprobe pwb=natprobe conv=no flags=sdp-all
	for o in "$@"; do
		case $o in
		a:*) aopt="$aopt ${o#a:}" ;;
		b:*) bopt="$bopt ${o#b:}" ;;
		pw-a:*) pwa=${o#pw-a:} ;;
		pw-b:*) pwb=${o#pw-b:} ;;
		conv) conv=yes ;;
		*) flags="$flags $o" ;;
		esac
	done
	n=$((n + 1))
	d=$tmp/run$n
	rm -rf "$d"
	mkdir "$d"
	ablk=no bblk=no
	case $c in udpblocked | tcp443) ablk=yes ;; esac
	[ "$pn" = udpblocked ] && bblk=yes
	# Both agents hold the pair for 1 s (consent freshness keeps it): an
	# agent that exits at once can leave the other mid-nomination (the
	# controlled side still needs its own check of the nominated pair
	# answered) or close an ICE-TCP pair under it.
	hold=1
	t0=$(date +%s.%N)
	run_pids=
	if [ $conv = yes ]; then
		# each SDP goes through natprobe's sdp_parse + sdp_write on its way
		"$CONV" "$d/offer.raw" "$d/offer" application 30 2>"$d/conv1.log" &
		run_pids="$run_pids $!"; pids="$pids $!"
		"$CONV" "$d/answer.raw" "$d/answer" application 30 2>"$d/conv2.log" &
		run_pids="$run_pids $!"; pids="$pids $!"
		agent client "$ak" A "$d" "$d/offer.raw" "$d/answer" $(servers "$ak" $ablk "$pwa") $aopt
		agent peer "$bk" B "$d" "$d/answer.raw" "$d/offer" $(servers "$bk" $bblk "$pwb") $bopt
	else
		agent client "$ak" A "$d" "$d/offer" "$d/answer" $(servers "$ak" $ablk "$pwa") $aopt
		agent peer "$bk" B "$d" "$d/answer" "$d/offer" $(servers "$bk" $bblk "$pwb") $bopt
	fi
	for p in $run_pids; do wait "$p" 2>/dev/null; done
	# shellcheck disable=SC2086
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if res=$($PY "$tmp/check.py" "$exp" "$ak" "$d/A.json" "$bk" "$d/B.json" $flags); then
		ok "$ak:$bk $label: expect $exp: $res (${took} s)"
	else
		bad "$ak:$bk $label: expect $exp: $res (${took} s)"
		for s in A B; do
			echo "     --- $s log (last lines)"
			tail -n 8 "$d/$s.log" | sed 's/^/     | /'
		done
	fi
}

# ---- 1. the lab drops relayed sends to unroutable addresses silently -------
cat >"$tmp/blackhole.py" <<'EOF'
# UDP from the server's namespace to private addresses nobody routes must
# vanish: no local error and no ICMP error (IP_RECVERR reports any).
import socket, sys, time
bad = 0
for dst in sys.argv[1:]:
    v6 = ':' in dst
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, 25, 1)  # IPV6_RECVERR
    else:
        s.setsockopt(socket.IPPROTO_IP, 11, 1)    # IP_RECVERR
    err = None
    try:
        s.connect((dst, 40000))
        for _ in range(3):
            s.send(b'natprobe blackhole check')
            time.sleep(0.05)
        s.settimeout(0.2)
        try:
            s.recv(100)
        except socket.timeout:
            pass
        s.send(b'x')
    except OSError as e:
        err = e
    print('%s %s' % (dst, 'silently dropped' if err is None else 'ERROR %s' % err))
    bad |= err is not None
sys.exit(bad)
EOF
if lab_up portrestricted masquerade; then
	if out=$(timeout 20 "$NATLAB" exec server $PY "$tmp/blackhole.py" 198.19.0.2 198.18.0.2 \
		10.1.2.3 192.168.1.1 2001:db8:100::2 fd00::1 2>&1); then
		ok "the server's sends to unroutable private addresses vanish silently: $(echo $out)"
	else
		bad "blackhole: $out"
	fi
fi

# ---- 2. the matrix -----------------------------------------------------------
t_start=$(date +%s)
while read -r c pn exp; do
	[ -n "$c" ] || continue
	todo=
	for ab in $AGENTS; do
		if [ "${ab%%:*}" != "${ab##*:}" ] && [ "${ICE_ROWS:-}" != all ]; then
			case " $(echo $MIXED_ROWS) " in *" $c:$pn "*) ;; *) continue ;; esac
		fi
		todo="$todo $ab"
	done
	[ -n "$todo" ] || continue
	lab_up "$c" "$pn" || continue
	for ab in $todo; do
		pair "$c" "$pn" "${ab%%:*}" "${ab##*:}" "$exp" "$c x peer-$pn"
	done
done <<EOF
$MATRIX
EOF

# ---- 3. signaling, relay-only, TURN credentials ---------------------------------
if lab_up portrestricted masquerade; then
	if [ -n "$CONV" ]; then
		pair portrestricted masquerade nice nice direct \
			"SDP through natprobe's sdp_parse/sdp_write (CRLF, JSEP shape)" conv crlf
	else
		skip_msg="build/libnp.a missing (run make): libnice vs natprobe's SDP not checked"
		echo "SKIP $skip_msg"
	fi
	for ab in $AGENTS; do
		ak=${ab%%:*} bk=${ab##*:}
		# A gathers only its relay; its checks toward B's private host
		# candidates go out of coturn into the blackhole, the allocation
		# must survive them
		pair portrestricted masquerade "$ak" "$bk" relay "A relay-only" a:--relay-only
	done
fi
if lab_up symmetric symmetric; then
	for ab in $AGENTS; do
		ak=${ab%%:*} bk=${ab##*:}
		[ "$ak" = "$bk" ] || [ "${ICE_ROWS:-}" = all ] || continue
		# B's relay carries when A signals its srflx, so that B's TURN
		# permission covers A's public address (RFC 8656 §9). libnice
		# loses its srflx too when its Allocate fails (it only got it
		# from the Allocate response, see servers()): no pair then.
		exp=relay
		[ "$ak" = nice ] && exp=fail
		pair symmetric symmetric "$ak" "$bk" $exp "A with a wrong TURN password: no relay for A" \
			pw-a:wrong-password a-no-relay
		[ "$ak" = "$bk" ] || continue
		pair symmetric symmetric "$ak" "$bk" fail "both with a wrong TURN password: no relay, no pair" \
			pw-a:wrong-password pw-b:wrong-password a-no-relay a:--timeout a:8 b:--timeout b:8
	done
fi
t_end=$(date +%s)
echo "matrix and TURN cases took $((t_end - t_start)) s"
exit $fail
