/*
 * test_mdns.c - the wire side of mDNS resolution (probe/mdns_wire.c):
 * the query we send, and answers parsed through compression pointers,
 * with hostile ones (pointer loops, forward pointers, lengths past the
 * end) refused rather than followed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "mdns.h"
#include "np_err.h"

#define NAME "1f0c9a2e-77b1-4c2d-9e0f-3a8b5c6d7e8f.local"

/* An answer: header (response, 0 questions, 1 answer), the name in full,
 * TYPE, CLASS (cache-flush bit set, as responders send it), TTL, RDATA. */
static size_t answer(uint8_t *b, const char *name, uint16_t type,
		     const uint8_t *rdata, uint16_t rdlen)
{
	size_t n = 0;
	const char *p = name;

	memset(b, 0, 12);
	b[2] = 0x84;             /* QR, AA */
	b[7] = 1;                /* ANCOUNT */
	n = 12;
	while (*p) {
		size_t l = strcspn(p, ".");

		b[n++] = (uint8_t)l;
		memcpy(b + n, p, l);
		n += l;
		p += l + (p[l] == '.');
	}
	b[n++] = 0;
	b[n++] = (uint8_t)(type >> 8);
	b[n++] = (uint8_t)type;
	b[n++] = 0x80;           /* cache-flush */
	b[n++] = 1;              /* IN */
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 120;
	b[n++] = (uint8_t)(rdlen >> 8);
	b[n++] = (uint8_t)rdlen;
	memcpy(b + n, rdata, rdlen);
	return n + rdlen;
}

static void test_query_asks_for_a_and_aaaa(void **state)
{
	uint8_t b[600];
	int n = mdns_query_encode(b, sizeof(b), NAME);

	assert_true(n > 12);
	assert_int_equal(b[0] | b[1], 0);          /* ID 0 (RFC 6762 §18.1) */
	assert_int_equal(b[5], 2);                 /* two questions */
	assert_int_equal(b[12], 36);               /* the UUID label */
	assert_memory_equal(b + 13, NAME, 36);
	assert_int_equal(mdns_query_encode(b, sizeof(b), "bad..local"), NP_EINVAL);
	assert_int_equal(mdns_query_encode(b, 20, NAME), NP_ENOSPACE);
}

static void test_a_and_aaaa_answers(void **state)
{
	uint8_t b[600], v4[4] = { 198, 18, 0, 2 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct sockaddr_storage a;
	char why[128], s[64];
	size_t n = answer(b, NAME, 1, v4, 4);

	assert_int_equal(mdns_answer_parse(b, n, NAME, &a, why, sizeof(why)), 1);
	assert_string_equal(np_addr_str(&a, s, sizeof(s)), "198.18.0.2:0");
	/* Names compare without regard to case (RFC 6762 §16). */
	assert_int_equal(mdns_answer_parse(b, n, "1F0C9A2E-77B1-4C2D-9E0F-3A8B5C6D7E8F.LOCAL",
					   &a, why, sizeof(why)), 1);
	n = answer(b, NAME, 28, v6, 16);
	assert_int_equal(mdns_answer_parse(b, n, NAME, &a, why, sizeof(why)), 1);
	assert_int_equal(a.ss_family, AF_INET6);
	/* Someone else's name, or an A record of the wrong size: no. */
	n = answer(b, "other.local", 1, v4, 4);
	assert_int_equal(mdns_answer_parse(b, n, NAME, &a, why, sizeof(why)), 0);
	n = answer(b, NAME, 1, v6, 16);
	assert_int_equal(mdns_answer_parse(b, n, NAME, &a, why, sizeof(why)), 0);
}

static void test_compressed_name_is_followed(void **state)
{
	uint8_t b[600], v4[4] = { 198, 19, 0, 2 };
	struct sockaddr_storage a;
	char why[128];
	size_t n;

	/* A question for NAME, then an answer whose name is a pointer to
	 * the question's (offset 12). */
	memset(b, 0, sizeof(b));
	b[2] = 0x84;
	b[5] = 1;
	b[7] = 1;
	n = 12;
	b[n++] = 36;
	memcpy(b + n, NAME, 36);
	n += 36;
	b[n++] = 5;
	memcpy(b + n, "local", 5);
	n += 5;
	b[n++] = 0;
	b[n++] = 0; b[n++] = 1; b[n++] = 0; b[n++] = 1;
	b[n++] = 0xC0; b[n++] = 12;
	b[n++] = 0; b[n++] = 1; b[n++] = 0x80; b[n++] = 1;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 120;
	b[n++] = 0; b[n++] = 4;
	memcpy(b + n, v4, 4);
	n += 4;
	assert_int_equal(mdns_answer_parse(b, n, NAME, &a, why, sizeof(why)), 1);
	assert_int_equal(((struct sockaddr_in *)&a)->sin_addr.s_addr,
			 htonl(0xC6130002));
}

static void test_hostile_answers_are_refused(void **state)
{
	uint8_t b[64], v4[4] = { 1, 2, 3, 4 };
	struct sockaddr_storage a;
	char why[128];
	size_t n;

	/* A pointer to itself: a loop. */
	memset(b, 0, sizeof(b));
	b[2] = 0x84;
	b[7] = 1;
	b[12] = 0xC0;
	b[13] = 12;
	assert_int_equal(mdns_answer_parse(b, 30, NAME, &a, why, sizeof(why)),
			 NP_EINVAL);
	/* A pointer forward, past the record. */
	b[13] = 40;
	assert_int_equal(mdns_answer_parse(b, 30, NAME, &a, why, sizeof(why)),
			 NP_EINVAL);
	/* A label longer than what is left. */
	b[12] = 60;
	assert_int_equal(mdns_answer_parse(b, 30, NAME, &a, why, sizeof(why)),
			 NP_EINVAL);
	/* RDLENGTH beyond the end. */
	n = answer(b, "x.local", 1, v4, 4);
	b[n - 5] = 0xFF;
	assert_int_equal(mdns_answer_parse(b, n, "x.local", &a, why, sizeof(why)),
			 NP_EINVAL);
	assert_non_null(strstr(why, "RDLENGTH"));
	/* Cut short anywhere: never found, never a crash. */
	n = answer(b, "x.local", 1, v4, 4);
	for (size_t k = 0; k < n; k++)
		assert_true(mdns_answer_parse(b, k, "x.local", &a, why, sizeof(why)) <= 0);
	/* A query is not an answer. */
	b[2] = 0;
	assert_int_equal(mdns_answer_parse(b, n, "x.local", &a, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_asks_for_a_and_aaaa),
		cmocka_unit_test(test_a_and_aaaa_answers),
		cmocka_unit_test(test_compressed_name_is_followed),
		cmocka_unit_test(test_hostile_answers_are_refused),
	};

	return cmocka_run_group_tests_name("mdns", tests, NULL, NULL);
}
