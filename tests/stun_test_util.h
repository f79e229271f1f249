/*
 * stun_test_util.h - what the STUN codec tests share: RFC 5769's
 * transaction IDs and keys, fixture loading (fixtures/stun, read by
 * relative path from the repository root) and address helpers.
 */
#ifndef STUN_TEST_UTIL_H
#define STUN_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "np_err.h"
#include "stun_codec.h"

#define FIXTURES "fixtures/stun"
#define SHORT_PW "VOkJxbRl1RmTxUk/WvJxBt"

/* RFC 5769 §2.1-2.3 transaction ID, and §2.4's. */
static const uint8_t __attribute__((unused)) rfc_tid[STUN_TID_LEN] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};
static const uint8_t __attribute__((unused)) rfc_lt_tid[STUN_TID_LEN] = {
	0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
};
/* "マトリックス" in UTF-8: unchanged by SASLprep. */
static const char __attribute__((unused)) rfc_lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa"
				  "\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
/* MD5 and SHA-256 of rfc_lt_user ":example.org:TheMatrIX" (Python). */
static const uint8_t __attribute__((unused)) rfc_lt_md5[16] = {
	0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
	0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9,
};
static const uint8_t __attribute__((unused)) rfc_lt_sha256[32] = {
	0xdd, 0x29, 0x5a, 0x61, 0x3b, 0x90, 0x58, 0xc3, 0xc2, 0x3d, 0x6d,
	0xc7, 0x16, 0x5b, 0xda, 0x07, 0x23, 0x04, 0xd9, 0x89, 0xc9, 0xd0,
	0xaf, 0x3a, 0x8c, 0x7e, 0x18, 0x4b, 0x4f, 0x9b, 0xb4, 0xa1,
};
static const uint8_t __attribute__((unused)) tid_a0[STUN_TID_LEN] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};

/* Reads fixtures/stun/<name> into buf; fails the test if it is missing. */
static inline size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	n = fread(buf, 1, cap, f);
	if (!feof(f))
		fail_msg("%s is larger than %zu bytes", path, cap);
	fclose(f);
	return n;
}

static inline void decode_ok(const uint8_t *buf, size_t len, unsigned flags,
		      struct stun_msg *m)
{
	char detail[200];
	int rc = stun_decode(buf, len, flags, m, detail, sizeof(detail));

	if (rc)
		fail_msg("decode: %s: %s", np_errname(rc), detail);
}

static inline int short_key(uint8_t key[64])
{
	int n = stun_key_short(SHORT_PW, key, 64);

	assert_int_equal(n, (int)strlen(SHORT_PW));
	return n;
}

static inline void assert_str_attr(const struct stun_msg *m, uint16_t type,
			    const char *want)
{
	const struct stun_attr *a = stun_msg_find(m, type);

	assert_non_null(a);
	assert_int_equal(a->len, strlen(want));
	assert_memory_equal(a->val, want, a->len);
}

static inline struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static inline void assert_addr(const struct sockaddr_storage *got, const char *ip,
			uint16_t port)
{
	struct sockaddr_storage want = addr(ip, port);

	assert_int_equal(got->ss_family, want.ss_family);
	if (want.ss_family == AF_INET)
		assert_memory_equal(got, &want, sizeof(struct sockaddr_in));
	else
		assert_memory_equal(got, &want, sizeof(struct sockaddr_in6));
}

/* ---- RFC 5769 vectors, decoded ---- */

static inline void assert_encodes_to(struct stun_enc *w, const char *fixture)
{
	uint8_t want[512];
	size_t wlen = load(fixture, want, sizeof(want)), glen = 0;

	assert_int_equal(stun_enc_end(w, &glen), 0);
	assert_int_equal(glen, wlen);
	assert_memory_equal(w->buf, want, wlen);
}

#endif
