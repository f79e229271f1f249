#!/bin/sh
# make install honours PREFIX and DESTDIR and installs the binary and the
# man page, which renders without groff warnings.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
make -s -C "$ROOT" install PREFIX=/opt/np DESTDIR="$tmp/root" >"$tmp/out" 2>&1 ||
	{ bad "make install"; cat "$tmp/out"; exit 1; }
if [ -x "$tmp/root/opt/np/bin/natprobe" ] &&
   "$tmp/root/opt/np/bin/natprobe" --version | grep -q '^natprobe '; then
	ok "binary in DESTDIR/PREFIX/bin runs"
else
	bad "binary not installed under DESTDIR/PREFIX/bin"
fi
man=$tmp/root/opt/np/share/man/man1/natprobe.1
if [ ! -f "$man" ]; then
	bad "man page not installed at $man"
elif ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: groff missing, man page not rendered"
elif groff -man -Tascii -P-bcu -ww "$man" 2>"$tmp/warn" | grep -q "EXIT STATUS" && [ ! -s "$tmp/warn" ]; then
	ok "man page installed and renders without warnings"
else
	bad "man page rendering"; cat "$tmp/warn"
fi
exit $fail
