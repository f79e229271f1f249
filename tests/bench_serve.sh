#!/bin/sh
# Benchmark: natprobe serve against coturn as a plain STUN server, UDP on
# loopback, each pinned to one core with the load generator
# (tests/stunload.c) on another, the same request count for each.
#
#   sh tests/bench_serve.sh            N=1000000 SOCKS=16 by default
#   N=200000 sh tests/bench_serve.sh   a quicker run
#
# Three servers, one after the other:
#   natprobe        natprobe serve as shipped
#   natprobe-nogso  natprobe serve with NATPROBE_SERVE_NO_GSO=1: one send per
#                   datagram, the case of many clients sending one request
#                   each (UDP GSO can only group answers to one client)
#   coturn          turnserver --stun-only, no auth, UDP only, one thread
# For each: REPEAT flat-out runs of N requests (the best counts: resp/s and
# loss), then a paced run at PACED requests/s (default 100000), which must
# lose nothing. Prints the ratios to coturn and natprobe serve's peak RSS
# (VmHWM). The load generator spins, sends in GSO bursts of 32 per socket
# and rotates over SOCKS sockets.
set -u
NATPROBE=${NATPROBE:-./natprobe}
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
N=${N:-1000000}
SOCKS=${SOCKS:-16}
WINDOW=${WINDOW:-256}
PACED=${PACED:-100000}
REPEAT=${REPEAT:-3}
. "$HERE/lib.sh"

if [ ! -x "$NATPROBE" ]; then
	echo "bench_serve: no natprobe at $NATPROBE (make first)"; exit 1
fi
$CC -O2 -D_GNU_SOURCE -o "$tmp/stunload" "$HERE/stunload.c" || {
	echo "bench_serve: cannot build tests/stunload.c"; exit 1; }

# Server on the last CPU, load on the first; no pinning on one CPU.
ncpu=$(nproc 2>/dev/null || echo 1)
if [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
	SRV="taskset -c $((ncpu - 1))"; GEN="taskset -c 0"
	echo "cores: server on CPU $((ncpu - 1)), load generator on CPU 0"
else
	SRV=""; GEN=""
	echo "note: one CPU or no taskset: server and load share the machine"
fi

P=$((46000 + ($$ % 500) * 10))

# wait_up PORT: until a server answers there (bounded, 10 s).
wait_up() {
	i=0
	while [ $i -lt 100 ]; do
		$tmp/stunload -a 127.0.0.1 -p "$1" -n 5 -t 0.5 -T 100 2>/dev/null |
			grep -q "received=5" && return 0
		i=$((i + 1)); sleep 0.1
	done
	return 1
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"; }

# run NAME PORT PID: the flat-out and paced runs against a started server.
run() {
	name=$1 port=$2 spid=$3
	if ! wait_up "$port"; then
		echo "$name: not answering on 127.0.0.1:$port"; return 1
	fi
	# Best of REPEAT flat-out runs: other load on the machine only ever
	# slows a run down.
	best=0
	r=0
	while [ $r -lt "$REPEAT" ]; do
		$GEN "$tmp/stunload" -a 127.0.0.1 -p "$port" -n "$N" -t 120 \
			-c "$SOCKS" -w "$WINDOW" >"$tmp/$name.run$r"
		rate=$(field resp_per_s "$tmp/$name.run$r")
		if [ "${rate:-0}" -gt "$best" ]; then
			best=$rate
			cp "$tmp/$name.run$r" "$tmp/$name.flat"
		fi
		l=$(field lost "$tmp/$name.run$r")
		[ "${l:-1}" = 0 ] || echo "LOSS: $name run $r: $(cat "$tmp/$name.run$r")"
		r=$((r + 1))
	done
	$GEN "$tmp/stunload" -a 127.0.0.1 -p "$port" -n $((PACED * 2)) -t 30 \
		-c "$SOCKS" -w "$WINDOW" -r "$PACED" >"$tmp/$name.paced"
	eval "rate_$(echo "$name" | tr - _)=\$(field resp_per_s \"\$tmp/\$name.flat\")"
	printf '%-15s flat out: %s\n' "$name" "$(cat "$tmp/$name.flat")"
	printf '%-15s %d/s:    %s\n' "$name" "$PACED" "$(cat "$tmp/$name.paced")"
	if [ -r "/proc/$spid/status" ]; then
		grep VmHWM "/proc/$spid/status" | sed "s/^/$name /"
	fi
}

# natprobe serve, then again without GSO.
for mode in natprobe natprobe-nogso; do
	P=$((P + 10))
	if [ $mode = natprobe-nogso ]; then nogso=1; else nogso=0; fi
	NATPROBE_SERVE_NO_GSO=$nogso $SRV $NATPROBE serve --listen 127.0.0.1 \
		--port "$P" --no-tcp --no-tls --rate 0 --quiet --duration 600 &
	spid=$!
	pids="$spid"
	run "$mode" "$P" "$spid"
	kill "$spid"; wait "$spid" 2>/dev/null
	pids=""
done

rate_coturn=""
if command -v turnserver >/dev/null 2>&1; then
	P=$((P + 10))
	# --stun-only: no TURN; -z: no auth; UDP only; one relay thread; no
	# CLI. RFC 5780 needs two addresses, so with one it is off, as ours.
	$SRV turnserver -n --no-cli --stun-only -z --no-tcp --no-tls --no-dtls \
		-L 127.0.0.1 -p "$P" -m 1 --no-stdout-log \
		--log-file "$tmp/turn.log" --simple-log \
		--pidfile "$tmp/turn.pid" >/dev/null 2>&1 &
	spid=$!
	pids="$spid"
	run coturn "$P" "$spid"
	kill "$spid"; wait "$spid" 2>/dev/null
	pids=""
else
	echo "note: no turnserver (coturn): natprobe serve alone"
fi

echo
printf 'natprobe serve         %8.0f responses/s\n' "${rate_natprobe:-0}"
printf 'natprobe serve, no GSO %8.0f responses/s\n' "${rate_natprobe_nogso:-0}"
if [ -n "$rate_coturn" ]; then
	printf 'coturn                 %8.0f responses/s\n' "$rate_coturn"
	awk -v a="${rate_natprobe:-0}" -v b="${rate_natprobe_nogso:-0}" -v c="$rate_coturn" \
		'BEGIN { if (c > 0) printf "ratio to coturn: %.2fx (no GSO: %.2fx)\n", a / c, b / c }'
fi
for f in "$tmp"/*.paced; do
	l=$(field lost "$f")
	[ "${l:-1}" = 0 ] || echo "LOSS: $(basename "$f"): $(cat "$f")"
done
exit 0
