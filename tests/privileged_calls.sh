#!/bin/sh
# privileged_calls.sh - fails if a privileged call appears anywhere in the C
# sources except probe/privilege.c (STYLE.md §7, as mtr's
# test/capability-drop.py guards its privileged code): capture handles
# (pcap_open_live, pcap_create, pcap_activate), identity changes
# (setuid, setgid, setgroups, setres*/setre*/sete*, initgroups),
# capabilities (capset, cap_set_proc) and raw or packet sockets
# (AF_PACKET, PF_PACKET, SOCK_RAW). Runs without root or network.
#   sh tests/privileged_calls.sh [ROOT]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${1:-$(dirname "$HERE")}
ALLOWED=probe/privilege.c

CALLS='(^|[^A-Za-z0-9_])(pcap_open_live|pcap_create|pcap_activate|setuid|setgid|setgroups|setresuid|setresgid|setreuid|setregid|seteuid|setegid|initgroups|capset|cap_set_proc)[[:space:]]*\('
NAMES='(^|[^A-Za-z0-9_])(AF_PACKET|PF_PACKET|SOCK_RAW|SYS_capset|__NR_capset)([^A-Za-z0-9_]|$)'

# scan DIR...: prints file:line:text of every offending line outside ALLOWED.
scan() {
	find "$@" -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort |
	while read -r f; do
		case "$f" in */$ALLOWED | $ALLOWED) continue ;; esac
		grep -nE "$CALLS|$NAMES" "$f" /dev/null
	done
}

fail=0
# The checker must catch what it is for: a planted call is found.
self=$(mktemp -d)
mkdir -p "$self/probe"
printf 'static void f(void) { setuid(0); }\n' >"$self/probe/planted.c"
printf 'int s = socket(AF_PACKET, SOCK_RAW, 0);\n' >"$self/probe/planted2.c"
printf '/* talks about setuid but calls nothing */\n' >"$self/probe/clean.c"
found=$(cd "$self" && scan probe | wc -l)
rm -rf "$self"
if [ "$found" != 2 ]; then
	echo "FAIL privileged_calls: the checker found $found planted lines, want 2"
	fail=1
else
	echo "ok   privileged_calls: the checker finds planted calls"
fi

cd "$ROOT" || exit 1
if ! grep -qE "$CALLS" "$ALLOWED"; then
	echo "FAIL privileged_calls: $ALLOWED has no privileged call (moved?)"
	fail=1
fi
out=$(scan probe analyzers reports tests)
if [ -n "$out" ]; then
	echo "FAIL privileged calls outside $ALLOWED:"
	echo "$out"
	fail=1
else
	echo "ok   privileged calls appear only in $ALLOWED"
fi
exit $fail
