#!/bin/sh
# bench_ice.sh - ICE from start to selected pair: two libnice agents
# (tests/peers/nice_peer.c, Debian's libnice) vs two natprobe agents
# (`natprobe ice`), on the same lab case: client behind portrestricted (the
# plain masquerade NAT, EIM + APDF) offering, peer behind its masquerade
# NAT answering, both with the same servers: STUN 203.0.113.10:3478 and
# TURN 203.0.113.10:3478 (UDP, natprobe/natprobe) on coturn.
#
#   sh tests/bench_ice.sh          BENCH_ICE_RUNS=N (default 5, at most 20)
#
# Per run, "selected" is when both agents have their pair: the later of the
# two, each measured from its own process start (libnice: component READY,
# i.e. the nominated pair selected; natprobe: ice.times_ms.selected).
# Prints every run, the medians side by side and the ratio. An extra row,
# libnice without --stun, shows what its 2 s gathering wait costs (with a
# TURN server set, libnice's Binding to the STUN server is never matched
# to coturn's answer and gathering waits for it to time out; the srflx
# comes from the Allocate response anyway). Needs root (the lab).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
NATLAB=$ROOT/fixtures/lab/natlab
PY=/usr/bin/python3
NATPROBE=${NATPROBE:-$ROOT/natprobe}
SRV=203.0.113.10
RUNS=${BENCH_ICE_RUNS:-5}
case $RUNS in '' | *[!0-9]*) RUNS=5 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || RUNS=5

[ "$(id -u)" = 0 ] || { echo "SKIP: bench_ice needs root and network namespaces"; exit 0; }
command -v turnserver >/dev/null 2>&1 || { echo "SKIP: bench_ice needs coturn"; exit 0; }
pkg-config --exists nice || { echo "SKIP: bench_ice needs libnice-dev"; exit 0; }

tmp=$(mktemp -d)
trap 'timeout 30 "$NATLAB" down >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

NICE=$tmp/nice_peer
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$NICE" "$HERE/peers/nice_peer.c" \
	"$HERE/peers/nice_opts.c" "$HERE/peers/nice_sig.c" $(pkg-config --cflags --libs nice) ||
	{ echo "FAIL cannot build tests/peers/nice_peer.c"; exit 1; }
have_np=no
if [ -x "$NATPROBE" ] && timeout 10 "$NATPROBE" ice --help >/dev/null 2>&1; then
	have_np=yes
	NATPROBE=$(cd "$(dirname "$NATPROBE")" && pwd)/$(basename "$NATPROBE")
fi

if ! out=$(NATLAB_PEER_NAT=masquerade timeout 30 "$NATLAB" up portrestricted 2>&1); then
	echo "FAIL natlab up portrestricted: $out"
	exit 1
fi

NICE_SRV="--stun $SRV:3478 --turn $SRV:3478 --user natprobe --password natprobe"
NP_SRV="--stun stun:$SRV:3478 --turn turn:$SRV:3478 --user natprobe --password natprobe"

# one KIND RUN EXTRA...: one pair; prints "A_ms B_ms gathered_ms wall_ms
# pair" or "fail ...". wall = from launching both agents to both exited
# (namespace entry, process start and teardown included).
one() {
	kind=$1 d=$tmp/$1.$2
	shift 2
	mkdir -p "$d"
	t0=$(date +%s%N)
	if [ "$kind" = natprobe ]; then
		# shellcheck disable=SC2068
		timeout 40 "$NATLAB" exec client "$NATPROBE" ice --offer --local "$d/o" --remote "$d/a" \
			$@ --timeout 20 --format json -o "$d/A.json" >"$d/A.log" 2>&1 &
		pa=$!
		# shellcheck disable=SC2068
		timeout 40 "$NATLAB" exec peer "$NATPROBE" ice --answer --local "$d/a" --remote "$d/o" \
			$@ --timeout 20 --format json -o "$d/B.json" >"$d/B.log" 2>&1 &
		pb=$!
	else
		# shellcheck disable=SC2068
		timeout 40 "$NATLAB" exec client "$NICE" --offer --local "$d/o" --remote "$d/a" \
			$@ --timeout 20 >"$d/A.json" 2>"$d/A.log" &
		pa=$!
		# shellcheck disable=SC2068
		timeout 40 "$NATLAB" exec peer "$NICE" --answer --local "$d/a" --remote "$d/o" \
			$@ --timeout 20 >"$d/B.json" 2>"$d/B.log" &
		pb=$!
	fi
	wait $pa $pb
	wall=$((($(date +%s%N) - t0) / 1000000))
	$PY - "$kind" "$wall" "$d/A.json" "$d/B.json" <<'EOF'
import json, sys
kind, wall, out = sys.argv[1], sys.argv[2], []
for path in sys.argv[3:]:
    try:
        with open(path) as f:
            t = f.read().strip()
        j = json.loads(t.splitlines()[0] if kind != 'natprobe' else t)
    except (OSError, ValueError, IndexError):
        print('fail no-report'); sys.exit(0)
    if kind == 'natprobe':
        ice = j.get('ice') or {}
        tm, sel = ice.get('times_ms') or {}, ice.get('selected')
        if ice.get('state') != 'completed' or not sel or tm.get('selected') is None:
            print('fail', ice.get('state')); sys.exit(0)
        g = max([tm.get(k) or 0 for k in ('first_host', 'first_srflx', 'first_relay')])
        out.append((tm['selected'], g, sel))
    else:
        if j.get('state') != 'ready':
            print('fail', j.get('reason')); sys.exit(0)
        out.append((j['t_ready_ms'], j['t_gathered_ms'], j['selected']))
(a, ga, s), (b, gb, _) = out
print('%d %d %d %s %s/%s->%s' % (a, b, max(ga, gb), wall, s['local']['type'],
                                 s['local']['protocol'], s['remote']['type']))
EOF
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

fail=0
# series NAME KIND EXTRA...: RUNS pairs; sets med_sel, med_gat
series() {
	name=$1 kind=$2
	shift 2
	: >"$tmp/sel"; : >"$tmp/gat"; : >"$tmp/wall"
	i=1
	while [ $i -le "$RUNS" ]; do
		# shellcheck disable=SC2068
		r=$(one "$kind" "$name$i" $@)
		case $r in
		fail*) echo "  $name run $i: FAIL ($r)"; fail=1 ;;
		*)
			read -r a b g w pr <<EOF
$r
EOF
			s=$a; [ "$b" -gt "$s" ] && s=$b
			echo "$s" >>"$tmp/sel"; echo "$g" >>"$tmp/gat"; echo "$w" >>"$tmp/wall"
			printf '  %-20s run %d: selected %5d ms (A %d, B %d), gathered %d ms, wall %d ms, pair %s\n' \
				"$name" $i "$s" "$a" "$b" "$g" "$w" "$pr" ;;
		esac
		i=$((i + 1))
	done
	med_sel=$(median <"$tmp/sel")
	med_gat=$(median <"$tmp/gat")
	med_wall=$(median <"$tmp/wall")
}

echo "ICE start -> selected pair, lab portrestricted (client) x masquerade (peer), coturn $SRV:3478, $RUNS runs each"
# shellcheck disable=SC2086
series libnice nice $NICE_SRV
lib_sel=$med_sel lib_gat=$med_gat lib_wall=$med_wall
# shellcheck disable=SC2086
series "libnice (no --stun)" nice --turn $SRV:3478 --user natprobe --password natprobe
lib2_sel=$med_sel lib2_gat=$med_gat lib2_wall=$med_wall
np_sel=- np_gat=- np_wall=-
if [ $have_np = yes ]; then
	# shellcheck disable=SC2086
	series natprobe natprobe $NP_SRV
	np_sel=$med_sel np_gat=$med_gat np_wall=$med_wall
else
	echo "  natprobe: not run ('$NATPROBE ice --help' does not exit 0)"
fi
echo
# gathered: libnice's candidate-gathering-done; natprobe's last of its
# first host/srflx/relay candidate times
printf '%-24s %12s %12s %12s\n' "median" "selected ms" "gathered ms" "wall ms"
printf '%-24s %12s %12s %12s\n' "libnice <-> libnice" "$lib_sel" "$lib_gat" "$lib_wall"
printf '%-24s %12s %12s %12s\n' "natprobe <-> natprobe" "$np_sel" "$np_gat" "$np_wall"
printf '%-24s %12s %12s %12s\n' "(libnice, no --stun)" "$lib2_sel" "$lib2_gat" "$lib2_wall"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "n/a"; else printf "%.1fx", a / b }'; }
echo "ratio libnice/natprobe = $(ratio "$lib_sel" "$np_sel") selected, $(ratio "$lib_wall" "$np_wall") wall (without libnice's --stun wait: $(ratio "$lib2_sel" "$np_sel") selected)"
exit $fail
