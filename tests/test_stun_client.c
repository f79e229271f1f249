/*
 * test_stun_client.c - STUN client transactions over UDP (probe/stun_client.c,
 * probe/stun_client_rx.c) against an in-process responder.
 *
 * What is checked: a response completes a transaction only when its
 * transaction ID *and* its source match (RFC 8489 §6.3); everything else
 * becomes an observation (unmatched, malformed); ICMP port unreachable ends
 * a transaction (IP_RECVERR); cancel ends transactions at once; a callback
 * may free its socket.
 */
#include "stun_client_test_util.h"

static void test_response_matching_tid_and_source_completes_the_transaction(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, origin, other;
	struct stun_msg m;
	const struct obs *r;
	struct answer a = { .origin = &origin, .other = &other,
			    .software = "test responder 1.0" };

	np_addr_parse("127.0.0.1:3478", &origin);
	np_addr_parse("127.0.0.2:3479", &other);
	request(f, "binding.1");
	assert_int_equal(stun_sock_pending(f->sock), 1);
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_addr(&from, stun_sock_local(f->sock));
	f->clock.now += 1234;
	answer(f->responder, m.tid, &from, &from, &a);
	pump_until_logged(f, f->log.n);

	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_string_equal(f->end_tests[0], "binding.1");
	assert_int_equal(stun_sock_pending(f->sock), 0);
	r = find(&f->log, OBS_RESPONSE, 0);
	assert_non_null(r);
	assert_true(r->has & OBS_HAS_XOR_MAPPED);
	assert_addr(&r->xor_mapped, &from);
	assert_true(r->has & OBS_HAS_ORIGIN);
	assert_addr(&r->origin, &origin);
	assert_true(r->has & OBS_HAS_OTHER);
	assert_addr(&r->other, &other);
	assert_false(r->has & OBS_HAS_MAPPED);
	assert_string_equal(r->software, "test responder 1.0");
	assert_memory_equal(r->tid, m.tid, STUN_TID_LEN);
	assert_true(r->has & OBS_HAS_SOURCE);
	assert_addr(&r->source, &f->server);
	assert_addr(&r->remote, &f->server);
	assert_int_equal(r->cls, STUN_SUCCESS);
	assert_int_equal(r->attempt, 1);
	assert_true(r->has & OBS_HAS_RTT);
	assert_int_equal(r->rtt_us, 1234);
	assert_int_equal(r->t_us, 1234);
	assert_string_equal(r->server, "responder");
	assert_int_equal(r->transport, NP_UDP);
}

static void test_sent_observation_describes_the_request_on_the_wire(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_req req;
	const struct obs *s;
	size_t n;
	uint32_t flags;
	uint16_t port;

	memset(&req, 0, sizeof(req));
	req.change = STUN_CHANGE_IP | STUN_CHANGE_PORT;
	req.response_port = 40000;
	req.padding = 100;
	req.fingerprint = 1;
	request_to(f, "nat.filter.2", NULL, &req);
	n = recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	assert_int_equal(stun_attr_change_request(
		stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST), &flags), 0);
	assert_int_equal(flags, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(stun_attr_response_port(
		stun_msg_find(&m, STUN_ATTR_RESPONSE_PORT), &port), 0);
	assert_int_equal(port, 40000);
	assert_non_null(stun_msg_find(&m, STUN_ATTR_PADDING));
	assert_int_equal(stun_msg_find(&m, STUN_ATTR_PADDING)->len, 100);
	assert_int_equal(stun_check_fingerprint(&m), 0);

	s = find(&f->log, OBS_SENT, 0);
	assert_non_null(s);
	assert_int_equal(s->size, n);
	assert_int_equal(s->attempt, 1);
	assert_int_equal(s->change, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(s->response_port, 40000);
	assert_int_equal(s->padding, 100);
	assert_int_equal(s->method, STUN_BINDING);
	assert_memory_equal(s->tid, m.tid, STUN_TID_LEN);
	assert_string_equal(s->test, "nat.filter.2");
	assert_true(s->has & OBS_HAS_LOCAL);
	assert_addr(&s->local, stun_sock_local(f->sock));
	assert_addr(&s->remote, &f->server);
}

static void test_error_response_ends_the_transaction_with_its_code(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct answer a = { .cls = STUN_ERROR, .error_code = 400,
			    .reason = "Bad \"Request\"\n" };

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	answer(f->responder, m.tid, &from, &from, &a);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_int_equal(f->ends[0].cls, STUN_ERROR);
	assert_true(f->ends[0].has & OBS_HAS_ERROR_CODE);
	assert_int_equal(f->ends[0].error_code, 400);
	/* The reason phrase is kept, control characters replaced. */
	assert_string_equal(f->ends[0].text, "Bad \"Request\"?");
}

static void test_plain_mapped_address_is_recorded_beside_xor_mapped(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, rewritten;
	struct stun_msg m;
	struct answer a = { .mapped = &rewritten };

	np_addr_parse("10.0.0.5:5060", &rewritten);
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	answer(f->responder, m.tid, &from, &from, &a);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_true(f->ends[0].has & OBS_HAS_MAPPED);
	assert_true(f->ends[0].has & OBS_HAS_XOR_MAPPED);
	assert_addr(&f->ends[0].mapped, &rewritten);
	assert_addr(&f->ends[0].xor_mapped, &from);
}

/* (b) -------------------------------------------------------------------- */

static void test_right_tid_from_another_port_is_unmatched_and_not_trusted(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, spoof_addr;
	struct stun_msg m;
	const struct obs *u;
	char want[64];
	int spoof = udp_socket(&spoof_addr);
	size_t had;

	assert_true(spoof >= 0);
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	had = f->log.n;
	answer(spoof, m.tid, &from, &from, NULL);
	pump_until_logged(f, had);

	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	u = find(&f->log, OBS_UNMATCHED, 0);
	assert_non_null(u);
	assert_non_null(strstr(u->text, "came from"));
	np_addr_str(&spoof_addr, want, sizeof(want));
	assert_non_null(strstr(u->text, want));
	assert_addr(&u->source, &spoof_addr);
	assert_addr(&u->remote, &f->server);
	assert_memory_equal(u->tid, m.tid, STUN_TID_LEN);
	assert_string_equal(u->test, "binding.1");
	assert_int_equal(count(&f->log, OBS_RESPONSE), 0);

	/* The real answer still completes it. */
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_addr(&f->ends[0].source, &f->server);
	close(spoof);
}

static void test_response_from_the_expected_other_address_completes(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, alt_addr;
	struct stun_msg m;
	struct stun_req req;
	int alt = udp_socket(&alt_addr);

	/* CHANGE-REQUEST: the answer must come from the other address, and
	 * one from the address we sent to is not it. */
	assert_true(alt >= 0);
	memset(&req, 0, sizeof(req));
	req.change = STUN_CHANGE_PORT;
	req.expect = alt_addr;
	request_to(f, "nat.filter.3", NULL, &req);
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 0);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
	answer(alt, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_addr(&f->ends[0].source, &alt_addr);
	assert_int_equal(f->ends[0].change, STUN_CHANGE_PORT);
	close(alt);
}

/* (c) -------------------------------------------------------------------- */

static void test_unknown_tid_is_unmatched_and_reaches_the_stray_callback(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	uint8_t other_tid[STUN_TID_LEN];
	const struct obs *u;

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	memcpy(other_tid, m.tid, STUN_TID_LEN);
	other_tid[11] ^= 0x01;
	answer(f->responder, other_tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);

	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	u = find(&f->log, OBS_UNMATCHED, 0);
	assert_non_null(u);
	assert_memory_equal(u->tid, other_tid, STUN_TID_LEN);
	assert_non_null(strstr(u->text, "no transaction of ours"));
	assert_false(u->has & OBS_HAS_REMOTE);
	assert_addr(&u->source, &f->server);
	assert_true(u->has & OBS_HAS_XOR_MAPPED);
	assert_int_equal(f->strays, 1);
	assert_memory_equal(f->last_stray.tid, other_tid, STUN_TID_LEN);
}

static void test_request_from_a_peer_is_unmatched_even_with_our_tid(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500], req[64];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_enc w;
	size_t len;

	/* Only success and error responses can complete a transaction. */
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	stun_enc_begin(&w, req, sizeof(req), STUN_BINDING, STUN_REQUEST, m.tid);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	send_raw(f->responder, req, len, &from);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 0);
	assert_int_equal(f->strays, 1);
	assert_int_equal(f->last_stray.cls, STUN_REQUEST);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
}

static void test_response_after_the_timeout_is_unmatched(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_req req;

	memset(&req, 0, sizeof(req));
	req.max_tries = 1;
	request_to(f, "binding.1", NULL, &req);
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	f->clock.now = 10000000;
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_TIMEOUT);
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
	assert_int_equal(count(&f->log, OBS_RESPONSE), 0);
}

/* (d) -------------------------------------------------------------------- */

static void test_bytes_that_are_not_stun_are_malformed(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	const struct obs *o;
	static const char junk[] = "GET / HTTP/1.0\r\n\r\n";

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	send_raw(f->responder, junk, sizeof(junk) - 1, &from);
	pump_until_logged(f, f->log.n);
	o = find(&f->log, OBS_MALFORMED, 0);
	assert_non_null(o);
	assert_int_equal(o->size, sizeof(junk) - 1);
	assert_non_null(strstr(o->text, "not a STUN message"));
	assert_non_null(strstr(o->text, "0x47"));   /* 'G' */
	assert_addr(&o->source, &f->server);
	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	assert_int_equal(f->strays, 0);
}

static void test_stun_header_with_a_lying_length_is_malformed(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500], bad[512];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_enc w;
	const struct obs *o;
	size_t len;

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	stun_enc_begin(&w, bad, sizeof(bad), STUN_BINDING, STUN_SUCCESS, m.tid);
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
			  (const struct sockaddr *)&from);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	/* Send the header and only half of the attributes it announces. */
	send_raw(f->responder, bad, len - 4, &from);
	pump_until_logged(f, f->log.n);
	o = find(&f->log, OBS_MALFORMED, 0);
	assert_non_null(o);
	assert_non_null(strstr(o->text, "NP_ESTUN"));
	assert_int_equal(o->size, len - 4);
	/* A malformed answer with our ID completes nothing. */
	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
}

/* (e) -------------------------------------------------------------------- */

static void test_closed_port_ends_the_transaction_with_icmp_port_unreachable(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage closed;
	int tmp = udp_socket(&closed);
	const struct obs *o;

	/* A port that was bound a moment ago and is closed now. */
	assert_true(tmp >= 0);
	close(tmp);
	request(f, "binding.2");                 /* to the responder */
	request_to(f, "binding.1", &closed, NULL);
	for (int i = 0; i < PUMP_LIMIT && f->nends == 0; i++)
		assert_int_equal(np_loop_run_once(f->loop, 100000), 0);
	if (f->nends == 0)
		fail_msg("no ICMP error arrived for 127.0.0.1 port %u "
			 "(is IP_RECVERR supported here?)", np_addr_port(&closed));
	assert_int_equal(f->nends, 1);
	assert_string_equal(f->end_tests[0], "binding.1");
	assert_int_equal(f->ends[0].kind, OBS_ICMP);
	assert_int_equal(f->ends[0].icmp_type, 3);
	assert_int_equal(f->ends[0].icmp_code, 3);
	assert_int_equal(f->ends[0].err, -ECONNREFUSED);
	o = find(&f->log, OBS_ICMP, 0);
	assert_non_null(o);
	assert_addr(&o->remote, &closed);
	assert_non_null(strstr(o->text, "type 3 code 3"));
	/* The other transaction goes to another port: untouched. */
	assert_int_equal(stun_sock_pending(f->sock), 1);
	assert_int_equal(count(&f->log, OBS_TIMEOUT), 0);
}

/* (g) -------------------------------------------------------------------- */

static void test_cancel_ends_matching_transactions_with_a_cancelled_note(void **state)
{
	struct fixture *f = *state;
	size_t had;

	request(f, "hairpin.1");
	request(f, "binding.1");
	request(f, "hairpin.2");
	assert_int_equal(stun_sock_pending(f->sock), 3);
	had = f->log.n;
	stun_sock_cancel(f->sock, "hairpin.");
	assert_int_equal(f->nends, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f->ends[i].kind, OBS_NOTE);
		assert_string_equal(f->ends[i].text, "cancelled");
		assert_true(strncmp(f->end_tests[i], "hairpin.", 8) == 0);
	}
	assert_string_not_equal(f->end_tests[0], f->end_tests[1]);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	/* Not recorded: a cancel is our decision, not something seen. */
	assert_int_equal(f->log.n, had);
	/* Their timers are gone: only binding.1 goes on retransmitting. */
	f->clock.now = 250000;
	assert_int_equal(np_loop_run_once(f->loop, 0), 0);
	assert_int_equal(count(&f->log, OBS_RETRANSMIT), 1);
	assert_string_equal(find(&f->log, OBS_RETRANSMIT, 0)->test, "binding.1");
	assert_int_equal(f->nends, 2);
}

static void test_cancel_with_no_match_does_nothing(void **state)
{
	struct fixture *f = *state;

	request(f, "binding.1");
	stun_sock_cancel(f->sock, "hairpin.");
	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
}

static void test_answer_to_a_cancelled_transaction_is_unmatched(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;

	request(f, "hairpin.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	stun_sock_cancel(f->sock, "hairpin.");
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
	assert_int_equal(count(&f->log, OBS_RESPONSE), 0);
}

/* Ownership ------------------------------------------------------------ */

static void test_done_callback_may_free_the_socket(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;

	/* Regression (was a bug): probe/stun_client.c says "The callback may free the socket"
	 * (txn_finish), but udp_readable() goes on calling recvfrom(s->fd)
	 * after handle_message() returns, and drain_errqueue() and
	 * stun_sock_cancel() go on walking s->txns: a use after free. */
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	f->free_in_cb = 1;
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_null(f->sock);
}

static void test_socket_reports_its_transport_and_descriptor(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(stun_sock_transport(f->sock), NP_UDP);
	assert_true(stun_sock_fd(f->sock) >= 0);
	assert_int_equal(stun_sock_local(f->sock)->ss_family, AF_INET);
	assert_true(np_addr_port(stun_sock_local(f->sock)) != 0);
	assert_int_equal(stun_sock_set_ttl(f->sock, 5), 0);
	assert_int_equal(stun_sock_pending(f->sock), 0);
}

static void test_open_refuses_a_server_without_a_family(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage none;
	struct stun_sock *s = NULL;

	memset(&none, 0, sizeof(none));
	assert_int_equal(stun_sock_open(&f->ctx, NP_UDP, &none, NULL, NULL, "x",
					NULL, NULL, &s), NP_EINVAL);
	assert_null(s);
	stun_sock_free(NULL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_response_matching_tid_and_source_completes_the_transaction),
		T(test_sent_observation_describes_the_request_on_the_wire),
		T(test_error_response_ends_the_transaction_with_its_code),
		T(test_plain_mapped_address_is_recorded_beside_xor_mapped),
		T(test_right_tid_from_another_port_is_unmatched_and_not_trusted),
		T(test_response_from_the_expected_other_address_completes),
		T(test_unknown_tid_is_unmatched_and_reaches_the_stray_callback),
		T(test_request_from_a_peer_is_unmatched_even_with_our_tid),
		T(test_response_after_the_timeout_is_unmatched),
		T(test_bytes_that_are_not_stun_are_malformed),
		T(test_stun_header_with_a_lying_length_is_malformed),
		T(test_closed_port_ends_the_transaction_with_icmp_port_unreachable),
		T(test_cancel_ends_matching_transactions_with_a_cancelled_note),
		T(test_cancel_with_no_match_does_nothing),
		T(test_answer_to_a_cancelled_transaction_is_unmatched),
		T(test_done_callback_may_free_the_socket),
		T(test_socket_reports_its_transport_and_descriptor),
		T(test_open_refuses_a_server_without_a_family),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
