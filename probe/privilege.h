/*
 * privilege.h - the one place natprobe uses privilege.
 *
 * A capture needs root or CAP_NET_RAW for exactly one thing: opening the
 * pcap handle. natprobe opens it first, then drops to an unprivileged user
 * for good (no way back, no capabilities left, no new privileges through
 * exec) and verifies the drop before it parses a byte - the order mtr uses
 * (packet/packet.c: init_net_state_privileged, drop_elevated_permissions).
 *
 * Every privileged call (pcap_create/pcap_activate, setgroups, setresgid,
 * setresuid, capset) lives in privilege.c; tests/privileged_calls.sh fails
 * if one appears elsewhere.
 */
#ifndef PRIVILEGE_H
#define PRIVILEGE_H

#include <stddef.h>
#include <sys/types.h>

struct pcap;

/* 0 if this process may open a live capture (root or CAP_NET_RAW in its
 * effective set); otherwise NP_EINVAL and a sentence naming what is
 * missing in why. */
int np_priv_can_capture(char *why, size_t wlen);

/*
 * Opens and activates a live capture on device (e.g. "any"): snaplen,
 * kernel buffer of buffer_size bytes, immediate mode, non-blocking. On failure returns a negative code (-EPERM
 * when privilege was missing) with libpcap's reason in why.
 */
int np_priv_pcap_open(const char *device, int snaplen, int buffer_size,
		      struct pcap **out, char *why, size_t wlen);

/* Who the process becomes: SUDO_UID/SUDO_GID when root came from sudo,
 * else "nobody" (and its group). Decided before anything is dropped. */
struct np_priv_target {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Who np_priv_drop would become, without dropping anything: 0, or
 * NP_EINTERNAL (no "nobody" to become) with the reason in why. */
int np_priv_pick(struct np_priv_target *who, char *why, size_t wlen);

/*
 * Drops every privilege: supplementary groups, gid, uid (real, effective
 * and saved), capabilities (effective, permitted, inheritable, ambient and
 * the bounding set), and sets no_new_privs. Then verifies: becoming uid 0
 * or gid 0 again must fail, the ids must be the target's, CapEff and CapPrm in
 * /proc/self/status must be 0. A process that is neither root nor holds
 * capabilities has nothing to drop and passes the checks as it is.
 * Returns 0, or NP_EINTERNAL with the reason in why.
 */
int np_priv_drop(struct np_priv_target *who, char *why, size_t wlen);

#endif
