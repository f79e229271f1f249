#!/bin/sh
# Integration test of the live dashboard (`natprobe nat|stun --dashboard`)
# in a real terminal: tmux gives one even where CI has none. A natprobe
# serve on loopback is the server. Reads the screen with capture-pane and
# checks the panels, a verdict and RTTs appearing, the redraw after a
# resize, q and Ctrl-C ending the run with the terminal restored and the
# (partial) report printed, "too small" at 50x12, the stun legs, and no
# dashboard when stdout is not a terminal; then `natprobe ice` against a
# second natprobe: candidates, pairs, the selected pair, DTLS, media and
# the data channel on the screen, and q. Every wait is bounded.
set -u
NATPROBE=${NATPROBE:-./natprobe}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	echo "SKIP: it_dashboard needs tmux (make deps installs it)"
	exit 0
fi
case $NATPROBE in
/*) ;;
*) NATPROBE=$(cd "$(dirname "$NATPROBE")" && pwd)/$(basename "$NATPROBE") ;;
esac

# Our own tmux server (its own socket), so no one else's session is
# touched; it goes with the test.
TM="tmux -L np-dash-$$ -f /dev/null"
trap '$TM kill-server 2>/dev/null; cleanup' EXIT INT TERM

# Ports from the PID: serve takes P, P+1 and TLSP, TLSP+1.
BASE=$((24000 + ($$ % 2000) * 6))
P=$BASE; TLSP=$((BASE + 2)); SILENT=$((BASE + 4))
$NATPROBE serve --listen 127.0.0.1 --listen 127.0.0.2 --port "$P" \
	--tls-port "$TLSP" --duration 180 --quiet >"$tmp/serve.log" 2>&1 &
pids="$pids $!"
# A server that answers with the wrong transaction ID: a leg that stays
# in flight until --timeout.
$PY "$HERE/peers/garbage_server.py" "$SILENT" wrongtid >/dev/null 2>&1 &
pids="$pids $!"
wait_stun "stun:127.0.0.1:$P" ||
	{ echo "FAIL natprobe serve did not come up"; cat "$tmp/serve.log"; exit 1; }

# The command in the pane: natprobe, then its exit code, whether the tty
# is back in canonical mode with echo, and a pause so the screen stays.
cat >"$tmp/run.sh" <<EOF
#!/bin/sh
export LC_ALL=C.UTF-8
unset CI
# Like an interactive shell, survive the Ctrl-C meant for natprobe (a
# handler, not an ignore: natprobe must not inherit SIG_IGN).
trap 'echo' INT
"$NATPROBE" "\$@"
echo "EXIT=\$?"
if stty -a | grep -Eq -- '-icanon|-echo( |;|\$)'; then echo TTY=raw; else echo TTY=sane; fi
sleep 60
EOF

# start NAME COLSxROWS ARGS...: natprobe ARGS in a new detached pane.
start() {
	name=$1 cols=${2%x*} rows=${2#*x}; shift 2
	$TM new-session -d -s "$name" -x "$cols" -y "$rows" sh "$tmp/run.sh" "$@"
}
# screen NAME: the pane now, with its scrollback.
screen() { $TM capture-pane -p -S -200 -t "$1" 2>/dev/null; }
# wait_for NAME REGEX [TENTHS]: until the pane shows it (default 10 s).
wait_for() {
	n=0; lim=${3:-100}
	while [ $n -lt "$lim" ]; do
		screen "$1" >"$tmp/screen" && grep -Eq -- "$2" "$tmp/screen" && return 0
		n=$((n + 1)); sleep 0.1
	done
	return 1
}
# check NAME REGEX WHAT [TENTHS]
check() {
	if wait_for "$1" "$2" "${4:-100}"; then ok "$1: $3"
	else bad "$1: $3 (no /$2/)"; sed 's/^/    | /' "$tmp/screen"; fi
}

NAT="nat --dashboard --lifetime=8 --tls-port $TLSP stun:127.0.0.1:$P"

# 1. The full picture at 80x24, a resize, then q mid-run.
start quit 80x24 $NAT
check quit "^ natprobe nat  stun:127\.0\.0\.1:$P .* running" "header with command, server, elapsed"
check quit "^Tests  [0-9]+ in flight, [0-9]+ done" "tests panel"
check quit "\| NAT IPv4  via stun:127\.0\.0\.1:$P" "classification panel"
check quit "mapping +endpoint-independent \(high\)" "mapping verdict resolved"
check quit "filtering +endpoint-independent" "filtering verdict resolved"
check quit "map\.1 +[0-9]+ ok +[0-9]+\.[0-9]{2}\|" "a test row with its RTT"
check quit "mapped +127\.0\.0\.1:[0-9]+  RTT [0-9.]+ ms" "mapped address and RTT"
check quit "^Findings  [0-9]+" "findings panel"
check quit "^ q quit  p pause  (↑↓|\^v) scroll" "key help"
cp "$tmp/screen" "$tmp/screen-80x24"
$TM resize-window -t quit -x 100 -y 30
if wait_for quit "^ natprobe nat .{60,} running$" 50 &&
   [ "$($TM capture-pane -p -t quit | sed -n 30p | grep -c 'q quit')" = 1 ]; then
	ok "quit: redrawn at 100x30 (header to column 100, help on row 30)"
else
	bad "quit: no redraw at 100x30"; $TM capture-pane -p -t quit | sed 's/^/    | /'
fi
$TM send-keys -t quit q
check quit "^EXIT=[01]$" "q ends the run" 50
check quit "^TTY=sane$" "terminal restored after q"
check quit "the run was stopped after [0-9.]+ s \(q\): results are partial" "report notes the partial run"
check quit "^  mapping +endpoint-independent \(confidence" "the report printed after the dashboard"

# 2. Ctrl-C: SIGINT through the loop, same clean end.
start intr 80x24 $NAT
check intr "mapping +endpoint-independent" "dashboard up"
$TM send-keys -t intr C-c
check intr "^EXIT=[01]$" "Ctrl-C ends the run" 50
check intr "^TTY=sane$" "terminal restored after Ctrl-C"
check intr "stopped after [0-9.]+ s \(interrupted\)" "report notes the interruption"

# 3. Too small, then big enough.
start small 50x12 $NAT
check small "^terminal too small \(need 60x16\)$" "50x12 says too small"
check small "^now 50x12; q quits" "names the size it has"
$TM resize-window -t small -x 80 -y 24
check small "NAT IPv4" "the dashboard appears once it fits" 50
$TM send-keys -t small q
check small "^TTY=sane$" "q from a resized pane" 50

# 4. stun: the legs panel, one leg left in flight until --timeout; the run
# ends by itself and the full report follows.
start stun 80x24 stun --dashboard --timeout 3 "stun:127.0.0.1:$P" \
	"stun:127.0.0.1:$P?transport=tcp" "stun:127.0.0.1:$SILENT"
check stun "\| STUN legs  [0-9]" "legs panel"
check stun "ok +stun:127\.0\.0\.1:$P udp" "a leg that answered"
check stun "mapped 127\.0\.0\.1:[0-9]+  RTT [0-9.]+ ms" "its mapped address and RTT"
check stun "waiting +stun:127\.0\.0\.1:$SILENT" "the silent leg in flight"
check stun "^EXIT=[0-3]$" "the run ends by itself" 100
check stun "^TTY=sane$" "terminal restored"
check stun "no response|matched no request" "the report follows"
if grep -q "results are partial" "$tmp/screen"; then
	bad "stun: a complete run was called partial"
else
	ok "stun: a complete run is not called partial"
fi

# 5. Never without a terminal, or with CI=true.
$NATPROBE nat --dashboard --no-sizes --no-hops --tls-port "$TLSP" \
	"stun:127.0.0.1:$P" >"$tmp/out" 2>"$tmp/err"
if grep -q "no dashboard: stdout is not a terminal" "$tmp/err" &&
   grep -q "^  mapping" "$tmp/out" && ! grep -q "$(printf '\033')\[" "$tmp/out"; then
	ok "no tty: no dashboard, plain report"
else
	bad "no tty: dashboard or no report"; cat "$tmp/err"
fi
$TM new-session -d -s ci -x 80 -y 24 "CI=true $NATPROBE stun --dashboard stun:127.0.0.1:$P 2>&1; echo EXIT=\$?; sleep 60"
check ci "no dashboard: CI=true" "CI=true: no dashboard" 50
check ci "status +ok" "CI=true: the report" 50

# 6. ice: the ICE/WebRTC panels, live, against a second natprobe
# answering on loopback (description files in $tmp). This run ends by
# itself after its probe stream (4 s); the next one is stopped with q.
# ice_peer NAME MEDIA: a fresh answering natprobe for run NAME.
ice_peer() {
	mkdir -p "$tmp/$1"
	$NATPROBE ice --answer --loopback --no-tcp --timeout 20 --media "$2" \
		--local "$tmp/$1/a.sdp" --remote "$tmp/$1/o.sdp" >"$tmp/$1/answer.log" 2>&1 &
	pids="$pids $!"
}
ice_peer ice 4
start ice 80x24 ice --dashboard --offer --loopback --no-tcp --timeout 15 \
	--media 4 --local "$tmp/ice/o.sdp" --remote "$tmp/ice/a.sdp"
check ice "^ natprobe ice  $tmp/ice/a\.sdp .* running" "header names the run"
check ice "^ICE controlling  connected" "agent state"
check ice "^Candidates  [1-9][0-9]* local, [1-9][0-9]* remote" "candidates counted"
check ice "^ udp +[1-9][0-9]* +0 +0 +0 " "host candidates over UDP"
check ice "^ \+ host  udp [0-9\[]" "latest candidates with their address"
check ice "^Pairs [1-9][0-9]*: [1-9][0-9]* ok" "pairs succeeded"
check ice "^ +[0-9]+ host->host +succeeded  \* +[0-9]+\.[0-9]{2}\|" "the selected pair first, with its RTT"
check ice "\| Selected  udp  RTT [0-9.]+ ms" "selected pair"
check ice "\|   -> host [0-9\[]" "its remote candidate"
check ice "\| DTLS      connected \((client|server)\) [0-9.]+ ms" "DTLS connected"
check ice "\| +DTLSv1\.2 SRTP_" "DTLS version and SRTP profile"
check ice "\| Media     sent [1-9][0-9]*  peer loss" "media figures" 30
check ice "\| Data      [1-9][0-9]*/[1-9][0-9]* echoed  RTT" "data channel probe" 30
check ice "^Findings  [1-9]" "findings"
check ice "^ q quit  p pause  \* selected  n nominated" "key help"
cp "$tmp/screen" "$tmp/screen-ice-80x24"
[ -n "${DASH_SCREEN_OUT:-}" ] && cp "$tmp/screen" "$DASH_SCREEN_OUT"
check ice "^EXIT=0$" "the ice run ends by itself, passing" 150
check ice "^TTY=sane$" "terminal restored"
check ice "^ICE \(controlling\): completed" "the ICE report printed after the dashboard"
check ice "^Data channel: [1-9][0-9]* of [1-9][0-9]* probe messages echoed" "the data channel in the report"
if grep -q "results are partial" "$tmp/screen"; then
	bad "ice: a complete run was called partial"
else
	ok "ice: a complete run is not called partial"
fi

# 7. ice and q, while the probe stream (30 s) still runs. The session
# leaves its loop on the dashboard's np_loop_stop only once
# probe/ice_session.c checks np_loop_stopped.
if grep -q np_loop_stopped "$ROOT/probe/ice_session.c" 2>/dev/null; then
	ice_peer iceq 30
	start iceq 80x24 ice --dashboard --offer --loopback --no-tcp --timeout 40 \
		--media 30 --local "$tmp/iceq/o.sdp" --remote "$tmp/iceq/a.sdp"
	check iceq "\| Media     sent [1-9][0-9]*  peer loss" "iceq: media running" 50
	$TM send-keys -t iceq q
	check iceq "^EXIT=[01]$" "q ends the ice run" 50
	check iceq "^TTY=sane$" "terminal restored after q"
	check iceq "the run was stopped after [0-9.]+ s \(q\): results are partial" "report notes the partial ice run"
else
	echo "SKIP ice q: probe/ice_session.c does not leave its loop on np_loop_stop (np_loop_stopped)"
fi

exit $fail
