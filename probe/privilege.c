/*
 * privilege.c - opening the capture handle and dropping privilege: the only
 * file with privileged calls (see privilege.h, STYLE.md §7).
 */
#include "privilege.h"
#include "np_err.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Reads "Name:\t<hex>" from /proc/self/status. */
static int status_hex(const char *name, uint64_t *v)
{
	char line[256];
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "re");
	int rc = NP_ENOTFOUND;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			*v = strtoull(line + n + 1, NULL, 16);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

int np_priv_can_capture(char *why, size_t wlen)
{
	uint64_t eff = 0;

	if (geteuid() == 0)
		return 0;
	if (status_hex("CapEff", &eff) == 0 && (eff >> CAP_NET_RAW) & 1)
		return 0;
	snprintf(why, wlen,
		 "--capture needs root or CAP_NET_RAW, and this process (uid %u) "
		 "has neither: run it with sudo, or grant the capability with "
		 "setcap cap_net_raw+ep natprobe",
		 (unsigned)geteuid());
	return NP_EINVAL;
}

int np_priv_pcap_open(const char *device, int snaplen, int buffer_size,
		      struct pcap **out, char *why, size_t wlen)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int rc;

	*out = NULL;
	p = pcap_create(device, errbuf);
	if (!p) {
		snprintf(why, wlen, "cannot capture on %s: %s", device, errbuf);
		return NP_EINVAL;
	}
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, 0);
	pcap_set_buffer_size(p, buffer_size);
	/* Deliver each packet at once, so the file follows the run. */
	pcap_set_immediate_mode(p, 1);
	rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(why, wlen, "cannot capture on %s: %s%s%s", device,
			 pcap_statustostr(rc), *pcap_geterr(p) ? ": " : "",
			 pcap_geterr(p));
		pcap_close(p);
		return rc == PCAP_ERROR_PERM_DENIED ? -EPERM : NP_EINVAL;
	}
	if (pcap_setnonblock(p, 1, errbuf) < 0) {
		snprintf(why, wlen, "capture on %s: %s", device, errbuf);
		pcap_close(p);
		return NP_EINVAL;
	}
	*out = p;
	return 0;
}

static int capset_zero(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	return (int)syscall(SYS_capset, &hdr, data);
}

int np_priv_pick(struct np_priv_target *who, char *why, size_t wlen)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	const struct passwd *pw;

	if (getuid() != 0 && geteuid() != 0) {
		/* Capabilities only (setcap): stay who we are. */
		who->uid = getuid();
		who->gid = getgid();
		snprintf(who->name, sizeof(who->name), "uid %u", (unsigned)who->uid);
		return 0;
	}
	if (su && sg && atol(su) > 0 && atol(sg) > 0) {
		who->uid = (uid_t)atol(su);
		who->gid = (gid_t)atol(sg);
		snprintf(who->name, sizeof(who->name), "%s (uid %u, from sudo)",
			 getenv("SUDO_USER") ? getenv("SUDO_USER") : "sudo user",
			 (unsigned)who->uid);
		return 0;
	}
	pw = getpwnam("nobody");
	if (!pw || pw->pw_uid == 0) {
		snprintf(why, wlen, "cannot drop root: no user \"nobody\" to become");
		return NP_EINTERNAL;
	}
	who->uid = pw->pw_uid;
	who->gid = pw->pw_gid;
	snprintf(who->name, sizeof(who->name), "nobody (uid %u)", (unsigned)who->uid);
	return 0;
}

static int verify(const struct np_priv_target *who, char *why, size_t wlen)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	uint64_t eff = 1, prm = 1;

	if (getresuid(&r, &e, &s) < 0 || r != who->uid || e != who->uid ||
	    s != who->uid) {
		snprintf(why, wlen, "uid is %u/%u/%u, not %u after dropping",
			 (unsigned)r, (unsigned)e, (unsigned)s, (unsigned)who->uid);
		return NP_EINTERNAL;
	}
	if (getresgid(&rg, &eg, &sg) < 0 || rg != who->gid || eg != who->gid ||
	    sg != who->gid) {
		snprintf(why, wlen, "gid is %u/%u/%u, not %u after dropping",
			 (unsigned)rg, (unsigned)eg, (unsigned)sg, (unsigned)who->gid);
		return NP_EINTERNAL;
	}
	if (who->uid != 0 && setuid(0) == 0) {
		snprintf(why, wlen, "setuid(0) succeeded after dropping root");
		return NP_EINTERNAL;
	}
	if (who->gid != 0 && setgid(0) == 0) {
		snprintf(why, wlen, "setgid(0) succeeded after dropping root");
		return NP_EINTERNAL;
	}
	if (status_hex("CapEff", &eff) < 0 || status_hex("CapPrm", &prm) < 0) {
		snprintf(why, wlen, "cannot read capabilities from /proc/self/status");
		return NP_EINTERNAL;
	}
	if (eff || prm) {
		snprintf(why, wlen,
			 "capabilities remain after dropping (CapEff %016" PRIx64
			 ", CapPrm %016" PRIx64 ")", eff, prm);
		return NP_EINTERNAL;
	}
	return 0;
}

int np_priv_drop(struct np_priv_target *who, char *why, size_t wlen)
{
	int err = np_priv_pick(who, why, wlen);

	if (err < 0)
		return err;
	if (geteuid() == 0 || getuid() == 0) {
		/* The bounding set first, while CAP_SETPCAP is still held, so
		 * nothing run later can regain a capability. */
		for (unsigned long cap = 0; cap <= CAP_LAST_CAP; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
			    errno != EINVAL) {
				snprintf(why, wlen, "dropping capability %lu from the bounding set: %s",
					 cap, strerror(errno));
				return NP_EINTERNAL;
			}
		if (setgroups(1, &who->gid) < 0) {
			snprintf(why, wlen, "setgroups: %s", strerror(errno));
			return NP_EINTERNAL;
		}
		if (setresgid(who->gid, who->gid, who->gid) < 0) {
			snprintf(why, wlen, "setresgid(%u): %s", (unsigned)who->gid,
				 strerror(errno));
			return NP_EINTERNAL;
		}
		if (setresuid(who->uid, who->uid, who->uid) < 0) {
			snprintf(why, wlen, "setresuid(%u): %s", (unsigned)who->uid,
				 strerror(errno));
			return NP_EINTERNAL;
		}
	}
	/* Leaving uid 0 clears the permitted and effective sets already;
	 * capset also clears the inheritable set, and capabilities granted by
	 * setcap are cleared here. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (capset_zero() < 0) {
		snprintf(why, wlen, "capset: %s", strerror(errno));
		return NP_EINTERNAL;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, wlen, "no_new_privs: %s", strerror(errno));
		return NP_EINTERNAL;
	}
	return verify(who, why, wlen);
}
