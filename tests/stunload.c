/*
 * stunload.c - a STUN Binding load generator for benchmarking responders
 * (natprobe serve, coturn). A program of its own, like libuv's
 * test/benchmark-*.c; tests/bench_serve.sh builds and runs it.
 *
 *   stunload -a ADDR -p PORT [-n COUNT] [-t SECONDS] [-r RATE] [-w WINDOW]
 *            [-b BATCH] [-c SOCKETS] [-T TIMEOUT_MS] [-P PADDING] [-G] [-S]
 *
 * Sends COUNT Binding requests (RFC 8489: a 20-byte header, optionally a
 * PADDING attribute) from SOCKETS connected UDP sockets, BATCH at a time
 * per socket with sendmmsg (or one UDP GSO send, unless -G), at RATE per
 * second or flat out with at most WINDOW outstanding; reads answers with
 * recvmmsg and matches them by transaction ID (a sequence number and a
 * per-run nonce). A request unanswered after TIMEOUT_MS is lost. Bounded:
 * stops when all COUNT requests are settled or after SECONDS, whichever
 * comes first; whatever is outstanding then is lost.
 *
 * Prints one line of key=value pairs:
 *   sent= received= lost= unmatched= elapsed_s= resp_per_s= rtt_avg_us=
 *   rtt_max_us=
 * Exit 0 when it ran (loss is a result, not a failure), 2 on bad usage,
 * 3 when the sockets cannot be set up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 64          /* also the kernel's UDP GSO segment limit */
#define MAX_WINDOW 65536
#define MAX_SOCKETS 1024
#define MAX_PADDING 1000
#define MSG_CAP (20 + 4 + MAX_PADDING)
#define RX_CAP 2048

struct slot {
	uint64_t seq;
	uint64_t sent_us;
	int busy;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: stunload -a ADDR -p PORT [-n COUNT] [-t SECONDS] [-r RATE]\n"
		"                [-w WINDOW] [-b BATCH] [-c SOCKETS] [-T TIMEOUT_MS]\n"
		"                [-P PADDING] [-G] [-S]\n"
		"  -n COUNT    requests to send (default 100000)\n"
		"  -t SECONDS  stop after this long at most (default 30)\n"
		"  -r RATE     requests per second; 0 = flat out (default 0)\n"
		"  -w WINDOW   most requests outstanding (default 256, max %d)\n"
		"  -b BATCH    requests per send call (default 32, max %d)\n"
		"  -c SOCKETS  source sockets, used in turn (default 1, max %d)\n"
		"  -T MS       a request unanswered this long is lost (default 1000)\n"
		"  -P BYTES    add a PADDING attribute of this size (max %d)\n"
		"  -G          no UDP GSO: sendmmsg, one datagram per message\n"
		"  -S          sleep in poll() while waiting instead of spinning\n",
		MAX_WINDOW, MAX_BATCH, MAX_SOCKETS, MAX_PADDING);
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A Binding request: type 0x0001, length, cookie, then the transaction ID
 * as the sequence number (8 bytes) and the run's nonce (4 bytes). */
static size_t build(uint8_t *b, uint64_t seq, uint32_t nonce, size_t padding)
{
	size_t attrs = padding ? 4 + ((padding + 3) & ~(size_t)3) : 0;

	b[0] = 0x00;
	b[1] = 0x01;
	b[2] = (uint8_t)(attrs >> 8);
	b[3] = (uint8_t)attrs;
	b[4] = 0x21;
	b[5] = 0x12;
	b[6] = 0xA4;
	b[7] = 0x42;
	for (int i = 0; i < 8; i++)
		b[8 + i] = (uint8_t)(seq >> (56 - 8 * i));
	b[16] = (uint8_t)(nonce >> 24);
	b[17] = (uint8_t)(nonce >> 16);
	b[18] = (uint8_t)(nonce >> 8);
	b[19] = (uint8_t)nonce;
	if (padding) {
		b[20] = 0x00;
		b[21] = 0x26;
		b[22] = (uint8_t)(padding >> 8);
		b[23] = (uint8_t)padding;
		memset(b + 24, 0, attrs - 4);
	}
	return 20 + attrs;
}

/* Sends k requests of len bytes from txb on fd: one GSO send, or sendmmsg.
 * Returns how many went (the first ones), or -1. */
static int send_batch(int fd, uint8_t (*txb)[MSG_CAP], int k, size_t len,
		      int gso)
{
	struct iovec iov[MAX_BATCH];
	struct mmsghdr mm[MAX_BATCH];

	for (int i = 0; i < k; i++) {
		iov[i].iov_base = txb[i];
		iov[i].iov_len = len;
	}
	if (gso && k > 1) {
		char cbuf[CMSG_SPACE(sizeof(uint16_t))];
		struct msghdr h = { .msg_iov = iov, .msg_iovlen = (size_t)k,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&h);

		memset(cbuf, 0, sizeof(cbuf));
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		*(uint16_t *)(void *)CMSG_DATA(cm) = (uint16_t)len;
		return sendmsg(fd, &h, MSG_DONTWAIT) < 0 ? -1 : k;
	}
	memset(mm, 0, sizeof(mm[0]) * (size_t)k);
	for (int i = 0; i < k; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	return sendmmsg(fd, mm, (unsigned)k, MSG_DONTWAIT);
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	double port = 0, count = 100000, secs = 30, rate = 0, window = 256,
	       batch = 32, timeout_ms = 1000, padding = 0, nsock = 1;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct slot *slots;
	static uint8_t txb[MAX_BATCH][MSG_CAP], rxb[MAX_BATCH][RX_CAP];
	static int fds[MAX_SOCKETS];
	struct mmsghdr rx[MAX_BATCH];
	struct iovec rxv[MAX_BATCH];
	uint64_t sent = 0, received = 0, lost = 0, unmatched = 0, tail = 0;
	uint64_t rtt_sum = 0, rtt_max = 0, start, deadline, last_rx = 0, n,
		 w, b, tmo, turn = 0;
	uint32_t nonce = 0;
	size_t len;
	int ep, opt, bufsz = 4 * 1024 * 1024, spin = 1, gso = 1, ns;

	while ((opt = getopt(argc, argv, "a:p:n:t:r:w:b:c:T:P:GSh")) != -1) {
		int bad = 0;

		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': bad = num(optarg, 1, 65535, &port); break;
		case 'n': bad = num(optarg, 1, 1e10, &count); break;
		case 't': bad = num(optarg, 0.001, 3600, &secs); break;
		case 'r': bad = num(optarg, 0, 1e8, &rate); break;
		case 'w': bad = num(optarg, 1, MAX_WINDOW, &window); break;
		case 'b': bad = num(optarg, 1, MAX_BATCH, &batch); break;
		case 'c': bad = num(optarg, 1, MAX_SOCKETS, &nsock); break;
		case 'T': bad = num(optarg, 1, 60000, &timeout_ms); break;
		case 'P': bad = num(optarg, 0, MAX_PADDING, &padding); break;
		case 'G': gso = 0; break;
		case 'S': spin = 0; break;
		default: usage(); return 2;
		}
		if (bad) {
			fprintf(stderr, "stunload: -%c %s: out of range\n", opt,
				optarg);
			return 2;
		}
	}
	if (!addr || port == 0 || optind != argc) {
		usage();
		return 2;
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sslen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr,
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sslen = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "stunload: -a %s: not an IP address\n", addr);
		return 2;
	}
	n = (uint64_t)count;
	w = (uint64_t)window;
	b = (uint64_t)batch;
	ns = (int)nsock;
	tmo = (uint64_t)(timeout_ms * 1000);

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		fprintf(stderr, "stunload: epoll: %s\n", strerror(errno));
		return 3;
	}
	for (int i = 0; i < ns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		fds[i] = socket(ss.ss_family,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (struct sockaddr *)&ss, sslen) < 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			fprintf(stderr, "stunload: socket %d to %s port %u: %s\n",
				i + 1, addr, (unsigned)port, strerror(errno));
			return 3;
		}
		(void)setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &bufsz,
				 sizeof(bufsz));
		(void)setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &bufsz,
				 sizeof(bufsz));
	}
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint32_t)now_us() ^ (uint32_t)getpid();
	slots = calloc(w, sizeof(*slots));
	if (!slots) {
		fprintf(stderr, "stunload: out of memory\n");
		return 3;
	}
	for (uint64_t i = 0; i < b; i++) {
		rxv[i].iov_base = rxb[i];
		rxv[i].iov_len = RX_CAP;
	}
	len = build(txb[0], 0, nonce, (size_t)padding);

	start = now_us();
	deadline = start + (uint64_t)(secs * 1e6);
	for (;;) {
		uint64_t t = now_us(), k = 0, allowed;
		struct epoll_event evs[64];
		int r, idle = 1, nev;

		/* Settle the oldest: answered, or lost after the timeout. */
		while (tail < sent) {
			struct slot *s = &slots[tail % w];

			if (s->busy && s->seq == tail) {
				if (t - s->sent_us < tmo)
					break;
				s->busy = 0;
				lost++;
			}
			tail++;
		}
		if ((tail == n && sent == n) || t >= deadline)
			break;

		/* Send: as many as the window, the rate and COUNT allow. */
		allowed = n - sent;
		if (tail + w - sent < allowed)
			allowed = tail + w - sent;
		if (rate > 0) {
			uint64_t due = (uint64_t)((double)(t - start) * rate / 1e6) + 1;

			allowed = due > sent ? (due - sent < allowed ? due - sent :
								       allowed) : 0;
		}
		if (allowed > b)
			allowed = b;
		for (k = 0; k < allowed; k++) {
			if (slots[(sent + k) % w].busy)
				break; /* the oldest is not settled yet */
			build(txb[k], sent + k, nonce, (size_t)padding);
		}
		if (k > 0) {
			r = send_batch(fds[turn % (uint64_t)ns], txb, (int)k,
				       len, gso);
			if (r < 0 && gso && errno == EIO) {
				gso = 0; /* no UDP GSO here: sendmmsg */
				r = 0;
			}
			turn++;
			for (int i = 0; i < r; i++) {
				struct slot *s = &slots[(sent + (uint64_t)i) % w];

				s->seq = sent + (uint64_t)i;
				s->sent_us = t;
				s->busy = 1;
			}
			if (r > 0) {
				sent += (uint64_t)r;
				idle = 0;
			}
		}

		/* Receive whatever is there, on every ready socket. */
		nev = epoll_wait(ep, evs, 64, 0);
		for (int e = 0; e < nev; e++) {
			int fd = fds[evs[e].data.u32];

			for (uint64_t i = 0; i < b; i++) {
				memset(&rx[i], 0, sizeof(rx[i]));
				rx[i].msg_hdr.msg_iov = &rxv[i];
				rx[i].msg_hdr.msg_iovlen = 1;
			}
			r = recvmmsg(fd, rx, (unsigned)b, MSG_DONTWAIT, NULL);
			if (r <= 0)
				continue;
			idle = 0;
			last_rx = now_us();
			for (int i = 0; i < r; i++) {
				const uint8_t *p = rxb[i];
				uint64_t seq = 0;
				uint32_t nn;
				struct slot *s;

				if (rx[i].msg_len < 20 || p[0] != 0x01 ||
				    (p[1] != 0x01 && p[1] != 0x11)) {
					unmatched++;
					continue;
				}
				for (int j = 0; j < 8; j++)
					seq = seq << 8 | p[8 + j];
				nn = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 |
				     (uint32_t)p[18] << 8 | p[19];
				s = &slots[seq % w];
				if (nn != nonce || seq >= sent || !s->busy ||
				    s->seq != seq) {
					unmatched++; /* late, duplicate, stray */
					continue;
				}
				s->busy = 0;
				received++;
				rtt_sum += last_rx - s->sent_us;
				if (last_rx - s->sent_us > rtt_max)
					rtt_max = last_rx - s->sent_us;
			}
		}
		/* Spin while answers are due: a sleeping generator would make
		 * the server pay for waking it. With -S, or when paced with
		 * nothing outstanding, wait up to 1 ms. */
		if (idle && (!spin || tail == sent))
			(void)epoll_wait(ep, evs, 1, 1);
	}
	/* Whatever is still outstanding at the deadline is lost. */
	for (; tail < sent; tail++) {
		struct slot *s = &slots[tail % w];

		if (s->busy && s->seq == tail) {
			s->busy = 0;
			lost++;
		}
	}
	{
		/* The rate counts from the first send to the last answer. */
		uint64_t end = last_rx > start ? last_rx : now_us();
		double el = (double)(end - start) / 1e6;

		printf("sent=%llu received=%llu lost=%llu unmatched=%llu "
		       "elapsed_s=%.3f resp_per_s=%.0f rtt_avg_us=%.0f "
		       "rtt_max_us=%llu\n",
		       (unsigned long long)sent, (unsigned long long)received,
		       (unsigned long long)lost, (unsigned long long)unmatched,
		       el, el > 0 ? (double)received / el : 0.0,
		       received ? (double)rtt_sum / (double)received : 0.0,
		       (unsigned long long)rtt_max);
	}
	free(slots);
	for (int i = 0; i < ns; i++)
		close(fds[i]);
	close(ep);
	return 0;
}
