/*
 * test_turn_client.c - the TURN client (probe/turn_client.c,
 * probe/turn_data.c, probe/turn_wire.c).
 *
 * Pure parts first: long-term keys (RFC 8489 §9.2.2, MD5 and SHA-256),
 * the credential state across 401, 438 and other errors, ChannelData
 * framing both ways (RFC 8656 §12.4, §12.5) and the channel range. Then
 * the machine against an in-process server: a UDP socket on 127.0.0.1 that
 * the test reads and answers by hand with the codec, under a fake clock
 * (the loopback delivers before sendto returns, so no real time is used):
 * the 401 -> credentials -> success sequence, a 438 retried with the new
 * nonce, a 441 reported with the server's own reason, a success whose
 * MESSAGE-INTEGRITY is wrong (not trusted), Data indications and
 * ChannelData in, and the refresh timer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "np_err.h"
#include "np_rd.h"
#include "obs.h"
#include "stun_client.h"
#include "stun_codec.h"
#include "turn_client.h"
#include "turn_wire.h"

#define RECV_BOUND_MS 2000
#define PUMP 20
#define MAX_EV 16

static const char user[] = "natprobe";
static const char pass[] = "natprobe";
static const char realm[] = "lab.natprobe";
/* md5("natprobe:lab.natprobe:natprobe") and sha256 of the same. */
static const uint8_t md5_key[16] = {
	0xb4, 0xcc, 0x9f, 0xf7, 0x74, 0xc2, 0x1e, 0x42,
	0xbd, 0x72, 0x87, 0x80, 0xc9, 0xcc, 0x6d, 0x4c };
static const uint8_t sha256_key[32] = {
	0xce, 0xd0, 0xe7, 0x83, 0xff, 0x38, 0x55, 0x20,
	0x2c, 0x55, 0xd8, 0xd1, 0x96, 0xbe, 0xcb, 0xdb,
	0x33, 0xc8, 0x00, 0x05, 0x8d, 0x83, 0x10, 0x4a,
	0xc9, 0x84, 0x3e, 0xbe, 0x61, 0x78, 0xd7, 0x6e };

/* ---- building server messages with the codec ---- */

struct built {
	uint8_t buf[1024];
	size_t len;
	struct stun_msg m;
};

static void build_error(struct built *b, uint16_t method,
			const uint8_t tid[STUN_TID_LEN], int code,
			const char *reason, const char *nonce, int with_realm,
			const uint16_t *algs, size_t nalgs, const uint8_t *key,
			size_t key_len)
{
	struct stun_enc w;

	stun_enc_begin(&w, b->buf, sizeof(b->buf), method, STUN_ERROR, tid);
	stun_enc_error(&w, code, reason);
	if (with_realm)
		stun_enc_str(&w, STUN_ATTR_REALM, realm);
	if (nonce)
		stun_enc_str(&w, STUN_ATTR_NONCE, nonce);
	if (nalgs) {
		uint8_t v[32];

		for (size_t i = 0; i < nalgs; i++) {
			np_put16(v + 4 * i, algs[i]);
			np_put16(v + 4 * i + 2, 0);
		}
		stun_enc_attr(&w, STUN_ATTR_PASSWORD_ALGORITHMS, v, 4 * nalgs);
	}
	if (key)
		stun_enc_integrity(&w, key, key_len);
	assert_int_equal(stun_enc_end(&w, &b->len), 0);
	assert_int_equal(stun_decode(b->buf, b->len, 0, &b->m, NULL, 0), 0);
}

/* ---- pure: keys, credential state, ChannelData ---- */

static void test_long_term_key_md5_is_md5_of_user_realm_password(void **state)
{
	uint8_t key[32];

	(void)state;
	assert_int_equal(stun_key_long(user, realm, pass, STUN_PWALG_MD5, key,
				       sizeof(key)), 16);
	assert_memory_equal(key, md5_key, 16);
}

static void test_long_term_key_sha256_is_sha256_of_user_realm_password(void **state)
{
	uint8_t key[32];

	(void)state;
	assert_int_equal(stun_key_long(user, realm, pass, STUN_PWALG_SHA256,
				       key, sizeof(key)), 32);
	assert_memory_equal(key, sha256_key, 32);
}

static void test_first_401_gives_realm_nonce_and_md5_key(void **state)
{
	struct turn_auth a;
	struct built b;
	uint8_t tid[STUN_TID_LEN] = { 1 };

	(void)state;
	turn_auth_init(&a, user, pass);
	build_error(&b, TURN_ALLOCATE, tid, 401, "Unauthorized", "n0nce", 1,
		    NULL, 0, NULL, 0);
	assert_int_equal(turn_auth_on_error(&a, &b.m, 0, 0, NULL, 0),
			 TURN_AUTH_RETRY);
	assert_true(a.ready);
	assert_string_equal(a.realm, realm);
	assert_string_equal(a.nonce, "n0nce");
	assert_int_equal(a.key_len, 16);
	assert_memory_equal(a.key, md5_key, 16);
}

static void test_401_offering_sha256_picks_it_and_echoes_the_algorithms(void **state)
{
	static const uint16_t algs[] = { STUN_PWALG_MD5, STUN_PWALG_SHA256 };
	struct turn_auth a;
	struct built b, req;
	struct stun_enc w;
	uint8_t tid[STUN_TID_LEN] = { 2 };
	const struct stun_attr *pa;

	(void)state;
	turn_auth_init(&a, user, pass);
	build_error(&b, TURN_ALLOCATE, tid, 401, "Unauthorized", "obMatJos2AAAB", 1,
		    algs, 2, NULL, 0);
	assert_int_equal(turn_auth_on_error(&a, &b.m, 0, 0, NULL, 0),
			 TURN_AUTH_RETRY);
	assert_int_equal(a.alg, STUN_PWALG_SHA256);
	assert_int_equal(a.key_len, 32);
	assert_memory_equal(a.key, sha256_key, 32);
	/* The next request carries PASSWORD-ALGORITHMS as received and
	 * PASSWORD-ALGORITHM SHA-256 (RFC 8489 §9.2.4). */
	stun_enc_begin(&w, req.buf, sizeof(req.buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	assert_int_equal(turn_auth_encode(&a, &w), 0);
	assert_int_equal(stun_enc_end(&w, &req.len), 0);
	assert_int_equal(stun_decode(req.buf, req.len, 0, &req.m, NULL, 0), 0);
	pa = stun_msg_find(&req.m, STUN_ATTR_PASSWORD_ALGORITHMS);
	assert_non_null(pa);
	assert_int_equal(pa->len, 8);
	pa = stun_msg_find(&req.m, STUN_ATTR_PASSWORD_ALGORITHM);
	assert_non_null(pa);
	assert_int_equal(np_get16(pa->val), STUN_PWALG_SHA256);
	assert_non_null(stun_msg_find(&req.m, STUN_ATTR_USERNAME));
	assert_non_null(stun_msg_find(&req.m, STUN_ATTR_NONCE));
}

static void test_401_after_credentials_means_they_are_wrong(void **state)
{
	struct turn_auth a;
	struct built b;
	uint8_t tid[STUN_TID_LEN] = { 3 };
	char why[128];

	(void)state;
	turn_auth_init(&a, user, "wrong");
	build_error(&b, TURN_ALLOCATE, tid, 401, "Unauthorized", "n1", 1,
		    NULL, 0, NULL, 0);
	assert_int_equal(turn_auth_on_error(&a, &b.m, 1, 0, why, sizeof(why)),
			 TURN_AUTH_FAIL);
	assert_string_equal(why, "credentials refused");
}

static void test_438_is_retried_once_with_the_new_nonce(void **state)
{
	struct turn_auth a;
	struct built b;
	uint8_t tid[STUN_TID_LEN] = { 4 };

	(void)state;
	turn_auth_init(&a, user, pass);
	build_error(&b, TURN_ALLOCATE, tid, 401, "Unauthorized", "old", 1,
		    NULL, 0, NULL, 0);
	assert_int_equal(turn_auth_on_error(&a, &b.m, 0, 0, NULL, 0), TURN_AUTH_RETRY);
	/* A 438 may leave REALM out: the known one stays. */
	build_error(&b, TURN_REFRESH, tid, 438, "Stale Nonce", "new", 0,
		    NULL, 0, NULL, 0);
	assert_int_equal(turn_auth_on_error(&a, &b.m, 1, 0, NULL, 0), TURN_AUTH_RETRY);
	assert_string_equal(a.nonce, "new");
	assert_string_equal(a.realm, realm);
	assert_int_equal(turn_auth_on_error(&a, &b.m, 1, 1, NULL, 0), TURN_AUTH_FAIL);
}

static void test_other_errors_and_challenges_without_nonce_fail(void **state)
{
	struct turn_auth a;
	struct built b;
	uint8_t tid[STUN_TID_LEN] = { 5 };
	static const int codes[] = { 437, 440, 441, 442, 486, 508 };

	(void)state;
	turn_auth_init(&a, user, pass);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		build_error(&b, TURN_ALLOCATE, tid, codes[i], "x", "n", 1,
			    NULL, 0, NULL, 0);
		assert_int_equal(turn_auth_on_error(&a, &b.m, 1, 0, NULL, 0),
				 TURN_AUTH_FAIL);
	}
	build_error(&b, TURN_ALLOCATE, tid, 401, "Unauthorized", NULL, 1,
		    NULL, 0, NULL, 0);
	assert_int_equal(turn_auth_on_error(&a, &b.m, 0, 0, NULL, 0), TURN_AUTH_FAIL);
	assert_false(a.ready);
}

static void test_channel_numbers_outside_0x4000_0x4fff_are_refused(void **state)
{
	uint8_t buf[16];
	size_t n;

	(void)state;
	assert_false(turn_channel_valid(0x3FFF));
	assert_true(turn_channel_valid(0x4000));
	assert_true(turn_channel_valid(0x4FFF));
	assert_false(turn_channel_valid(0x5000));
	assert_false(turn_channel_valid(0xFFFF));
	assert_int_equal(turn_chandata_encode(0x5000, (const uint8_t *)"a", 1, 0,
					      buf, sizeof(buf), &n), NP_EINVAL);
	assert_int_equal(turn_chandata_encode(0x3FFF, (const uint8_t *)"a", 1, 0,
					      buf, sizeof(buf), &n), NP_EINVAL);
}

static void test_channeldata_is_padded_to_4_on_streams_only(void **state)
{
	static const uint8_t five[5] = { 1, 2, 3, 4, 5 };
	static const uint8_t udp_want[] = { 0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5 };
	static const uint8_t tcp_want[] = { 0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5,
					    0, 0, 0 };
	uint8_t buf[16];
	size_t n;

	(void)state;
	assert_int_equal(turn_chandata_encode(0x4001, five, 5, 0, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, sizeof(udp_want));
	assert_memory_equal(buf, udp_want, n);
	assert_int_equal(turn_chandata_encode(0x4001, five, 5, 1, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, sizeof(tcp_want));
	assert_memory_equal(buf, tcp_want, n);
	assert_int_equal(turn_chandata_encode(0x4001, five, 5, 1, buf, 11, &n),
			 NP_ENOSPACE);
}

static void test_channeldata_decodes_padded_and_unpadded_and_rejects_lies(void **state)
{
	static const uint8_t udp[] = { 0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5 };
	static const uint8_t tcp[] = { 0x4F, 0xFF, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0 };
	static const uint8_t lying[] = { 0x40, 0x01, 0x00, 0x09, 1, 2, 3, 4, 5 };
	static const uint8_t overpad[] = { 0x40, 0x01, 0x00, 0x01, 1, 0, 0, 0, 0 };
	static const uint8_t badch[] = { 0x50, 0x00, 0x00, 0x01, 1 };
	const uint8_t *d;
	size_t n;
	uint16_t ch;

	(void)state;
	assert_int_equal(turn_chandata_decode(udp, sizeof(udp), 0, &ch, &d, &n), 0);
	assert_int_equal(ch, 0x4001);
	assert_int_equal(n, 5);
	assert_ptr_equal(d, udp + 4);
	assert_int_equal(turn_chandata_decode(tcp, sizeof(tcp), 1, &ch, &d, &n), 0);
	assert_int_equal(ch, 0x4FFF);
	assert_int_equal(n, 5);
	/* UDP may carry the padding too; a stream must carry it. */
	assert_int_equal(turn_chandata_decode(tcp, sizeof(tcp), 0, &ch, &d, &n), 0);
	assert_int_equal(turn_chandata_decode(udp, sizeof(udp), 1, &ch, &d, &n),
			 NP_EINVAL);
	assert_int_equal(turn_chandata_decode(lying, sizeof(lying), 0, &ch, &d, &n),
			 NP_ETRUNCATED);
	assert_int_equal(turn_chandata_decode(overpad, sizeof(overpad), 0, &ch, &d, &n),
			 NP_EINVAL);
	assert_int_equal(turn_chandata_decode(badch, sizeof(badch), 0, &ch, &d, &n),
			 NP_EINVAL);
	assert_int_equal(turn_chandata_decode(udp, 3, 0, &ch, &d, &n), NP_ETRUNCATED);
}

/* ---- the machine against an in-process server ---- */

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
	int server_fd;
	struct sockaddr_storage server, client;
	struct stun_sock *sock;
	struct turn_client *turn;
	struct turn_event ev[MAX_EV];
	char reason[MAX_EV][OBS_TEXT];
	uint8_t data[MAX_EV][64];
	size_t nev;
};

static void on_turn(struct turn_client *t, const struct turn_event *ev,
		    void *arg)
{
	struct fixture *f = arg;

	(void)t;
	if (f->nev >= MAX_EV)
		return;
	f->ev[f->nev] = *ev;
	snprintf(f->reason[f->nev], OBS_TEXT, "%s", ev->reason ? ev->reason : "");
	if (ev->data && ev->len <= sizeof(f->data[0]))
		memcpy(f->data[f->nev], ev->data, ev->len);
	f->ev[f->nev].reason = f->reason[f->nev];
	f->ev[f->nev].data = f->data[f->nev];
	f->ev[f->nev].peer = NULL;
	f->nev++;
}

static int setup(void **state)
{
	static struct fixture f;
	struct sockaddr_in sin;
	socklen_t len = sizeof(f.server);
	struct turn_cfg cfg;

	memset(&f, 0, sizeof(f));
	f.clock.now = 1000000;
	if (np_loop_new(&f.loop) != 0)
		return -1;
	np_loop_set_clock(f.loop, fake_now, &f.clock);
	obs_log_init(&f.log, 0, 0);
	np_ctx_init(&f.ctx, f.loop, &f.log);
	f.server_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (f.server_fd < 0 || bind(f.server_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(f.server_fd, (struct sockaddr *)&f.server, &len) < 0)
		return -1;
	memset(&f.client, 0, sizeof(f.client));
	memcpy(&f.client, &sin, sizeof(sin));
	if (stun_sock_open(&f.ctx, NP_UDP, &f.server, &f.client, NULL, "turn-test",
			   NULL, NULL, &f.sock) != 0)
		return -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.user = user;
	cfg.password = pass;
	if (turn_client_new(&f.ctx, f.sock, &f.server, &cfg, on_turn, &f, &f.turn) != 0)
		return -1;
	*state = &f;
	alarm(60);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	alarm(0);
	turn_client_free(f->turn);
	stun_sock_free(f->sock);
	close(f->server_fd);
	np_ctx_dispose(&f->ctx);
	obs_log_dispose(&f->log);
	np_loop_free(f->loop);
	return 0;
}

static void pump(struct fixture *f)
{
	for (int i = 0; i < PUMP; i++)
		np_loop_run_once(f->loop, 0);
}

/* The server reads one request; it must arrive within RECV_BOUND_MS. */
static void server_recv(struct fixture *f, struct built *b,
			struct sockaddr_storage *from)
{
	struct pollfd p = { .fd = f->server_fd, .events = POLLIN };
	socklen_t flen = sizeof(*from);
	ssize_t n;

	if (poll(&p, 1, RECV_BOUND_MS) != 1)
		fail_msg("the server got no datagram");
	n = recvfrom(f->server_fd, b->buf, sizeof(b->buf), 0,
		     (struct sockaddr *)from, &flen);
	assert_true(n > 0);
	b->len = (size_t)n;
	assert_int_equal(stun_decode(b->buf, b->len, 0, &b->m, NULL, 0), 0);
}

static void server_send(struct fixture *f, const struct built *b,
			const struct sockaddr_storage *to)
{
	assert_int_equal(sendto(f->server_fd, b->buf, b->len, 0,
				(const struct sockaddr *)to, np_addr_len(to)),
			 (ssize_t)b->len);
	pump(f);
}

static void build_alloc_success(struct built *b, const struct built *req,
				const struct sockaddr_storage *client,
				const uint8_t *key, size_t key_len,
				uint32_t lifetime)
{
	struct sockaddr_in relay;
	struct stun_enc w;

	memset(&relay, 0, sizeof(relay));
	relay.sin_family = AF_INET;
	relay.sin_port = htons(50000);
	inet_pton(AF_INET, "127.0.0.1", &relay.sin_addr);
	stun_enc_begin(&w, b->buf, sizeof(b->buf), req->m.method, STUN_SUCCESS,
		       req->m.tid);
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_RELAYED_ADDRESS, (struct sockaddr *)&relay);
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
			  (const struct sockaddr *)client);
	stun_enc_u32(&w, STUN_ATTR_LIFETIME, lifetime);
	stun_enc_integrity(&w, key, key_len);
	assert_int_equal(stun_enc_end(&w, &b->len), 0);
}

/* Runs 401 -> authenticated Allocate and returns the second request. */
static void allocate_to_second_request(struct fixture *f, struct built *req,
				       struct sockaddr_storage *from)
{
	struct built resp;
	const struct stun_attr *a;

	assert_int_equal(turn_allocate(f->turn), 0);
	server_recv(f, req, from);
	assert_int_equal(req->m.method, TURN_ALLOCATE);
	assert_null(stun_msg_find(&req->m, STUN_ATTR_USERNAME));
	assert_null(stun_msg_find(&req->m, STUN_ATTR_MESSAGE_INTEGRITY));
	a = stun_msg_find(&req->m, STUN_ATTR_REQUESTED_TRANSPORT);
	assert_non_null(a);
	assert_int_equal(a->val[0], TURN_PROTO_UDP);
	build_error(&resp, TURN_ALLOCATE, req->m.tid, 401, "Unauthorized",
		    "nonce-1", 1, NULL, 0, NULL, 0);
	server_send(f, &resp, from);
	server_recv(f, req, from);
	assert_non_null(stun_msg_find(&req->m, STUN_ATTR_USERNAME));
	assert_non_null(stun_msg_find(&req->m, STUN_ATTR_REALM));
	assert_int_equal(stun_check_integrity(&req->m, md5_key, 16), 0);
}

static void test_allocate_401_then_credentials_then_success(void **state)
{
	struct fixture *f = *state;
	struct built req, resp;
	struct sockaddr_storage from;
	char a[64];

	allocate_to_second_request(f, &req, &from);
	build_alloc_success(&resp, &req, &from, md5_key, 16, 600);
	server_send(f, &resp, &from);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].kind, TURN_EV_ALLOCATE);
	assert_true(f->ev[0].ok);
	assert_true(turn_allocated(f->turn));
	assert_string_equal(np_addr_str(turn_relayed(f->turn), a, sizeof(a)),
			    "127.0.0.1:50000");
	assert_true(np_addr_equal(turn_mapped(f->turn), &from));
	assert_int_equal(turn_lifetime(f->turn), 600);
}

static void test_allocate_438_is_retried_with_the_new_nonce(void **state)
{
	struct fixture *f = *state;
	struct built req, resp;
	struct sockaddr_storage from;
	const struct stun_attr *n;

	allocate_to_second_request(f, &req, &from);
	build_error(&resp, TURN_ALLOCATE, req.m.tid, 438, "Stale Nonce",
		    "nonce-2", 1, NULL, 0, NULL, 0);
	server_send(f, &resp, &from);
	assert_int_equal(f->nev, 0);
	server_recv(f, &req, &from);
	n = stun_msg_find(&req.m, STUN_ATTR_NONCE);
	assert_non_null(n);
	assert_int_equal(n->len, 7);
	assert_memory_equal(n->val, "nonce-2", 7);
	build_alloc_success(&resp, &req, &from, md5_key, 16, 600);
	server_send(f, &resp, &from);
	assert_int_equal(f->nev, 1);
	assert_true(f->ev[0].ok);
}

static void test_allocate_441_is_reported_with_the_servers_reason(void **state)
{
	struct fixture *f = *state;
	struct built req, resp;
	struct sockaddr_storage from;

	allocate_to_second_request(f, &req, &from);
	build_error(&resp, TURN_ALLOCATE, req.m.tid, 441, "Wrong Credentials (lab)",
		    NULL, 0, NULL, 0, md5_key, 16);
	server_send(f, &resp, &from);
	assert_int_equal(f->nev, 1);
	assert_false(f->ev[0].ok);
	assert_int_equal(f->ev[0].code, 441);
	assert_string_equal(f->ev[0].reason, "Wrong Credentials (lab)");
	assert_false(turn_allocated(f->turn));
}

static void test_success_with_wrong_integrity_is_not_trusted(void **state)
{
	struct fixture *f = *state;
	struct built req, resp;
	struct sockaddr_storage from;
	static const uint8_t other[16] = { 9 };

	allocate_to_second_request(f, &req, &from);
	build_alloc_success(&resp, &req, &from, other, 16, 600);
	server_send(f, &resp, &from);
	assert_int_equal(f->nev, 1);
	assert_false(f->ev[0].ok);
	assert_int_equal(f->ev[0].err, NP_ESTUN_INTEGRITY);
	assert_false(turn_allocated(f->turn));
}

static void allocate(struct fixture *f, uint32_t lifetime)
{
	struct built req, resp;
	struct sockaddr_storage from;

	allocate_to_second_request(f, &req, &from);
	build_alloc_success(&resp, &req, &from, md5_key, 16, lifetime);
	server_send(f, &resp, &from);
	assert_true(turn_allocated(f->turn));
	f->nev = 0;
}

static void peer_addr(struct sockaddr_storage *ss)
{
	struct sockaddr_in *p = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	p->sin_family = AF_INET;
	p->sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.2", &p->sin_addr);
}

static void test_channel_bind_then_channeldata_in_and_out(void **state)
{
	struct fixture *f = *state;
	struct built req, resp;
	struct sockaddr_storage from, peer, got;
	struct stun_enc w;
	const struct stun_attr *a;
	uint8_t cd[16];
	size_t n;

	allocate(f, 600);
	peer_addr(&peer);
	assert_int_equal(turn_channel_bind(f->turn, &peer, 0x5000), NP_EINVAL);
	assert_int_equal(turn_send_channel(f->turn, 0x4002, (const uint8_t *)"x", 1),
			 NP_ENOTFOUND);
	assert_int_equal(turn_channel_bind(f->turn, &peer, 0x4002), 0);
	server_recv(f, &req, &from);
	assert_int_equal(req.m.method, TURN_CHANNEL_BIND);
	a = stun_msg_find(&req.m, STUN_ATTR_CHANNEL_NUMBER);
	assert_non_null(a);
	assert_int_equal(np_get16(a->val), 0x4002);
	assert_int_equal(stun_attr_xor_addr(&req.m, stun_msg_find(&req.m,
			 STUN_ATTR_XOR_PEER_ADDRESS), &got), 0);
	assert_true(np_addr_equal(&got, &peer));
	stun_enc_begin(&w, resp.buf, sizeof(resp.buf), TURN_CHANNEL_BIND,
		       STUN_SUCCESS, req.m.tid);
	stun_enc_integrity(&w, md5_key, 16);
	assert_int_equal(stun_enc_end(&w, &resp.len), 0);
	server_send(f, &resp, &from);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].kind, TURN_EV_CHANNEL);
	assert_true(f->ev[0].ok);
	/* Out: 3 bytes unpadded over UDP. */
	assert_int_equal(turn_send_channel(f->turn, 0x4002, (const uint8_t *)"abc", 3), 0);
	{
		struct pollfd p = { .fd = f->server_fd, .events = POLLIN };
		ssize_t r;

		assert_int_equal(poll(&p, 1, RECV_BOUND_MS), 1);
		r = recv(f->server_fd, cd, sizeof(cd), 0);
		assert_int_equal(r, 7);
		assert_memory_equal(cd, "\x40\x02\x00\x03" "abc", 7);
	}
	/* In: the server relays 2 bytes on the channel. */
	assert_int_equal(turn_chandata_encode(0x4002, (const uint8_t *)"hi", 2, 0,
					      cd, sizeof(cd), &n), 0);
	assert_int_equal(sendto(f->server_fd, cd, n, 0, (struct sockaddr *)&from,
				np_addr_len(&from)), (ssize_t)n);
	pump(f);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].kind, TURN_EV_DATA);
	assert_int_equal(f->ev[1].channel, 0x4002);
	assert_int_equal(f->ev[1].len, 2);
	assert_memory_equal(f->ev[1].data, "hi", 2);
}

static void test_permission_is_refreshed_before_300_s_even_with_a_channel(void **state)
{
	struct fixture *f = *state;
	struct built req, resp;
	struct sockaddr_storage from, peer;
	struct stun_enc w;

	allocate(f, 3600);
	peer_addr(&peer);
	assert_int_equal(turn_channel_bind(f->turn, &peer, 0x4000), 0);
	server_recv(f, &req, &from);
	stun_enc_begin(&w, resp.buf, sizeof(resp.buf), TURN_CHANNEL_BIND,
		       STUN_SUCCESS, req.m.tid);
	stun_enc_integrity(&w, md5_key, 16);
	assert_int_equal(stun_enc_end(&w, &resp.len), 0);
	server_send(f, &resp, &from);
	assert_true(f->ev[0].ok);
	f->clock.now += 245ULL * 1000000;
	pump(f);
	server_recv(f, &req, &from);
	assert_int_equal(req.m.method, TURN_CREATE_PERMISSION);
}

static void test_data_indication_is_delivered_with_its_peer(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage peer;
	struct built ind;
	struct stun_enc w;
	uint8_t tid[STUN_TID_LEN] = { 7 };

	allocate(f, 600);
	peer_addr(&peer);
	stun_enc_begin(&w, ind.buf, sizeof(ind.buf), TURN_DATA, STUN_INDICATION, tid);
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	stun_enc_attr(&w, STUN_ATTR_DATA, "hello", 5);
	assert_int_equal(stun_enc_end(&w, &ind.len), 0);
	server_send(f, &ind, stun_sock_local(f->sock));
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].kind, TURN_EV_DATA);
	assert_int_equal(f->ev[0].channel, 0);
	assert_int_equal(f->ev[0].len, 5);
	assert_memory_equal(f->ev[0].data, "hello", 5);
}

static void test_refresh_goes_out_before_the_lifetime_ends(void **state)
{
	struct fixture *f = *state;
	struct built req;
	struct sockaddr_storage from;
	struct pollfd p;

	allocate(f, 600);
	/* Nothing a little before the renewal point (a minute early)... */
	f->clock.now += 530ULL * 1000000;
	pump(f);
	p.fd = f->server_fd;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 0), 0);
	/* ...then a Refresh with credentials. */
	f->clock.now += 15ULL * 1000000;
	pump(f);
	server_recv(f, &req, &from);
	assert_int_equal(req.m.method, TURN_REFRESH);
	assert_int_equal(stun_check_integrity(&req.m, md5_key, 16), 0);
}

static void test_close_sends_refresh_with_lifetime_zero(void **state)
{
	struct fixture *f = *state;
	struct built req;
	struct sockaddr_storage from;
	uint32_t life = 1;

	allocate(f, 600);
	assert_int_equal(turn_close(f->turn), 0);
	server_recv(f, &req, &from);
	assert_int_equal(req.m.method, TURN_REFRESH);
	assert_int_equal(stun_attr_u32(stun_msg_find(&req.m, STUN_ATTR_LIFETIME),
				       &life), 0);
	assert_int_equal(life, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_term_key_md5_is_md5_of_user_realm_password),
		cmocka_unit_test(test_long_term_key_sha256_is_sha256_of_user_realm_password),
		cmocka_unit_test(test_first_401_gives_realm_nonce_and_md5_key),
		cmocka_unit_test(test_401_offering_sha256_picks_it_and_echoes_the_algorithms),
		cmocka_unit_test(test_401_after_credentials_means_they_are_wrong),
		cmocka_unit_test(test_438_is_retried_once_with_the_new_nonce),
		cmocka_unit_test(test_other_errors_and_challenges_without_nonce_fail),
		cmocka_unit_test(test_channel_numbers_outside_0x4000_0x4fff_are_refused),
		cmocka_unit_test(test_channeldata_is_padded_to_4_on_streams_only),
		cmocka_unit_test(test_channeldata_decodes_padded_and_unpadded_and_rejects_lies),
		cmocka_unit_test_setup_teardown(test_allocate_401_then_credentials_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocate_438_is_retried_with_the_new_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocate_441_is_reported_with_the_servers_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_success_with_wrong_integrity_is_not_trusted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_bind_then_channeldata_in_and_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission_is_refreshed_before_300_s_even_with_a_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_indication_is_delivered_with_its_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_goes_out_before_the_lifetime_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_sends_refresh_with_lifetime_zero, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
