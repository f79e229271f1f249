/*
 * srtp_bench.c - SRTP protect + unprotect, packets per second: natprobe's
 * srtp_session (probe/srtp_session.c, as natprobe uses it: header bounds
 * checked with rtp_parse, per-SSRC counting) against a plain libsrtp2
 * loop on the same machine, for the four DTLS-SRTP profiles and two
 * payload sizes. Built and run by tests/bench_srtp.sh.
 *
 * The libsrtp2 side is NOT libsrtp's own srtp_driver (Debian 12 ships no
 * test program and the driver needs libsrtp's private headers): it is the
 * shortest loop the public API allows, srtp_protect then srtp_unprotect on
 * one buffer with SSRC-specific policies, nothing else per packet. Both
 * sides copy the same plain packet in and bump its sequence number first.
 *
 *   srtp_bench [-n MAX_PACKETS] [-t SECONDS_PER_RUN] [-r ROUNDS]
 *              [-w LIBSRTP_REPLAY_WINDOW]
 *
 * Each (profile, size) runs ROUNDS times, natprobe then libsrtp2 back to
 * back, each run bounded by MAX_PACKETS and SECONDS of CPU time. The
 * packets per CPU-second columns are each side's best run; the ratio is
 * the median of the per-round ratios (each from two adjacent runs, so a load change on a
 * shared machine hits both sides alike). Every unprotected packet must
 * equal what was protected, or the bench fails. -w gives the libsrtp2
 * loop natprobe's replay window (1024) instead of libsrtp's default.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#include "dtls.h"
#include "np_rd.h"
#include "srtp_session.h"

#define BUF 1600
#define SSRC 0x11223344u

/* CPU time of this thread: on a shared machine, time spent preempted by
 * other processes is not counted against either side. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct run {
	uint64_t packets;
	double seconds;
};

static size_t make_packet(uint8_t *p, size_t payload)
{
	p[0] = 0x80;
	p[1] = 111;
	np_put16(p + 2, 0);
	np_put32(p + 4, 12345);
	np_put32(p + 8, SSRC);
	for (size_t i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 7 + 1);
	return 12 + payload;
}

static void fail(const char *what, uint64_t i)
{
	fprintf(stderr, "srtp_bench: %s failed at packet %llu\n", what,
		(unsigned long long)i);
	exit(1);
}

static struct run bench_natprobe(const struct dtls_srtp_keys *kc,
				 const struct dtls_srtp_keys *ks,
				 const uint8_t *plain, size_t plen,
				 uint64_t max, double secs)
{
	struct srtp_session *a, *b;
	uint8_t buf[BUF];
	uint64_t t0, t1, limit = (uint64_t)(secs * 1e9), i;
	struct run r;

	if (srtp_session_new(kc, &a) || srtp_session_new(ks, &b))
		fail("srtp_session_new", 0);
	t0 = t1 = now_ns();
	for (i = 0; i < max; i++) {
		size_t len = plen;

		memcpy(buf, plain, plen);
		np_put16(buf + 2, (uint16_t)i);
		if (srtp_session_protect_rtp(a, buf, &len, sizeof(buf)))
			fail("natprobe protect", i);
		if (srtp_session_unprotect_rtp(b, buf, &len) || len != plen)
			fail("natprobe unprotect", i);
		if ((i & 1023) == 1023 && (t1 = now_ns()) - t0 >= limit) {
			i++;
			break;
		}
	}
	t1 = now_ns();
	if (memcmp(buf + 12, plain + 12, plen - 12))
		fail("natprobe round trip", i);
	srtp_session_free(a);
	srtp_session_free(b);
	r.packets = i;
	r.seconds = (double)(t1 - t0) / 1e9;
	return r;
}

static void set_policy(srtp_policy_t *p, int profile)
{
	switch (profile) {
	case DTLS_SRTP_AES128_CM_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case DTLS_SRTP_AES128_CM_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case DTLS_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	}
}

static struct run bench_libsrtp(const struct dtls_srtp_keys *k,
				const uint8_t *plain, size_t plen,
				uint64_t max, double secs, unsigned window)
{
	uint8_t key[DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX], buf[BUF];
	srtp_policy_t p;
	srtp_t tx, rx;
	uint64_t t0, t1, limit = (uint64_t)(secs * 1e9), i;
	struct run r;

	memcpy(key, k->client_key, k->key_len);
	memcpy(key + k->key_len, k->client_salt, k->salt_len);
	memset(&p, 0, sizeof(p));
	set_policy(&p, k->profile);
	p.ssrc.type = ssrc_specific;
	p.ssrc.value = SSRC;
	p.key = key;
	p.window_size = window;   /* 0: libsrtp's default, 128 */
	if (srtp_create(&tx, &p) != srtp_err_status_ok ||
	    srtp_create(&rx, &p) != srtp_err_status_ok)
		fail("srtp_create", 0);
	t0 = t1 = now_ns();
	for (i = 0; i < max; i++) {
		int len = (int)plen;

		memcpy(buf, plain, plen);
		np_put16(buf + 2, (uint16_t)i);
		if (srtp_protect(tx, buf, &len) != srtp_err_status_ok)
			fail("libsrtp protect", i);
		if (srtp_unprotect(rx, buf, &len) != srtp_err_status_ok ||
		    (size_t)len != plen)
			fail("libsrtp unprotect", i);
		if ((i & 1023) == 1023 && (t1 = now_ns()) - t0 >= limit) {
			i++;
			break;
		}
	}
	t1 = now_ns();
	if (memcmp(buf + 12, plain + 12, plen - 12))
		fail("libsrtp round trip", i);
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	r.packets = i;
	r.seconds = (double)(t1 - t0) / 1e9;
	return r;
}

static void make_keys(int profile, struct dtls_srtp_keys *c,
		      struct dtls_srtp_keys *s)
{
	size_t kl, sl;

	if (dtls_srtp_profile_lengths(profile, &kl, &sl))
		fail("profile lengths", 0);
	memset(c, 0, sizeof(*c));
	c->profile = profile;
	c->key_len = kl;
	c->salt_len = sl;
	for (size_t i = 0; i < kl; i++)
		c->client_key[i] = c->server_key[i] = (uint8_t)(i * 13 + 5);
	for (size_t i = 0; i < sl; i++)
		c->client_salt[i] = c->server_salt[i] = (uint8_t)(i * 3 + 9);
	*s = *c;
	c->is_client = 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const int profiles[] = {
		DTLS_SRTP_AES128_CM_SHA1_80, DTLS_SRTP_AES128_CM_SHA1_32,
		DTLS_SRTP_AEAD_AES_128_GCM, DTLS_SRTP_AEAD_AES_256_GCM,
	};
	static const size_t sizes[] = { 160, 1200 };
	uint64_t max = 2000000;
	double secs = 0.1;
	int rounds = 9, opt;
	unsigned window = 0;
	double worst = 1e9, best = 0;

	while ((opt = getopt(argc, argv, "n:t:r:w:")) != -1) {
		switch (opt) {
		case 'n': max = strtoull(optarg, NULL, 10); break;
		case 't': secs = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'w': window = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-n max] [-t secs] [-r rounds]\n",
				argv[0]);
			return 2;
		}
	}
	if (max < 1024 || secs <= 0 || secs > 10 || rounds < 1 || rounds > 20) {
		fprintf(stderr, "srtp_bench: -n >= 1024, 0 < -t <= 10, 1 <= -r <= 20\n");
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok)
		fail("srtp_init", 0);
	printf("libsrtp2 replay window: %u%s\n", window ? window : 128,
	       window ? "" : " (default; natprobe's is 1024)");
	printf("%-24s %7s %14s %14s %7s\n", "profile", "payload",
	       "natprobe pkt/s", "libsrtp2 pkt/s", "ratio");
	for (size_t pi = 0; pi < sizeof(profiles) / sizeof(profiles[0]); pi++) {
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			struct dtls_srtp_keys kc, ks;
			uint8_t plain[BUF];
			size_t plen = make_packet(plain, sizes[si]);
			double np_best = 0, ls_best = 0, ratio, ratios[20];

			make_keys(profiles[pi], &kc, &ks);
			for (int r = 0; r < rounds; r++) {
				struct run a = bench_natprobe(&kc, &ks, plain, plen,
							      max, secs);
				struct run b = bench_libsrtp(&kc, plain, plen, max,
							     secs, window);
				double pa = a.packets / a.seconds;
				double pb = b.packets / b.seconds;

				ratios[r] = pa / pb;
				if (pa > np_best)
					np_best = pa;
				if (pb > ls_best)
					ls_best = pb;
			}
			qsort(ratios, (size_t)rounds, sizeof(ratios[0]), cmp_double);
			ratio = rounds % 2 ? ratios[rounds / 2] :
				(ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2;
			if (ratio < worst)
				worst = ratio;
			if (ratio > best)
				best = ratio;
			printf("%-24s %7zu %14.0f %14.0f %7.3f\n",
			       dtls_srtp_profile_name(profiles[pi]), sizes[si],
			       np_best, ls_best, ratio);
		}
	}
	printf("ratio natprobe/libsrtp2 (protect+unprotect pairs per second, "
	       "median of paired rounds): %.3f to %.3f\n", worst, best);
	srtp_shutdown();
	return 0;
}
