/*
 * capture_live.c - the live capture behind --capture (see capture_live.h).
 */
#include "capture_live.h"
#include "capture_hold.h"
#include "capture_write.h"
#include "np_err.h"
#include "privilege.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

struct capture_live {
	pcap_t *p;
	struct capture_writer *w;
	struct np_loop *loop;      /* borrowed, once started */
	int fd;
	uint32_t if_id;
	int err;                   /* first error, sticky */
	char why[256];
	struct sockaddr_storage hosts[CAPTURE_MAX_HOSTS];
	size_t nhosts;
	struct bpf_program prog;   /* "host A or host B", run in userland */
	int have_prog;
	struct capture_hold hold;
	void (*prev_on_add)(const struct obs *o, void *arg);
	void *prev_arg;
};

static int host_known(const struct capture_live *c,
		      const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < c->nhosts; i++)
		if (np_addr_ip_equal(&c->hosts[i], a))
			return 1;
	return 0;
}

static int add_host(struct capture_live *c, const struct sockaddr_storage *a)
{
	if ((a->ss_family != AF_INET && a->ss_family != AF_INET6) ||
	    host_known(c, a) || c->nhosts == CAPTURE_MAX_HOSTS)
		return 0;
	c->hosts[c->nhosts++] = *a;
	return 1;
}

/* Compiles "host A or host B" into c->prog, the userland test every
 * packet passes before it is written; with no host yet nothing passes. */
static int compile_hosts(struct capture_live *c)
{
	char expr[CAPTURE_MAX_HOSTS * 56 + 16] = "";
	size_t n = 0;
	struct bpf_program prog;

	if (c->nhosts == 0)
		return 0;
	for (size_t i = 0; i < c->nhosts; i++) {
		char ip[64], buf[80];

		np_addr_str(&c->hosts[i], buf, sizeof(buf));
		/* np_addr_str gives "A:port" or "[A]:port"; keep A. */
		if (buf[0] == '[') {
			snprintf(ip, sizeof(ip), "%s", buf + 1);
			*strchr(ip, ']') = 0;
		} else {
			snprintf(ip, sizeof(ip), "%s", buf);
			*strrchr(ip, ':') = 0;
		}
		n += (size_t)snprintf(expr + n, sizeof(expr) - n, "%shost %s",
				      i ? " or " : "", ip);
	}
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(c->why, sizeof(c->why), "capture filter \"%s\": %s",
			 expr, pcap_geterr(c->p));
		if (c->err == 0)
			c->err = NP_EINVAL;
		return c->err;
	}
	if (c->have_prog)
		pcap_freecode(&c->prog);
	c->prog = prog;
	c->have_prog = 1;
	return 0;
}

/* The kernel's filter is set once, before the first packet, and never
 * changed: libpcap replaces a filter through a drop-everything one, and a
 * packet arriving in that instant would be lost. It keeps IP only; the
 * host test is compile_hosts' program, after the hold (capture_hold.h). */
static int set_kernel_filter(struct capture_live *c)
{
	struct bpf_program prog;

	if (pcap_compile(c->p, &prog, "ip or ip6", 1,
			 PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(c->p, &prog) < 0) {
		snprintf(c->why, sizeof(c->why), "capture filter \"ip or ip6\": %s",
			 pcap_geterr(c->p));
		return NP_EINVAL;
	}
	pcap_freecode(&prog);
	return 0;
}

int capture_live_open(const char *path, const char *comment,
		      const struct sockaddr_storage *hosts, size_t nhosts,
		      struct capture_live **out, char *why, size_t wlen)
{
	struct capture_live *c = calloc(1, sizeof(*c));
	int err;

	*out = NULL;
	if (!c)
		return NP_ENOMEM;
	c->fd = -1;
	err = capture_hold_init(&c->hold, CAPTURE_HOLD_PKTS, CAPTURE_HOLD_BYTES,
				CAPTURE_HOLD_US);
	if (err < 0) {
		free(c);
		return err;
	}
	err = np_priv_pcap_open("any", CAPTURE_SNAPLEN, CAPTURE_BUFFER, &c->p,
				why, wlen);
	if (err < 0)
		goto fail;
	/* SLL2 keeps the interface index; SLL is the fallback. */
	pcap_set_datalink(c->p, DLT_LINUX_SLL2);
	for (size_t i = 0; i < nhosts; i++)
		add_host(c, &hosts[i]);
	err = set_kernel_filter(c);
	if (err == 0)
		err = compile_hosts(c);
	if (err < 0) {
		snprintf(why, wlen, "%s", c->why);
		goto fail;
	}
	c->fd = pcap_get_selectable_fd(c->p);
	if (c->fd < 0) {
		snprintf(why, wlen, "the capture handle has no selectable fd");
		err = NP_EINVAL;
		goto fail;
	}
	err = capture_writer_open(path, comment, &c->w);
	if (err == 0)
		err = capture_writer_add_iface(c->w, pcap_datalink(c->p),
					       (uint32_t)pcap_snapshot(c->p),
					       "any", &c->if_id);
	if (err < 0) {
		snprintf(why, wlen, "cannot write %s: %s", path, np_strerror(err));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	capture_writer_close(c->w);
	if (c->have_prog)
		pcap_freecode(&c->prog);
	if (c->p)
		pcap_close(c->p);
	capture_hold_free(&c->hold);
	free(c);
	return err;
}

static void write_packet(struct capture_live *c,
			 const struct capture_held *e)
{
	int err;

	if (c->err)
		return;
	err = capture_writer_packet(c->w, c->if_id, e->t, e->data, e->caplen,
				    e->len);
	if (err < 0) {
		c->err = err;
		snprintf(c->why, sizeof(c->why), "writing the capture: %s",
			 np_strerror(err));
	}
}

/* Decides the held packets that are due (all of them at the end): those
 * of a known host are written, the rest dropped. */
static void decide_due(struct capture_live *c, int all)
{
	const struct capture_held *e;
	uint64_t now = np_monotonic_us();

	while ((e = capture_hold_due(&c->hold, now, all)) != NULL) {
		struct pcap_pkthdr h = { .caplen = e->caplen, .len = e->len };

		if (c->have_prog && pcap_offline_filter(&c->prog, &h, e->data))
			write_packet(c, e);
		capture_hold_pop(&c->hold);
	}
}

static void on_packet(u_char *arg, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct capture_live *c = (struct capture_live *)arg;
	uint64_t t = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	int err;

	if (c->err)
		return;
	decide_due(c, 0);          /* makes room if the hold is at a bound */
	err = capture_hold_push(&c->hold, t, np_monotonic_us(), bytes,
				h->caplen, h->len);
	if (err < 0) {
		c->err = err;
		snprintf(c->why, sizeof(c->why), "holding a captured packet: %s",
			 np_strerror(err));
		return;
	}
	decide_due(c, 0);
}

/* Reads at most max packets; returns how many, or a negative error. */
static int read_some(struct capture_live *c, int max)
{
	int n = pcap_dispatch(c->p, max, on_packet, (u_char *)c);

	if (n == PCAP_ERROR && c->err == 0) {
		c->err = NP_EINVAL;
		snprintf(c->why, sizeof(c->why), "reading the capture: %s",
			 pcap_geterr(c->p));
	}
	return n;
}

static void on_readable(struct np_loop *loop, int fd, uint32_t events,
			void *arg)
{
	struct capture_live *c = arg;

	if (read_some(c, CAPTURE_BATCH) < 0 || c->err) {
		/* The run goes on without its capture; the end reports why. */
		np_loop_del_fd(loop, fd);
		c->loop = NULL;
	}
}

void capture_live_learn(struct capture_live *c,
			const struct sockaddr_storage *addr)
{
	if (add_host(c, addr))
		compile_hosts(c);
}

static void on_obs(const struct obs *o, void *arg)
{
	struct capture_live *c = arg;
	static const struct { unsigned bit; size_t off; } fields[] = {
		{ OBS_HAS_REMOTE, offsetof(struct obs, remote) },
		{ OBS_HAS_SOURCE, offsetof(struct obs, source) },
		{ OBS_HAS_ORIGIN, offsetof(struct obs, origin) },
		{ OBS_HAS_OTHER, offsetof(struct obs, other) },
		{ OBS_HAS_ALTERNATE, offsetof(struct obs, alternate) },
		{ OBS_HAS_MAPPED, offsetof(struct obs, mapped) },
		{ OBS_HAS_XOR_MAPPED, offsetof(struct obs, xor_mapped) },
	};
	int changed = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (o->has & fields[i].bit)
			changed |= add_host(c, (const struct sockaddr_storage *)
					       ((const char *)o + fields[i].off));
	if (changed)
		compile_hosts(c);
	if (c->prev_on_add)
		c->prev_on_add(o, c->prev_arg);
}

int capture_live_start(struct capture_live *c, struct np_loop *loop,
		       struct obs_log *log)
{
	int err = np_loop_add_fd(loop, c->fd, EPOLLIN, on_readable, c);

	if (err < 0)
		return err;
	c->loop = loop;
	c->prev_on_add = log->on_add;
	c->prev_arg = log->on_add_arg;
	log->on_add = on_obs;
	log->on_add_arg = c;
	return 0;
}

int capture_live_finish(struct capture_live *c, struct obs_log *log,
			uint64_t *count, uint64_t *dropped, char *why,
			size_t wlen)
{
	struct pcap_stat st;
	int err, total = 0;

	*count = 0;
	*dropped = 0;
	if (!c)
		return 0;
	if (log && log->on_add == on_obs) {
		log->on_add = c->prev_on_add;
		log->on_add_arg = c->prev_arg;
	}
	if (c->loop)
		np_loop_del_fd(c->loop, c->fd);
	/* What the kernel still holds for us, bounded. */
	while (c->err == 0 && total < CAPTURE_DRAIN_MAX) {
		int n = read_some(c, CAPTURE_BATCH);

		if (n <= 0)
			break;
		total += n;
	}
	decide_due(c, 1);
	*count = capture_writer_count(c->w);
	*dropped = 0;
	if (pcap_stats(c->p, &st) == 0)
		*dropped = st.ps_drop;
	err = capture_writer_close(c->w);
	if (c->err) {
		err = c->err;
		snprintf(why, wlen, "%s", c->why);
	} else if (err < 0) {
		snprintf(why, wlen, "writing the capture: %s", np_strerror(err));
	}
	if (c->have_prog)
		pcap_freecode(&c->prog);
	pcap_close(c->p);
	capture_hold_free(&c->hold);
	free(c);
	return err;
}
