/*
 * test_serve_rl.c - the responder's per-source token buckets
 * (probe/serve_rl.c). Time is a number the test chooses: no clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "np_err.h"
#include "serve.h"

static struct sockaddr_storage v4(uint32_t ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(1);
	s->sin_addr.s_addr = htonl(ip);
	return ss;
}

static int allow(struct serve_rl *rl, const struct sockaddr_storage *ss,
		 uint64_t t)
{
	return serve_rl_allow(rl, (const struct sockaddr *)ss, t);
}

static void test_drops_beyond_the_bucket_and_recovers(void **state)
{
	struct serve_rl rl;
	struct sockaddr_storage a = v4(0xC6336407), b;
	struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)&b;
	uint64_t t = 1000000;
	int allowed = 0;

	memset(&b, 0, sizeof(b));
	b6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", &b6->sin6_addr);

	/* 10/s with a burst of 20. */
	assert_int_equal(serve_rl_init(&rl, 10, 20, 42), 0);
	for (int i = 0; i < 100; i++)
		allowed += allow(&rl, &a, t);
	assert_int_equal(allowed, 20);
	/* Another source has its own bucket. */
	assert_true(allow(&rl, &b, t));
	/* 100 ms later: exactly one more token. */
	t += 100000;
	assert_true(allow(&rl, &a, t));
	assert_false(allow(&rl, &a, t));
	/* Half a token is not a token. */
	t += 50000;
	assert_false(allow(&rl, &a, t));
	/* A long silence refills to the burst, not beyond. */
	t += 3600ull * 1000000u;
	allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += allow(&rl, &a, t);
	assert_int_equal(allowed, 20);
	/* A clock that goes backwards refills nothing and breaks nothing. */
	assert_false(allow(&rl, &a, t - 5000000));
	serve_rl_dispose(&rl);
}

static void test_default_burst_is_twice_the_rate(void **state)
{
	struct serve_rl rl;
	struct sockaddr_storage a = v4(0x0A000001);
	int allowed = 0;

	assert_int_equal(serve_rl_init(&rl, 200, 0, 1), 0);
	for (int i = 0; i < 1000; i++)
		allowed += allow(&rl, &a, 5);
	assert_int_equal(allowed, 400);
	serve_rl_dispose(&rl);
}

static void test_rate_zero_is_unlimited(void **state)
{
	struct serve_rl rl;
	struct sockaddr_storage a = v4(0x0A000001);

	assert_int_equal(serve_rl_init(&rl, 0, 0, 1), 0);
	for (int i = 0; i < 100000; i++)
		assert_true(allow(&rl, &a, 0));
	serve_rl_dispose(&rl);
}

static void test_table_is_fixed_and_evicts_the_oldest(void **state)
{
	struct serve_rl rl;
	size_t entries = (size_t)SERVE_RL_SETS * SERVE_RL_WAYS;
	size_t n = entries * 4;
	uint64_t t = 0;
	struct sockaddr_storage last;

	/* 1/s, burst 1: a remembered source gets nothing more this second. */
	assert_int_equal(serve_rl_init(&rl, 1, 1, 7), 0);
	/* Four times as many sources as entries: each new one starts with a
	 * full bucket, the table does not grow, evictions take the rest. */
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_storage s = v4(0x0A000000u + (uint32_t)i);

		assert_true(allow(&rl, &s, ++t));
	}
	assert_true(rl.evictions >= n - entries);
	/* The newest source is still remembered: its bucket is empty. */
	last = v4(0x0A000000u + (uint32_t)(n - 1));
	assert_false(allow(&rl, &last, t));
	serve_rl_dispose(&rl);
}

static void test_rejects_absurd_rates(void **state)
{
	struct serve_rl rl;

	assert_int_equal(serve_rl_init(&rl, 100000000u, 0, 1), NP_EINVAL);
	serve_rl_dispose(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drops_beyond_the_bucket_and_recovers),
		cmocka_unit_test(test_default_burst_is_twice_the_rate),
		cmocka_unit_test(test_rate_zero_is_unlimited),
		cmocka_unit_test(test_table_is_fixed_and_evicts_the_oldest),
		cmocka_unit_test(test_rejects_absurd_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
