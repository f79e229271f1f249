#!/bin/sh
# Benchmark (issue 7 item 8): SRTP protect + unprotect packets per second,
# natprobe's srtp_session against libsrtp2 on the same machine, in one run,
# printing both and the ratio, for the four DTLS-SRTP profiles at 160- and
# 1200-byte payloads (tests/srtp_bench.c).
#
#   sh tests/bench_srtp.sh                   9 rounds of <= 0.1 CPU-s a side
#   SECS=0.5 ROUNDS=15 sh tests/bench_srtp.sh  steadier figures
#   WINDOW=1024 sh tests/bench_srtp.sh       libsrtp2 loop with natprobe's
#                                            replay window (default: 128)
#
# Times are CPU time of the benchmarking thread, and the ratio is the
# median over rounds of natprobe/libsrtp2 from two adjacent runs: on a
# shared, loaded machine wall-clock rates swing by 2-3x between runs.
#
# The libsrtp2 column: libsrtp's own timing tool (test/srtp_driver -t) is
# not packaged by Debian 12 (libsrtp2-1 has the shared library only,
# libsrtp2-dev the public headers and libsrtp2.a), it is built only from
# the source tree and needs libsrtp's private headers (srtp_priv.h), and
# this machine's apt has no deb-src entries for `apt-get source`. So the
# comparison is a minimal loop on libsrtp2's public API (srtp_protect then
# srtp_unprotect, SSRC-specific policies, no per-packet work besides the
# copy and the sequence number both sides do). The ratio therefore shows
# exactly natprobe's overhead on top of libsrtp2 itself.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
CC=${CC:-cc}
BUILD=${BUILD:-build}
N=${N:-2000000}
SECS=${SECS:-0.1}
ROUNDS=${ROUNDS:-9}
WINDOW=${WINDOW:-0}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! pkg-config --exists libsrtp2; then
	echo "bench_srtp: SKIP: libsrtp2-dev is not installed"; exit 0
fi
( cd "$TOP" && make -s -j2 BUILD="$BUILD" "$BUILD/libnp.a" ) || {
	echo "bench_srtp: cannot build $BUILD/libnp.a"; exit 1; }
# shellcheck disable=SC2046
$CC -std=gnu11 -O2 -D_GNU_SOURCE -I"$TOP/probe" -o "$tmp/srtp_bench" \
	"$HERE/srtp_bench.c" "$TOP/$BUILD/libnp.a" \
	$(pkg-config --libs openssl jansson libpcap ncursesw libsrtp2 usrsctp) \
	-lm || { echo "bench_srtp: cannot build tests/srtp_bench.c"; exit 1; }

echo "SRTP protect+unprotect, one core, $ROUNDS rounds of <= ${SECS} CPU-s / $N packets a side"
echo "libsrtp2 $(pkg-config --modversion libsrtp2) (Debian $(dpkg-query -W -f='${Version}' libsrtp2-1 2>/dev/null)):" \
	"minimal public-API loop, not srtp_driver (not shipped by Debian)"
run=""
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	run="taskset -c $(($(nproc) - 1))"
fi
$run "$tmp/srtp_bench" -n "$N" -t "$SECS" -r "$ROUNDS" -w "$WINDOW"
