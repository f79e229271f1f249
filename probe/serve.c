/*
 * serve.c - the responder's sockets and its UDP path.
 *
 * RFC 5780 §6: "the server SHOULD allocate a pair of ports for each of the
 * UDP, TCP, and TCP/TLS transport protocols, such that it can send and
 * receive datagrams using the same ports on each IP address". We bind one
 * socket per (address, port) pair rather than a wildcard, so that a
 * response to a CHANGE-REQUEST leaves from exactly the socket Table 1 names
 * and RESPONSE-ORIGIN is the truth.
 *
 * UDP is batched: recvmmsg up to UDP_BATCH datagrams, answer each with
 * serve_respond, queue the answers per sending socket, and send each queue
 * with one sendmmsg, answers to the same client grouped by UDP GSO. Sockets
 * are non-blocking and the loop is level-triggered, so a capped wakeup
 * simply resumes on the next iteration. A full send buffer drops the answer
 * (counted): UDP promises no more.
 */
#include "serve_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "np_err.h"

/* Socket buffers we ask for; the kernel caps them at net.core.*mem_max. */
#define UDP_SOCKBUF (4 * 1024 * 1024)
#define TCP_BACKLOG 256

size_t serve_sa_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

void serve_sa_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else {
		snprintf(buf, len, "(family %d)", sa->sa_family);
	}
}

const char *serve_transport_name(int transport)
{
	switch (transport) {
	case SERVE_UDP: return "udp";
	case SERVE_TCP: return "tcp";
	case SERVE_TLS: return "tls";
	default: return "?";
	}
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* Two queued datagrams go to the same transport address. */
static int same_dst(const struct msghdr *a, const struct msghdr *b)
{
	return a->msg_namelen == b->msg_namelen &&
	       memcmp(a->msg_name, b->msg_name, a->msg_namelen) == 0;
}

static size_t dgram_len(const struct mmsghdr *m)
{
	return m->msg_hdr.msg_iov[0].iov_len;
}

/*
 * UDP GSO (UDP_SEGMENT, Linux 4.18): consecutive answers to one transport
 * address, all of one size but the last, leave in one send and the kernel
 * cuts them into datagrams. This pays when one client sends bursts; with
 * every answer going somewhere else, each message is one datagram as
 * before. Only small answers are grouped: the segment size must fit the
 * path MTU or the kernel refuses (1200 fits any IPv6 link).
 *
 * Fills out[] with the messages to send; cnt[k] is how many datagrams
 * out[k] carries, first[k] the queue index of its first. Returns how many.
 */
static int coalesce(struct serve *s, int q, struct mmsghdr *out, int *cnt,
		    int *first)
{
	const struct mmsghdr *tx = s->tx_msg[q];
	int n = s->ntx[q], m = 0;

	for (int i = 0; i < n; m++) {
		size_t seg = dgram_len(&tx[i]), total = seg;
		int j = i + 1;

		while (s->gso && seg <= UDP_GSO_SEG_MAX && j < n &&
		       j - i < UDP_GSO_MAX && dgram_len(&tx[j - 1]) == seg &&
		       dgram_len(&tx[j]) <= seg &&
		       total + dgram_len(&tx[j]) <= UDP_GSO_TOTAL_MAX &&
		       same_dst(&tx[i].msg_hdr, &tx[j].msg_hdr)) {
			total += dgram_len(&tx[j]);
			j++;
		}
		out[m] = tx[i];
		out[m].msg_len = 0;
		cnt[m] = j - i;
		first[m] = i;
		if (j - i > 1) {
			struct cmsghdr *cm;

			for (int k = i; k < j; k++)
				s->gso_iov[k] = tx[k].msg_hdr.msg_iov[0];
			out[m].msg_hdr.msg_iov = &s->gso_iov[i];
			out[m].msg_hdr.msg_iovlen = (size_t)(j - i);
			out[m].msg_hdr.msg_control = s->gso_cmsg[m];
			out[m].msg_hdr.msg_controllen = sizeof(s->gso_cmsg[m]);
			cm = CMSG_FIRSTHDR(&out[m].msg_hdr);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			memcpy(CMSG_DATA(cm), &(uint16_t){ (uint16_t)seg },
			       sizeof(uint16_t));
		}
		i = j;
	}
	return m;
}

/*
 * Sends n messages from fd. Each pass sends at least one message or gives
 * one up, so the loop ends. A full send buffer drops the rest (UDP). A
 * grouped message the kernel refuses goes again one datagram at a time
 * (when plain is not NULL); EIO means no GSO on this system at all.
 */
static void send_msgs(struct serve *s, int fd, struct mmsghdr *msgs, int n,
		      const int *cnt, const int *first,
		      struct mmsghdr *plain)
{
	int done = 0;

	while (done < n) {
		int r = sendmmsg(fd, msgs + done, (unsigned)(n - done),
				 MSG_DONTWAIT);

		if (r > 0) {
			for (int i = done; i < done + r; i++) {
				s->c.bytes_out += msgs[i].msg_len;
				s->c.sent += (uint64_t)(cnt ? cnt[i] : 1);
			}
			done += r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			for (int i = done; i < n; i++)
				s->c.send_errors += (uint64_t)(cnt ? cnt[i] : 1);
			return;
		} else if (cnt && cnt[done] > 1 && plain) {
			if (errno == EIO)
				s->gso = 0;
			send_msgs(s, fd, plain + first[done], cnt[done], NULL,
				  NULL, NULL);
			done++;
		} else {
			/* This datagram was refused (a RESPONSE-PORT the
			 * kernel will not send to, say); go on. */
			s->c.send_errors += (uint64_t)(cnt ? cnt[done] : 1);
			done++;
		}
	}
}

/* Sends every queue of this batch. */
static void udp_flush(struct serve *s)
{
	struct mmsghdr out[UDP_BATCH];
	int cnt[UDP_BATCH], first[UDP_BATCH];

	for (int q = 0; q < SERVE_MAX_LOCAL; q++) {
		int n;

		if (s->ntx[q] == 0)
			continue;
		n = coalesce(s, q, out, cnt, first);
		send_msgs(s, s->udp_fd[q], out, n, cnt, first, s->tx_msg[q]);
		s->ntx[q] = 0;
	}
}

/* A UDP socket is readable: at most UDP_BATCHES_PER_WAKEUP batches. */
static void udp_readable(struct np_loop *loop, int fd, uint32_t events,
			 void *arg)
{
	struct serve_sock *ss = arg;
	struct serve *s = ss->s;

	for (int b = 0; b < UDP_BATCHES_PER_WAKEUP; b++) {
		uint64_t now;
		int n;

		for (int i = 0; i < UDP_BATCH; i++) {
			struct msghdr *h = &s->rx_msg[i].msg_hdr;

			h->msg_name = &s->rx_addr[i];
			h->msg_namelen = sizeof(s->rx_addr[i]);
			h->msg_iov = &s->rx_iov[i];
			h->msg_iovlen = 1;
			h->msg_control = NULL;
			h->msg_controllen = 0;
			h->msg_flags = 0;
		}
		n = recvmmsg(fd, s->rx_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN, or an error the next wakeup sees */
		now = np_loop_now(loop);
		for (int i = 0; i < n; i++) {
			const struct sockaddr *src =
				(const struct sockaddr *)&s->rx_addr[i];
			struct serve_req req = {
				.buf = s->rx_iov[i].iov_base,
				.len = s->rx_msg[i].msg_len,
				.src = src,
				.local_idx = ss->local_idx,
				.transport = SERVE_UDP,
			};
			struct serve_out out = {
				.buf = s->tx_buf + (size_t)i * SERVE_MAX_DGRAM,
				.cap = SERVE_MAX_DGRAM,
			};
			int q;

			s->c.bytes_in += req.len;
			if (s->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				s->c.received++;
				s->c.truncated++;
				continue;
			}
			if (!serve_rl_allow(&s->rl, src, now)) {
				s->c.received++;
				s->c.rate_limited++;
				continue;
			}
			if (serve_respond(&s->cfg, &req, &out, &s->c) != 1)
				continue;
			q = out.send_idx;
			if (q < 0 || q >= SERVE_MAX_LOCAL || s->udp_fd[q] < 0) {
				s->c.send_errors++;
				continue;
			}
			s->tx_dst[i] = out.dst;
			s->tx_iov[i].iov_base = out.buf;
			s->tx_iov[i].iov_len = out.len;
			memset(&s->tx_msg[q][s->ntx[q]], 0,
			       sizeof(s->tx_msg[q][0]));
			s->tx_msg[q][s->ntx[q]].msg_hdr.msg_name = &s->tx_dst[i];
			s->tx_msg[q][s->ntx[q]].msg_hdr.msg_namelen =
				(socklen_t)serve_sa_len(
					(const struct sockaddr *)&out.dst);
			s->tx_msg[q][s->ntx[q]].msg_hdr.msg_iov = &s->tx_iov[i];
			s->tx_msg[q][s->ntx[q]].msg_hdr.msg_iovlen = 1;
			s->ntx[q]++;
		}
		udp_flush(s);
		if (n < UDP_BATCH)
			return;
	}
}

static int open_socket(struct serve *s, int transport, int local_idx,
		       const struct sockaddr_storage *addr, char *detail,
		       size_t detail_len)
{
	const struct sockaddr *sa = (const struct sockaddr *)addr;
	int type = transport == SERVE_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd, one = 1, buf = UDP_SOCKBUF, err;
	struct serve_sock *ss;
	char name[80];

	fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (type == SOCK_DGRAM) {
		/* Best effort: bigger buffers absorb bursts. */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	if (bind(fd, sa, (socklen_t)serve_sa_len(sa)) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) < 0)
		goto fail;

	ss = &s->socks[s->nsocks];
	ss->fd = fd;
	ss->transport = transport;
	ss->local_idx = local_idx;
	ss->addr = *addr;
	ss->s = s;
	err = np_loop_add_fd(s->loop, fd, EPOLLIN,
			     transport == SERVE_UDP ? udp_readable :
						      serve_tcp_accept_cb,
			     ss);
	if (err < 0) {
		close(fd);
		serve_sa_format(sa, name, sizeof(name));
		snprintf(detail, detail_len, "%s/%s: %s", name,
			 serve_transport_name(transport), np_strerror(err));
		return err;
	}
	s->nsocks++;
	if (transport == SERVE_UDP)
		s->udp_fd[local_idx] = fd;
	return 0;

fail:
	err = -errno;
	if (fd >= 0)
		close(fd);
	serve_sa_format(sa, name, sizeof(name));
	snprintf(detail, detail_len, "%s/%s: %s", name,
		 serve_transport_name(transport), np_strerror(err));
	return err;
}

static int check_opts(const struct serve_opts *o, char *detail,
		      size_t detail_len)
{
	size_t n4 = 0, n6 = 0;

	if (o->nip == 0 || o->nip > SERVE_MAX_IPS) {
		snprintf(detail, detail_len, "%zu listen addresses; 1 to %d",
			 o->nip, SERVE_MAX_IPS);
		return NP_EINVAL;
	}
	for (size_t i = 0; i < o->nip; i++) {
		int fam = o->ip[i].ss_family;

		if (fam == AF_INET)
			n4++;
		else if (fam == AF_INET6)
			n6++;
		else {
			snprintf(detail, detail_len,
				 "listen address %zu is neither IPv4 nor IPv6",
				 i + 1);
			return NP_EINVAL;
		}
	}
	if (n4 > 2 || n6 > 2) {
		snprintf(detail, detail_len,
			 "%zu IPv4 and %zu IPv6 listen addresses; at most 2 of each (RFC 5780 uses two)",
			 n4, n6);
		return NP_EINVAL;
	}
	if ((o->udp || o->tcp) && (o->port == 0 || o->port == 65535)) {
		snprintf(detail, detail_len,
			 "port %u: need 1..65534 (the alternate is port + 1)",
			 o->port);
		return NP_EINVAL;
	}
	if (o->tls && (o->tls_port == 0 || o->tls_port == 65535 ||
		       o->tls_port == o->port || o->tls_port == o->port + 1 ||
		       o->tls_port + 1 == o->port)) {
		snprintf(detail, detail_len,
			 "TLS port %u: need 1..65534, apart from %u and %u",
			 o->tls_port, o->port, o->port + 1);
		return NP_EINVAL;
	}
	return 0;
}

int serve_new(struct serve **out, struct np_loop *loop,
	      const struct serve_opts *o, char *detail, size_t detail_len)
{
	struct serve *s;
	uint64_t seed = 0;
	int err;

	*out = NULL;
	if (detail_len)
		detail[0] = '\0';
	err = check_opts(o, detail, detail_len);
	if (err < 0)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NP_ENOMEM;
	s->loop = loop;
	s->gso = !o->no_gso;
	for (int i = 0; i < SERVE_MAX_LOCAL; i++)
		s->udp_fd[i] = -1;
	s->cfg.nip = o->nip;
	for (size_t i = 0; i < o->nip; i++) {
		s->cfg.ip[i].addr = o->ip[i];
		set_port(&s->cfg.ip[i].addr, 0);
	}
	serve_cfg_pair(&s->cfg);
	s->cfg.port[SERVE_UDP][0] = o->port;
	s->cfg.port[SERVE_UDP][1] = (uint16_t)(o->port + 1);
	s->cfg.port[SERVE_TCP][0] = o->port;
	s->cfg.port[SERVE_TCP][1] = (uint16_t)(o->port + 1);
	s->cfg.port[SERVE_TLS][0] = o->tls_port;
	s->cfg.port[SERVE_TLS][1] = (uint16_t)(o->tls_port + 1);
	s->cfg.software = SERVE_SOFTWARE;
	s->cfg.max_growth = SERVE_MAX_GROWTH;

	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		seed = (uint64_t)np_monotonic_us() ^ (uint64_t)getpid();
	err = serve_rl_init(&s->rl, o->rate, o->burst, seed);
	if (err < 0) {
		snprintf(detail, detail_len, "rate %u: %s", o->rate,
			 np_strerror(err));
		goto out;
	}
	if (o->udp) {
		/* Large slots, but only the pages datagrams touch become
		 * resident. */
		s->rx_buf = malloc((size_t)UDP_BATCH * SERVE_MAX_DGRAM);
		s->tx_buf = malloc((size_t)UDP_BATCH * SERVE_MAX_DGRAM);
		if (!s->rx_buf || !s->tx_buf) {
			err = NP_ENOMEM;
			goto out;
		}
		for (int i = 0; i < UDP_BATCH; i++) {
			s->rx_iov[i].iov_base =
				s->rx_buf + (size_t)i * SERVE_MAX_DGRAM;
			s->rx_iov[i].iov_len = SERVE_MAX_DGRAM;
		}
	}
	if (o->tcp || o->tls) {
		err = serve_tcp_init(s);
		if (err < 0)
			goto out;
	}
	if (o->tls) {
		err = serve_tls_ctx_new(&s->tls, o->cert_file, o->key_file,
					detail, detail_len);
		if (err < 0)
			goto out;
	}

	/* Every (address, port) pair, for each transport asked for. */
	for (int tr = SERVE_UDP; tr <= SERVE_TLS; tr++) {
		if ((tr == SERVE_UDP && !o->udp) ||
		    (tr == SERVE_TCP && !o->tcp) || (tr == SERVE_TLS && !o->tls))
			continue;
		for (size_t i = 0; i < o->nip; i++) {
			for (int alt = 0; alt < 2; alt++) {
				struct sockaddr_storage a = s->cfg.ip[i].addr;

				set_port(&a, s->cfg.port[tr][alt]);
				err = open_socket(s, tr, (int)(2 * i) + alt, &a,
						  detail, detail_len);
				if (err < 0)
					goto out;
			}
		}
	}
	*out = s;
	return 0;

out:
	if (detail_len && !detail[0])
		snprintf(detail, detail_len, "%s", np_strerror(err));
	serve_free(s);
	return err;
}

void serve_free(struct serve *s)
{
	if (!s)
		return;
	serve_tcp_dispose(s);
	for (size_t i = 0; i < s->nsocks; i++) {
		np_loop_del_fd(s->loop, s->socks[i].fd);
		close(s->socks[i].fd);
	}
	if (s->tls)
		SSL_CTX_free(s->tls);
	serve_rl_dispose(&s->rl);
	free(s->rx_buf);
	free(s->tx_buf);
	free(s);
}

const struct serve_counters *serve_counters(const struct serve *s)
{
	return &s->c;
}

size_t serve_nsockets(const struct serve *s)
{
	return s->nsocks;
}

int serve_socket_info(const struct serve *s, size_t i, int *transport,
		      struct sockaddr_storage *addr)
{
	if (i >= s->nsocks)
		return NP_EINVAL;
	*transport = s->socks[i].transport;
	*addr = s->socks[i].addr;
	return 0;
}
