/*
 * test_portmap_client.c - the PCP and NAT-PMP machines of the port-mapping
 * client (probe/portmap.c, probe/portmap_udp.c) against a scripted gateway
 * socket on loopback, under a fake clock: the retransmission schedule (250
 * ms doubling, 2 s budget), success and release, the gateway's error codes,
 * and what must be ignored (a wrong nonce, a stranger's datagram, garbage).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "np_err.h"
#include "np_rd.h"
#include "obs.h"
#include "portmap.h"
#include "stun_client.h"

#define MAXCB 8

struct fake_clock {
	uint64_t now;
};

static uint64_t fake_now(void *arg)
{
	return ((struct fake_clock *)arg)->now;
}

struct fixture {
	struct np_loop *loop;
	struct fake_clock clock;
	struct obs_log log;
	struct np_ctx ctx;
	int gw;                          /* the scripted gateway's socket */
	struct sockaddr_storage gw_addr, internal;
	struct portmap *pm;
	struct portmap_result res[MAXCB];
	int nres;
	int free_in_cb;
};

static void on_result(void *arg, const struct portmap_result *r)
{
	struct fixture *f = arg;

	assert_true(f->nres < MAXCB);
	f->res[f->nres++] = *r;
	if (f->free_in_cb) {
		portmap_free(f->pm);
		f->pm = NULL;
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	socklen_t len = sizeof(f->gw_addr);
	struct sockaddr_in *g = (struct sockaddr_in *)(void *)&f->gw_addr;

	assert_non_null(f);
	assert_int_equal(np_loop_new(&f->loop), 0);
	np_loop_set_clock(f->loop, fake_now, &f->clock);
	obs_log_init(&f->log, 0, 0);
	np_ctx_init(&f->ctx, f->loop, &f->log);
	f->gw = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(f->gw >= 0);
	g->sin_family = AF_INET;
	g->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->gw, (struct sockaddr *)g, sizeof(*g)), 0);
	assert_int_equal(getsockname(f->gw, (struct sockaddr *)&f->gw_addr, &len), 0);
	assert_int_equal(np_addr_parse("127.0.0.1:40001", &f->internal), 0);
	assert_int_equal(portmap_new(&f->ctx, &f->gw_addr, &f->internal, on_result, f,
				     &f->pm), 0);
	assert_int_equal(portmap_only(f->pm, 1u << PORTMAP_PCP | 1u << PORTMAP_NATPMP), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	portmap_free(f->pm);
	close(f->gw);
	np_ctx_dispose(&f->ctx);
	obs_log_dispose(&f->log);
	np_loop_free(f->loop);
	free(f);
	return 0;
}

/* Takes the next request the gateway got: its bytes and sender. */
static size_t gw_recv(struct fixture *f, uint8_t *buf, size_t cap,
		      struct sockaddr_storage *from)
{
	socklen_t sl = sizeof(*from);
	ssize_t n = recvfrom(f->gw, buf, cap, 0, (struct sockaddr *)from, &sl);

	assert_true(n > 0);
	return (size_t)n;
}

/* Reads requests until one of the given version (0 NAT-PMP, 2 PCP). */
static size_t gw_take(struct fixture *f, uint8_t version, uint8_t *buf, size_t cap,
		      struct sockaddr_storage *from)
{
	for (int i = 0; i < 8; i++) {
		size_t n = gw_recv(f, buf, cap, from);

		if (buf[0] == version)
			return n;
	}
	fail_msg("no request of version %u", version);
	return 0;
}

static void gw_send(struct fixture *f, const void *buf, size_t len,
		    const struct sockaddr_storage *to)
{
	assert_int_equal(sendto(f->gw, buf, len, 0, (const struct sockaddr *)to,
				np_addr_len(to)), (ssize_t)len);
}

static void pump(struct fixture *f)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(np_loop_run_once(f->loop, 0), 0);
}

static int count(const struct obs_log *log, enum obs_kind k, const char *test)
{
	int n = 0;

	for (size_t i = 0; i < log->n; i++)
		n += log->v[i].kind == k && strcmp(log->v[i].test, test) == 0;
	return n;
}

/* A PCP MAP success answering req (60 bytes), with the given result. */
static size_t pcp_answer(const uint8_t *req, uint8_t result, uint32_t lifetime,
			 uint8_t *out)
{
	memset(out, 0, 60);
	out[0] = 2;
	out[1] = 0x81;
	out[3] = result;
	np_put32(out + 4, lifetime);
	np_put32(out + 8, 1234);                 /* epoch */
	memcpy(out + 24, req + 24, 12 + 1 + 3 + 2);   /* nonce, proto, iport */
	np_put16(out + 42, 50000);
	out[54] = out[55] = 0xff;
	out[56] = 203; out[57] = 0; out[58] = 113; out[59] = 7;
	return 60;
}

static void test_unanswered_requests_retransmit_then_give_up_at_2s(void **state)
{
	struct fixture *f = *state;
	/* RFC 6886 §3.1 shape, capped: 0, 250, 750, 1750 ms, then 2 s. */
	static const uint64_t at_ms[4] = { 0, 250, 750, 1750 };
	int k = 0;

	assert_int_equal(portmap_start(f->pm), 0);
	for (int i = 0; i < 20 && f->nres < 2; i++) {
		const struct obs *last = &f->log.v[f->log.n - 1];

		f->clock.now = last->t_us + last->rto_us;
		assert_int_equal(np_loop_run_once(f->loop, 0), 0);
	}
	assert_int_equal(f->nres, 2);
	for (size_t i = 0; i < f->log.n; i++) {
		const struct obs *o = &f->log.v[i];

		if (strcmp(o->test, "portmap.pcp") != 0 ||
		    (o->kind != OBS_SENT && o->kind != OBS_RETRANSMIT))
			continue;
		assert_true(k < 4);
		assert_int_equal(o->t_us, at_ms[k] * 1000);
		assert_int_equal(o->attempt, k + 1);
		k++;
	}
	assert_int_equal(k, 4);
	assert_int_equal(count(&f->log, OBS_TIMEOUT, "portmap.pcp"), 1);
	assert_int_equal(count(&f->log, OBS_TIMEOUT, "portmap.natpmp"), 1);
	for (int i = 0; i < 2; i++) {
		assert_false(f->res[i].ok);
		assert_false(f->res[i].release);
		assert_int_equal(f->res[i].code, NP_ETIMEOUT);
		assert_non_null(strstr(f->res[i].reason, "4 tries (2.0 s)"));
	}
	assert_int_equal(f->clock.now, 2000000);
	assert_int_equal(portmap_pending(f->pm), 0);
	/* nothing was mapped as far as we know: release has nothing to do */
	assert_int_equal(portmap_release(f->pm), 0);
	assert_int_equal(f->nres, 2);
}

static void test_pcp_maps_then_release_sends_lifetime_zero(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	uint8_t req[128], ans[64], rel[128];
	char ext[64];

	assert_int_equal(portmap_only(f->pm, 1u << PORTMAP_PCP), 0);
	assert_int_equal(portmap_start(f->pm), 0);
	assert_int_equal(gw_take(f, 2, req, sizeof(req), &from), 60);
	/* the client address field is the request's source, v4-mapped */
	assert_memory_equal(req + 18, "\xff\xff\x7f\x00\x00\x01", 6);
	assert_int_equal(np_get16(req + 40), 40001);
	assert_int_equal(np_get32(req + 4), 600);
	gw_send(f, ans, pcp_answer(req, 0, 600, ans), &from);
	pump(f);
	assert_int_equal(f->nres, 1);
	assert_true(f->res[0].ok);
	assert_int_equal(f->res[0].proto, PORTMAP_PCP);
	assert_int_equal(f->res[0].lifetime_s, 600);
	assert_string_equal(np_addr_str(&f->res[0].external, ext, sizeof(ext)),
			    "203.0.113.7:50000");
	assert_int_equal(portmap_pending(f->pm), 0);

	assert_int_equal(portmap_release(f->pm), 0);
	assert_int_equal(portmap_pending(f->pm), 1);
	assert_int_equal(gw_take(f, 2, rel, sizeof(rel), &from), 60);
	assert_int_equal(np_get32(rel + 4), 0);              /* lifetime 0 */
	assert_memory_equal(rel + 24, req + 24, 12);          /* same nonce */
	gw_send(f, ans, pcp_answer(rel, 0, 0, ans), &from);
	pump(f);
	assert_int_equal(f->nres, 2);
	assert_true(f->res[1].release);
	assert_true(f->res[1].ok);
	assert_int_equal(portmap_pending(f->pm), 0);
}

static void test_pcp_ignores_wrong_nonce_strangers_and_garbage(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	uint8_t req[128], ans[64];
	int other = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in lo = { .sin_family = AF_INET };

	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(other, (struct sockaddr *)&lo, sizeof(lo)), 0);
	assert_int_equal(portmap_only(f->pm, 1u << PORTMAP_PCP), 0);
	assert_int_equal(portmap_start(f->pm), 0);
	gw_take(f, 2, req, sizeof(req), &from);
	pcp_answer(req, 0, 600, ans);
	ans[24] ^= 1;                                  /* another nonce */
	gw_send(f, ans, 60, &from);
	gw_send(f, "\x02\x81\x00", 3, &from);          /* truncated */
	ans[24] ^= 1;
	assert_int_equal(sendto(other, ans, 60, 0, (struct sockaddr *)&from,
				np_addr_len(&from)), 60);  /* right bytes, wrong source */
	pump(f);
	assert_int_equal(f->nres, 0);
	assert_int_equal(count(&f->log, OBS_UNMATCHED, "portmap.pcp"), 2);
	assert_int_equal(count(&f->log, OBS_MALFORMED, "portmap.pcp"), 1);
	gw_send(f, ans, 60, &from);
	pump(f);
	assert_int_equal(f->nres, 1);
	assert_true(f->res[0].ok);
	close(other);
}

static void test_pcp_error_is_reported_with_code_and_name(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	uint8_t req[128], ans[64];

	assert_int_equal(portmap_only(f->pm, 1u << PORTMAP_PCP), 0);
	assert_int_equal(portmap_start(f->pm), 0);
	gw_take(f, 2, req, sizeof(req), &from);
	gw_send(f, ans, pcp_answer(req, 8, 30, ans), &from);
	pump(f);
	assert_int_equal(f->nres, 1);
	assert_false(f->res[0].ok);
	assert_int_equal(f->res[0].code, 8);
	assert_string_equal(f->res[0].reason, "8 NO_RESOURCES");
	/* a refused mapping has nothing to release */
	assert_int_equal(portmap_release(f->pm), 0);
	assert_int_equal(f->nres, 1);
}

static void test_natpmp_needs_the_mapping_and_the_public_address(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	uint8_t a[64], b[64];
	uint8_t map[16] = { 0, 0x81, 0, 0, 0, 0, 0, 9, 0x9c, 0x41, 0xc3, 0x50, 0, 0, 2, 0x58 };
	uint8_t pub[12] = { 0, 0x80, 0, 0, 0, 0, 0, 9, 203, 0, 113, 9 };
	char ext[64];
	size_t n1, n2;

	assert_int_equal(portmap_only(f->pm, 1u << PORTMAP_NATPMP), 0);
	assert_int_equal(portmap_start(f->pm), 0);
	n1 = gw_take(f, 0, a, sizeof(a), &from);
	n2 = gw_take(f, 0, b, sizeof(b), &from);
	assert_int_equal(n1 + n2, 14);    /* a 12-byte map, a 2-byte public */
	gw_send(f, map, sizeof(map), &from);
	pump(f);
	assert_int_equal(f->nres, 0);     /* the address is still missing */
	gw_send(f, pub, sizeof(pub), &from);
	pump(f);
	assert_int_equal(f->nres, 1);
	assert_true(f->res[0].ok);
	assert_string_equal(np_addr_str(&f->res[0].external, ext, sizeof(ext)),
			    "203.0.113.9:50000");
	assert_int_equal(f->res[0].lifetime_s, 600);
}

static void test_natpmp_refusal_carries_its_code(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	uint8_t req[64];
	uint8_t no[16] = { 0, 0x81, 0, 4, 0, 0, 0, 9, 0x9c, 0x41, 0, 0, 0, 0, 0, 0 };

	assert_int_equal(portmap_only(f->pm, 1u << PORTMAP_NATPMP), 0);
	assert_int_equal(portmap_start(f->pm), 0);
	gw_take(f, 0, req, sizeof(req), &from);
	gw_send(f, no, sizeof(no), &from);
	pump(f);
	assert_int_equal(f->nres, 1);
	assert_false(f->res[0].ok);
	assert_int_equal(f->res[0].code, 4);
	assert_string_equal(f->res[0].reason, "4 Out of resources");
}

static void test_release_while_asking_cancels_then_removes(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	uint8_t req[128], rel[128], ans[64];

	assert_int_equal(portmap_only(f->pm, 1u << PORTMAP_PCP), 0);
	assert_int_equal(portmap_start(f->pm), 0);
	gw_take(f, 2, req, sizeof(req), &from);
	/* the answer never comes: the owner releases before it */
	assert_int_equal(portmap_release(f->pm), 0);
	assert_int_equal(f->nres, 1);
	assert_false(f->res[0].ok);
	assert_false(f->res[0].release);
	assert_string_equal(f->res[0].reason, "cancelled by release");
	/* the request went out, so the gateway may hold a mapping: remove it */
	assert_int_equal(portmap_pending(f->pm), 1);
	gw_take(f, 2, rel, sizeof(rel), &from);
	assert_int_equal(np_get32(rel + 4), 0);
	assert_memory_equal(rel + 24, req + 24, 12);
	/* a late answer to the first request is not the removal's answer */
	gw_send(f, ans, pcp_answer(req, 0, 600, ans), &from);
	pump(f);
	assert_int_equal(f->nres, 1);
	gw_send(f, ans, pcp_answer(rel, 0, 0, ans), &from);
	pump(f);
	assert_int_equal(f->nres, 2);
	assert_true(f->res[1].release);
	assert_true(f->res[1].ok);
}

static void test_freeing_inside_the_callback_is_safe(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	uint8_t req[128], ans[64];

	f->free_in_cb = 1;
	assert_int_equal(portmap_start(f->pm), 0);
	gw_take(f, 2, req, sizeof(req), &from);
	gw_send(f, ans, pcp_answer(req, 0, 600, ans), &from);
	pump(f);
	assert_int_equal(f->nres, 1);
	assert_null(f->pm);
	/* the NAT-PMP timer died with it: nothing fires later */
	f->clock.now = 10000000;
	pump(f);
	assert_int_equal(f->nres, 1);
}

static void test_new_refuses_mixed_families_and_bad_masks(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage v6;
	struct portmap *pm = NULL;

	assert_int_equal(np_addr_parse("[::1]:40001", &v6), 0);
	assert_int_equal(portmap_new(&f->ctx, &f->gw_addr, &v6, on_result, f, &pm),
			 NP_EINVAL);
	assert_null(pm);
	assert_int_equal(portmap_only(f->pm, 0), NP_EINVAL);
	assert_int_equal(portmap_only(f->pm, 8), NP_EINVAL);
	assert_int_equal(portmap_start(f->pm), 0);
	assert_int_equal(portmap_start(f->pm), NP_EINVAL);   /* once */
	portmap_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unanswered_requests_retransmit_then_give_up_at_2s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_maps_then_release_sends_lifetime_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_ignores_wrong_nonce_strangers_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_error_is_reported_with_code_and_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_natpmp_needs_the_mapping_and_the_public_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_natpmp_refusal_carries_its_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_while_asking_cancels_then_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeing_inside_the_callback_is_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_refuses_mixed_families_and_bad_masks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
