#!/bin/sh
# Integration test of natprobe's DTLS-SRTP (probe/dtls.c) against real
# peers on loopback UDP, through tests/dtls_driver.c:
#   - OpenSSL 3.0 s_server and s_client (-dtls1_2 -use_srtp), natprobe in
#     the client and in the server role, each of the four SRTP profiles;
#   - GnuTLS 3.7 gnutls-serv and gnutls-cli (--udp --srtp-profiles), both
#     roles, the two AES-CM profiles (GnuTLS 3.7 has no GCM ones).
# Each run must complete the handshake, agree on the profile asked for, and
# export the same RFC 5764 keying material the peer prints (-keymatexport,
# --keymatexport; gnutls-serv cannot print it, so there the echoed
# application data proves the keys instead). Then the refusals: a peer
# fingerprint with one bit flipped is refused as a possible man in the
# middle in either role, against both libraries, and a peer that does not
# agree to use_srtp fails the handshake. Last, --keylog lines written
# during a run decrypt that run's capture in tshark, when tshark can
# capture on loopback.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: it_dtls needs the openssl command (make deps installs openssl)"
	exit 0
fi
if [ ! -f "$ROOT/build/libnp.a" ]; then
	echo "SKIP: it_dtls needs build/libnp.a (run make first)"
	exit 0
fi
have_gnutls=1
command -v gnutls-serv >/dev/null 2>&1 && command -v gnutls-cli >/dev/null 2>&1 ||
	have_gnutls=0

DRIVER=$tmp/dtls_driver
cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I"$ROOT/probe" \
	-o "$DRIVER" "$HERE/dtls_driver.c" "$ROOT/build/libnp.a" \
	$(pkg-config --libs openssl jansson libsrtp2) -lm ||
	{ echo "FAIL cannot build tests/dtls_driver.c"; exit 1; }

# The peers' identity: an ECDSA P-256 self-signed certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=peer \
	>/dev/null 2>&1 || { echo "FAIL cannot make a test certificate"; exit 1; }
PEER_FP=$(openssl x509 -in "$tmp/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
# The same with its first bit flipped (first hex digit XOR 8).
first=$(printf %s "$PEER_FP" | cut -c1)
flipped=$(printf '%X' $(( 0x$first ^ 8 )))
BAD_FP="$flipped$(printf %s "$PEER_FP" | cut -c2-)"

used=$(ss -Hlnu 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
nport=0
pick_port() {
	k=0
	while [ $k -lt 500 ]; do
		p=$((20000 + (($$ * 13 + nport * 7 + k * 131) % 20000)))
		k=$((k + 1))
		echo "$used" | grep -qx "$p" && continue
		nport=$((nport + 1))
		used="$used
$p"
		echo $p
		return
	done
	echo 0
}

wait_udp() {
	_i=0
	while [ $_i -lt 50 ]; do
		ss -Hlnu 2>/dev/null | awk '{print $4}' | grep -q ":$1\$" && return 0
		_i=$((_i + 1)); sleep 0.1
	done
	return 1
}

# OpenSSL and GnuTLS spell the AES-CM profiles differently.
gnutls_name() {
	echo "$1" | sed 's/SRTP_AES128_CM_SHA1_/SRTP_AES128_CM_HMAC_SHA1_/'
}
keylen() {
	case $1 in
	*AES128_CM*) echo 60 ;;      # 2 * (16 + 14)
	*AES_128_GCM) echo 56 ;;     # 2 * (16 + 12)
	*AES_256_GCM) echo 88 ;;     # 2 * (32 + 12)
	esac
}

# Peers that read stdin must not see EOF (s_server gives up at once, a
# client closes): they read a FIFO this shell holds open (fd 3).
mkfifo "$tmp/hold" && exec 3<>"$tmp/hold" ||
	{ echo "FAIL cannot make a FIFO for the peers' stdin"; exit 1; }

MATRIX=""
record() { MATRIX="$MATRIX
  $1"; }
upper() { tr 'abcdef' 'ABCDEF'; }

# stop PID: ends a peer we started, and waits for it.
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

drv_out() { sed 's/^/     | /' "$1"; }

# natprobe client -> openssl s_server
openssl_server() {   # PROFILE [EXPECTED_FP] [SERVER_PROFILE]
	prof=$1; fp=${2:-$PEER_FP}; sprof=${3:-$1}
	: >"$tmp/drv.out"; : >"$tmp/peer.out"
	port=${FIXED_PORT:-$(pick_port)}
	stdbuf -oL openssl s_server -dtls1_2 -accept 127.0.0.1:$port \
		-cert "$tmp/cert.pem" -key "$tmp/key.pem" -use_srtp "$sprof" \
		-keymatexport EXTRACTOR-dtls_srtp -keymatexportlen "$(keylen "$sprof")" \
		-naccept 1 -ign_eof <"$tmp/hold" >"$tmp/peer.out" 2>&1 &
	peer=$!
	pids="$pids $peer"
	wait_udp "$port" || { echo "     | s_server did not start"; stop $peer; return 1; }
	timeout 20 "$DRIVER" -r client -p 127.0.0.1:$port -f "$fp" -P "$prof" \
		-T 8 -e "$tmp/events.jsonl" ${KEYLOG:+-k "$KEYLOG"} >"$tmp/drv.out" 2>&1
	rc=$?
	sleep 0.2
	stop $peer
	return $rc
}

# openssl s_client -> natprobe server
openssl_client() {   # PROFILE [EXPECTED_FP]
	prof=$1; fp=${2:-$PEER_FP}
	: >"$tmp/drv.out"; : >"$tmp/peer.out"
	port=$(pick_port)
	timeout 20 "$DRIVER" -r server -l "$port" -f "$fp" -P "$prof" -T 8 \
		-e "$tmp/events.jsonl" >"$tmp/drv.out" 2>&1 &
	drv=$!
	wait_udp "$port" || { echo "     | driver did not start"; stop $drv; return 1; }
	stdbuf -oL openssl s_client -dtls1_2 -connect 127.0.0.1:$port \
		-cert "$tmp/cert.pem" -key "$tmp/key.pem" -use_srtp "$prof" \
		-keymatexport EXTRACTOR-dtls_srtp -keymatexportlen "$(keylen "$prof")" \
		-ign_eof </dev/null >"$tmp/peer.out" 2>&1 &
	peer=$!
	pids="$pids $peer"
	wait $drv
	rc=$?
	sleep 0.2
	stop $peer
	return $rc
}

gnutls_server() {   # PROFILE [EXPECTED_FP]
	prof=$1; fp=${2:-$PEER_FP}
	: >"$tmp/drv.out"; : >"$tmp/peer.out"
	port=$(pick_port)
	stdbuf -oL gnutls-serv --udp -p "$port" --echo \
		--x509certfile "$tmp/cert.pem" --x509keyfile "$tmp/key.pem" \
		--srtp-profiles="$(gnutls_name "$prof")" >"$tmp/peer.out" 2>&1 &
	peer=$!
	pids="$pids $peer"
	wait_udp "$port" || { echo "     | gnutls-serv did not start"; stop $peer; return 1; }
	timeout 20 "$DRIVER" -r client -p 127.0.0.1:$port -f "$fp" -P "$prof" \
		-T 8 -e "$tmp/events.jsonl" >"$tmp/drv.out" 2>&1
	rc=$?
	stop $peer
	return $rc
}

gnutls_client() {   # PROFILE [EXPECTED_FP]
	prof=$1; fp=${2:-$PEER_FP}
	: >"$tmp/drv.out"; : >"$tmp/peer.out"
	port=$(pick_port)
	timeout 20 "$DRIVER" -r server -l "$port" -f "$fp" -P "$prof" -T 8 \
		-e "$tmp/events.jsonl" >"$tmp/drv.out" 2>&1 &
	drv=$!
	wait_udp "$port" || { echo "     | driver did not start"; stop $drv; return 1; }
	stdbuf -oL gnutls-cli --udp -p "$port" 127.0.0.1 --insecure \
		--x509certfile "$tmp/cert.pem" --x509keyfile "$tmp/key.pem" \
		--srtp-profiles="$(gnutls_name "$prof")" \
		--keymatexport=EXTRACTOR-dtls_srtp \
		--keymatexportsize="$(keylen "$prof")" <"$tmp/hold" >"$tmp/peer.out" 2>&1 &
	peer=$!
	pids="$pids $peer"
	wait $drv
	rc=$?
	sleep 0.2
	stop $peer
	return $rc
}

# check NAME PROFILE KEYMAT_PATTERN: the driver connected with the profile
# and its KEYMAT equals what the peer printed after the pattern.
check() {
	name=$1; prof=$2; pat=$3
	ours=$(sed -n 's/^KEYMAT //p' "$tmp/drv.out")
	ms=$(sed -n 's/^CONNECTED ms=\([0-9.]*\).*/\1/p' "$tmp/drv.out")
	if ! grep -q "^CONNECTED .*profile=$prof " "$tmp/drv.out"; then
		bad "$name $prof: no handshake with that profile"
		drv_out "$tmp/drv.out"; tail -5 "$tmp/peer.out" | sed 's/^/     peer| /'
		record "$name $prof FAIL"
		return
	fi
	if [ -n "$pat" ]; then
		theirs=$(sed -n "s/.*$pat *\([0-9A-Fa-f]*\).*/\1/p" "$tmp/peer.out" | head -1 | upper)
		if [ -z "$ours" ] || [ "$ours" != "$theirs" ]; then
			bad "$name $prof: keying material differs (ours ${ours:-none}, peer's ${theirs:-none})"
			record "$name $prof FAIL (keys)"
			return
		fi
		ok "$name $prof: handshake in $ms ms, $(printf %s "$ours" | wc -c | awk '{print $1/2}')-byte keying material equal to the peer's"
		record "$name $prof ok ${ms} ms, keys equal"
	else
		if grep -q "^DATA natprobe-hello" "$tmp/drv.out"; then
			ok "$name $prof: handshake in $ms ms, application data echoed back through the peer"
			record "$name $prof ok ${ms} ms, data echoed (peer prints no keys)"
		else
			bad "$name $prof: no echo from the peer"
			record "$name $prof FAIL (echo)"
		fi
	fi
}

PROFILES="SRTP_AES128_CM_SHA1_80 SRTP_AES128_CM_SHA1_32 SRTP_AEAD_AES_128_GCM SRTP_AEAD_AES_256_GCM"
for p in $PROFILES; do
	openssl_server "$p"
	check "natprobe client -> openssl s_server" "$p" "Keying material:"
	grep -q "natprobe-hello" "$tmp/peer.out" ||
		bad "openssl s_server $p did not receive natprobe's application data"
	openssl_client "$p"
	check "openssl s_client -> natprobe server" "$p" "Keying material:"
done
if [ $have_gnutls = 1 ]; then
	for p in SRTP_AES128_CM_SHA1_80 SRTP_AES128_CM_SHA1_32; do
		gnutls_server "$p"
		check "natprobe client -> gnutls-serv" "$p" ""
		gnutls_client "$p"
		check "gnutls-cli -> natprobe server" "$p" "Key material:"
	done
else
	echo "SKIP gnutls peers: gnutls-serv/gnutls-cli missing (make deps installs gnutls-bin)"
fi

# One bit of the expected fingerprint flipped: refused in either role.
mitm() {   # NAME
	if grep -q "^FAILED mitm=1 .*possible man in the middle" "$tmp/drv.out" &&
	   ! grep -q "^CONNECTED" "$tmp/drv.out"; then
		ok "$1: tampered fingerprint refused ($(sed -n 's/^FAILED mitm=1 err=\([A-Z_]*\).*/\1/p' "$tmp/drv.out"), possible man in the middle)"
		record "$1 tampered fingerprint: refused"
	else
		bad "$1: tampered fingerprint not refused"
		drv_out "$tmp/drv.out"
		record "$1 tampered fingerprint: NOT REFUSED"
	fi
}
openssl_server SRTP_AES128_CM_SHA1_80 "$BAD_FP"
mitm "natprobe client -> openssl s_server"
grep -qi "bad certificate" "$tmp/peer.out" &&
	ok "openssl s_server saw our bad_certificate alert" ||
	bad "openssl s_server did not report our alert"
openssl_client SRTP_AES128_CM_SHA1_80 "$BAD_FP"
mitm "openssl s_client -> natprobe server"
if [ $have_gnutls = 1 ]; then
	gnutls_server SRTP_AES128_CM_SHA1_80 "$BAD_FP"
	mitm "natprobe client -> gnutls-serv"
	gnutls_client SRTP_AES128_CM_SHA1_80 "$BAD_FP"
	mitm "gnutls-cli -> natprobe server"
fi

# A server that does not agree to use_srtp: the handshake must fail.
openssl_server SRTP_AES128_CM_SHA1_80 "$PEER_FP" SRTP_AEAD_AES_128_GCM
if grep -q "^FAILED .*did not agree to use_srtp" "$tmp/drv.out"; then
	ok "no common SRTP profile: handshake refused ($(sed -n 's/^FAILED.*reason=//p' "$tmp/drv.out" | cut -c1-140))"
else
	bad "no common SRTP profile not refused"
	drv_out "$tmp/drv.out"
fi

# --keylog: the lines decrypt the run in tshark (needs capture rights on lo).
if command -v tshark >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	KEYLOG=$tmp/keylog.txt
	FIXED_PORT=$(pick_port)
	timeout 30 tshark -q -i lo -f "udp port $FIXED_PORT" -w "$tmp/cap.pcapng" \
		>/dev/null 2>"$tmp/tshark.err" &
	tsh=$!
	pids="$pids $tsh"
	i=0   # wait (bounded) until it captures
	while [ $i -lt 100 ] && ! grep -q "Capturing on" "$tmp/tshark.err"; do
		sleep 0.1; i=$((i + 1))
	done
	openssl_server SRTP_AES128_CM_SHA1_80
	sleep 0.5
	stop $tsh
	unset KEYLOG FIXED_PORT
	# "natprobe-hello\n" as tshark prints decrypted data, in hex.
	hello=6e617470726f62652d68656c6c6f
	with=$(tshark -r "$tmp/cap.pcapng" -o "tls.keylog_file:$tmp/keylog.txt" \
		-d "udp.port==$port,dtls" -Y dtls -T fields -e data.data 2>/dev/null |
		grep -c "$hello")
	without=$(tshark -r "$tmp/cap.pcapng" -d "udp.port==$port,dtls" -Y dtls \
		-T fields -e data.data 2>/dev/null | grep -c "$hello")
	if grep -q "^CLIENT_RANDOM [0-9a-f]\{64\} [0-9a-f]\{96\}$" "$tmp/keylog.txt" &&
	   [ "$with" -ge 1 ] && [ "$without" = 0 ]; then
		ok "keylog: tshark decrypts natprobe-hello from the capture with the SSLKEYLOGFILE lines (and not without)"
	else
		bad "keylog: capture not decrypted with the keylog lines (with=$with without=$without)"
		head -2 "$tmp/keylog.txt"
	fi
else
	echo "SKIP keylog decryption: needs tshark and root to capture on lo"
fi

echo "-- profiles x peers (natprobe's handshake time as measured by natprobe)$MATRIX"
exit $fail
