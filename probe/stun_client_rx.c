/*
 * stun_client_rx.c - the receiving half of the STUN client: datagrams and
 * their ICMP errors (IP_RECVERR), STUN over TCP (RFC 8489 §6.2.2 framing,
 * or RFC 4571 for ICE-TCP) and TLS. A response completes a transaction
 * only if its transaction ID matches and it comes from the address the
 * request expected; everything else is recorded and never trusted.
 */
#include "stun_client_impl.h"
#include "np_err.h"
#include "np_rd.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static void handle_message(struct stun_sock *s, const uint8_t *buf, size_t len,
			   const struct sockaddr_storage *src);
static void on_io_events(struct stun_sock *s, uint32_t ev);

static void record_malformed(struct stun_sock *s, const uint8_t *buf,
			     size_t len, const struct sockaddr_storage *src,
			     const char *why)
{
	struct obs o;

	stunc_obs_base(s, &o, OBS_MALFORMED, "");
	o.source = *src;
	o.has |= OBS_HAS_SOURCE;
	o.size = (uint32_t)len;
	snprintf(o.text, sizeof(o.text), "%s (first byte 0x%02x)", why,
		 len ? buf[0] : 0);
	np_ctx_record(s->ctx, &o);
}

static void fill_response(struct obs *o, const struct stun_msg *m)
{
	const struct stun_attr *a;

	if ((a = stun_msg_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS)) &&
	    stun_attr_xor_addr(m, a, &o->xor_mapped) == 0)
		o->has |= OBS_HAS_XOR_MAPPED;
	if ((a = stun_msg_find(m, STUN_ATTR_MAPPED_ADDRESS)) &&
	    stun_attr_addr(a, &o->mapped) == 0)
		o->has |= OBS_HAS_MAPPED;
	if ((a = stun_msg_find(m, STUN_ATTR_RESPONSE_ORIGIN)) &&
	    stun_attr_addr(a, &o->origin) == 0)
		o->has |= OBS_HAS_ORIGIN;
	if ((a = stun_msg_find(m, STUN_ATTR_OTHER_ADDRESS)) &&
	    stun_attr_addr(a, &o->other) == 0)
		o->has |= OBS_HAS_OTHER;
	else if ((a = stun_msg_find(m, STUN_ATTR_CHANGED_ADDRESS)) &&
		 stun_attr_addr(a, &o->other) == 0)
		o->has |= OBS_HAS_OTHER | OBS_HAS_CHANGED;
	if ((a = stun_msg_find(m, STUN_ATTR_ALTERNATE_SERVER)) &&
	    stun_attr_addr(a, &o->alternate) == 0)
		o->has |= OBS_HAS_ALTERNATE;
	if ((a = stun_msg_find(m, STUN_ATTR_SOFTWARE))) {
		size_t n = a->len < sizeof(o->software) - 1 ? a->len :
			   sizeof(o->software) - 1;

		for (size_t i = 0; i < n; i++)
			o->software[i] = (a->val[i] >= 0x20 && a->val[i] < 0x7f) ?
					 (char)a->val[i] : '?';
		o->software[n] = '\0';
	}
	if (m->cls == STUN_ERROR && (a = stun_msg_find(m, STUN_ATTR_ERROR_CODE))) {
		const char *reason;
		size_t rlen;
		int code;

		if (stun_attr_error(a, &code, &reason, &rlen) == 0) {
			o->error_code = code;
			o->has |= OBS_HAS_ERROR_CODE;
			if (rlen > sizeof(o->text) - 1)
				rlen = sizeof(o->text) - 1;
			for (size_t i = 0; i < rlen; i++)
				o->text[i] = (reason[i] >= 0x20 && reason[i] < 0x7f) ?
					     reason[i] : '?';
			o->text[rlen] = '\0';
		}
	}
}

static void handle_message(struct stun_sock *s, const uint8_t *buf, size_t len,
			   const struct sockaddr_storage *src)
{
	struct stun_msg m;
	char why[160];
	struct txn *x = NULL;
	struct obs o, *r;
	uint64_t now;
	int err, integrity = 0;

	/* RFC 7983 §7: STUN starts with 0..3. Classic RFC 3489 servers send
	 * no magic cookie, so the cookie is not required here. */
	if (len > 0 && buf[0] > 3 && s->raw_cb) {
		s->raw_cb(s, buf, len, src, s->raw_arg);
		return;
	}
	if (len < STUN_HEADER_LEN || buf[0] > 3) {
		record_malformed(s, buf, len, src, "not a STUN message");
		return;
	}
	err = stun_decode(buf, len, STUN_DEC_ALLOW_CLASSIC, &m, why, sizeof(why));
	if (err < 0) {
		char text[OBS_TEXT];

		snprintf(text, sizeof(text), "%s: %s", np_errname(err), why);
		record_malformed(s, buf, len, src, text);
		return;
	}
	if (m.cls == STUN_SUCCESS || m.cls == STUN_ERROR) {
		for (size_t i = 0; i < MAX_TXN; i++) {
			if (s->txns[i].in_use &&
			    memcmp(s->txns[i].tid, m.tid, STUN_TID_LEN) == 0) {
				x = &s->txns[i];
				break;
			}
		}
	}
	if (!x && s->msg_cb && s->msg_cb(s, buf, len, &m, src, s->msg_arg))
		return;
	stunc_obs_base(s, &o, OBS_UNMATCHED, x ? x->req.test : "");
	o.source = *src;
	o.has |= OBS_HAS_SOURCE | OBS_HAS_TID;
	memcpy(o.tid, m.tid, STUN_TID_LEN);
	o.method = m.method;
	o.cls = m.cls;
	o.size = (uint32_t)len;
	fill_response(&o, &m);
	if (!x) {
		const struct obs *rec;

		snprintf(o.text, sizeof(o.text), "%s %s with no transaction of ours",
			 stun_method_name(m.method), stun_class_name(m.cls));
		rec = np_ctx_record(s->ctx, &o);
		if (s->stray_cb)
			s->stray_cb(s, rec ? rec : &o, s->stray_arg);
		if (m.cls == STUN_INDICATION && s->raw_cb && !s->dead)
			s->raw_cb(s, buf, len, src, s->raw_arg);
		return;
	}
	{
		const struct sockaddr_storage *want =
			x->req.expect.ss_family ? &x->req.expect : &x->req.dst;

		o.remote = x->req.dst;
		o.has |= OBS_HAS_REMOTE;
		if (s->transport == NP_UDP && !np_addr_equal(src, want)) {
			char a[64], b[64];

			snprintf(o.text, sizeof(o.text),
				 "transaction ID matches but it came from %s, not %s",
				 np_addr_str(src, a, sizeof(a)),
				 np_addr_str(want, b, sizeof(b)));
			np_ctx_record(s->ctx, &o);
			return;
		}
	}
	now = np_loop_update_now(s->ctx->loop);
	o.kind = OBS_RESPONSE;
	o.attempt = (uint16_t)x->attempt;
	o.rtt_us = (uint32_t)(now - x->first_us);
	o.rtt_last_us = (uint32_t)(now - x->last_us);
	o.has |= OBS_HAS_RTT;
	o.change = x->req.change;
	o.padding = x->req.padding;
	o.response_port = x->req.response_port;
	if (x->attempt == 1)
		np_ctx_rtt_sample(s->ctx, o.rtt_us);
	if (x->req.key_len) {
		/* RFC 8489 §9.2.5: the response is checked with the request's
		 * key; the verdict is part of the observation (err, and the
		 * text unless it holds the server's reason phrase). */
		integrity = stun_check_integrity(&m, x->req.key, x->req.key_len);
		o.err = integrity;
		if (!o.text[0])
			snprintf(o.text, sizeof(o.text), "%s",
				 integrity == 0 ? "integrity verified" :
				 integrity == NP_ESTUN_NOINTEGRITY ?
				 "no MESSAGE-INTEGRITY" :
				 "MESSAGE-INTEGRITY does not match");
	}
	r = np_ctx_record(s->ctx, &o);
	if (x->req.on_msg) {
		x->req.on_msg(s, &m, integrity, x->arg);
		if (s->dead || !x->in_use)
			return;
	}
	stunc_txn_finish(x, r ? r : &o);
}

static void drain_errqueue(struct stun_sock *s)
{
	for (int budget = RECV_BUDGET; budget > 0 && !s->dead; budget--) {
		uint8_t data[512], ctl[512];
		struct sockaddr_storage dst;
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof(dst),
				     .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;

		memset(&dst, 0, sizeof(dst));
		if (recvmsg(s->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;
			char text[OBS_TEXT], a[64];

			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 &&
			       c->cmsg_type == IPV6_RECVERR)))
				continue;
			struct sockaddr_storage offender;
			size_t off_len;

			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			/* SO_EE_OFFENDER: the router that sent the ICMP. */
			memset(&offender, 0, sizeof(offender));
			off_len = c->cmsg_len - CMSG_LEN(sizeof(ee));
			if (off_len > sizeof(offender))
				off_len = sizeof(offender);
			if (off_len >= sizeof(sa_family_t))
				memcpy(&offender, CMSG_DATA(c) + sizeof(ee), off_len);
			if (offender.ss_family != AF_INET && offender.ss_family != AF_INET6)
				offender.ss_family = 0;
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
			    ee.ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			snprintf(text, sizeof(text),
				 "ICMP%s type %u code %u from the path to %s: %s",
				 ee.ee_origin == SO_EE_ORIGIN_ICMP6 ? "v6" : "",
				 ee.ee_type, ee.ee_code,
				 np_addr_str(&dst, a, sizeof(a)),
				 strerror((int)ee.ee_errno));
			/* End every transaction toward that destination. */
			for (size_t i = 0; i < MAX_TXN && !s->dead; i++) {
				struct txn *x = &s->txns[i];
				struct obs o, *r;

				if (!x->in_use || !np_addr_equal(&x->req.dst, &dst))
					continue;
				stunc_obs_base(s, &o, OBS_ICMP, x->req.test);
				o.remote = dst;
				o.has |= OBS_HAS_REMOTE | OBS_HAS_TID;
				memcpy(o.tid, x->tid, STUN_TID_LEN);
				o.attempt = (uint16_t)x->attempt;
				o.icmp_type = ee.ee_type;
				o.icmp_code = ee.ee_code;
				if (offender.ss_family) {
					o.source = offender;
					o.has |= OBS_HAS_SOURCE;
				}
				o.err = -(int)ee.ee_errno;
				snprintf(o.text, sizeof(o.text), "%s", text);
				r = np_ctx_record(s->ctx, &o);
				stunc_txn_finish(x, r ? r : &o);
			}
		}
	}
}

static void udp_readable(struct stun_sock *s)
{
	for (int budget = RECV_BUDGET; budget > 0 && !s->dead; budget--) {
		uint8_t buf[STUN_MAX_MSG];
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &slen);

		if (n < 0) {
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH)
				continue;  /* the error queue tells us more */
			return;
		}
		handle_message(s, buf, (size_t)n, &src);
	}
}

/*
 * The frame at the head of a stream's buffer. RFC 8489 §6.2.2: STUN's own
 * length field delimits messages; RFC 4571 §2 (ICE-TCP, RFC 6544 §3.2):
 * a 16-bit length precedes each packet; RFC 8656 §12.5: ChannelData on a
 * stream is padded to a multiple of 4, which its length field does not
 * count. Sets *need to the frame's whole length (0: too few bytes yet),
 * *skip to the header bytes before the message, *raw when it goes to the
 * raw hook, and *what to the words for a frame we must refuse. Returns 0,
 * or the error that ends the connection (the stream is not STUN).
 */
static int frame_at_head(const struct stun_sock *s, size_t *need, size_t *skip,
			 int *raw, const char **what)
{
	*need = *skip = 0;
	*raw = 0;
	if (s->framing == STUN_FRAMING_RFC4571) {
		*what = "RFC 4571 frame longer than we accept";
		if (s->rlen >= 2) {
			*need = 2 + (size_t)np_get16(s->rbuf);
			*skip = 2;
		}
		return 0;
	}
	if (s->rlen < 4)
		return 0;
	if (s->rbuf[0] >= 0x40 && s->rbuf[0] <= 0x4F && s->raw_cb) {
		*what = "ChannelData longer than we accept on a stream";
		*need = 4 + (((size_t)np_get16(s->rbuf + 2) + 3) & ~(size_t)3);
		*raw = 1;
		return 0;
	}
	if (s->rbuf[0] > 3) {
		*what = "server sent bytes that are not STUN (no STUN framing)";
		return NP_ENOTSTUN;
	}
	*what = "STUN message longer than we accept on a stream";
	*need = stun_frame_len(s->rbuf, s->rlen);
	return 0;
}

/* Ends a stream that cannot go on, recording why. */
static void stream_stop(struct stun_sock *s, int err, const char *what)
{
	record_malformed(s, s->rbuf, s->rlen, &s->peer, what);
	s->rlen = 0;
	stunc_conn_fail(s, err, what);
	stunc_fail_all(s, OBS_ERROR, err, what);
}

static void stream_parse(struct stun_sock *s)
{
	while (!s->dead) {
		uint8_t msg[STREAM_BUF];
		size_t need, skip;
		const char *what;
		int raw, err = frame_at_head(s, &need, &skip, &raw, &what);

		if (err < 0) {
			stream_stop(s, err, what);
			return;
		}
		if (need > sizeof(s->rbuf)) {
			stream_stop(s, NP_ESTUN_BADLEN, what);
			return;
		}
		if (need == 0 || s->rlen < need)
			return;
		memcpy(msg, s->rbuf + skip, need - skip);
		memmove(s->rbuf, s->rbuf + need, s->rlen - need);
		s->rlen -= need;
		if (raw)
			s->raw_cb(s, msg, need, &s->peer, s->raw_arg);
		else
			handle_message(s, msg, need - skip, &s->peer);
	}
}

static void tls_record(struct stun_sock *s)
{
	struct obs o;
	X509 *cert = SSL_get1_peer_certificate(s->ssl);
	long vr = SSL_get_verify_result(s->ssl);
	char subj[96] = "", exp[40] = "";

	if (cert) {
		const ASN1_TIME *na = X509_get0_notAfter(cert);
		BIO *b = BIO_new(BIO_s_mem());

		X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
					  NID_commonName, subj, sizeof(subj));
		if (b && ASN1_TIME_print(b, na) > 0) {
			int n = BIO_read(b, exp, sizeof(exp) - 1);
			exp[n > 0 ? n : 0] = '\0';
		}
		BIO_free(b);
		if (vr == X509_V_OK && s->sni[0] &&
		    X509_check_host(cert, s->sni, 0, 0, NULL) != 1 &&
		    X509_check_ip_asc(cert, s->sni, 0) != 1)
			vr = X509_V_ERR_HOSTNAME_MISMATCH;
		X509_free(cert);
	}
	stunc_obs_base(s, &o, OBS_TLS, "connect");
	o.remote = s->peer;
	o.has |= OBS_HAS_REMOTE;
	o.err = vr == X509_V_OK ? 0 : NP_ETLS;
	snprintf(o.text, sizeof(o.text), "%s %s; certificate CN=%s expires %s: %s",
		 SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl),
		 subj[0] ? subj : "?", exp[0] ? exp : "?",
		 vr == X509_V_OK ? "verified" : X509_verify_cert_error_string(vr));
	np_ctx_record(s->ctx, &o);
}

static void became_ready(struct stun_sock *s)
{
	s->state = CONN_READY;
	np_timer_stop(s->ctx->loop, &s->conn_timer);
	/* Requests queued before the connection came up go out now. */
	for (size_t i = 0; i < MAX_TXN; i++) {
		struct txn *x = &s->txns[i];

		if (x->in_use && x->attempt == 0) {
			uint64_t first = x->first_us;

			stunc_txn_transmit(x);
			x->first_us = first;
		}
	}
	stunc_stream_flush(s);
	if (s->conn_cb)
		s->conn_cb(s, 0, s->conn_arg);
}

static void tls_step(struct stun_sock *s)
{
	int r = SSL_connect(s->ssl);

	if (r == 1) {
		tls_record(s);
		became_ready(s);
		return;
	}
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		np_loop_mod_fd(s->ctx->loop, s->fd, EPOLLIN);
		return;
	case SSL_ERROR_WANT_WRITE:
		np_loop_mod_fd(s->ctx->loop, s->fd, EPOLLIN | EPOLLOUT);
		return;
	default: {
		char text[OBS_TEXT];
		unsigned long e = ERR_get_error();

		snprintf(text, sizeof(text), "TLS handshake failed: %s",
			 e ? ERR_reason_error_string(e) : "connection closed");
		ERR_clear_error();
		stunc_conn_fail(s, NP_ETLS, text);
		stunc_fail_all(s, OBS_ERROR, NP_ETLS, text);
	}
	}
}

static void stream_connected(struct stun_sock *s)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	struct obs o;

	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr) {
		char text[OBS_TEXT];

		snprintf(text, sizeof(text), "TCP connect failed: %s",
			 strerror(soerr));
		stunc_conn_fail(s, -soerr, text);
		stunc_fail_all(s, OBS_ERROR, -soerr, text);
		return;
	}
	stunc_update_local(s);
	stunc_obs_base(s, &o, OBS_CONNECT, "connect");
	o.remote = s->peer;
	o.has |= OBS_HAS_REMOTE;
	np_ctx_record(s->ctx, &o);
	if (s->transport == NP_TLS) {
		SSL_CTX *tctx;

		if (stunc_tls_ctx_get(s->ctx, &tctx) < 0 || !(s->ssl = SSL_new(tctx))) {
			stunc_conn_fail(s, NP_ETLS, "cannot set up TLS (bad --tls-ca?)");
			stunc_fail_all(s, OBS_ERROR, NP_ETLS, "cannot set up TLS");
			return;
		}
		SSL_set_fd(s->ssl, s->fd);
		if (s->sni[0] && !strchr(s->sni, ':') &&
		    strspn(s->sni, "0123456789.") != strlen(s->sni))
			SSL_set_tlsext_host_name(s->ssl, s->sni);
		s->state = CONN_TLS;
		tls_step(s);
		return;
	}
	became_ready(s);
}

static void stream_readable(struct stun_sock *s)
{
	for (int budget = RECV_BUDGET; budget > 0 && s->state == CONN_READY && !s->dead; budget--) {
		ssize_t n;

		if (s->rlen == sizeof(s->rbuf)) {
			stream_parse(s);
			return;
		}
		if (s->ssl) {
			int r = SSL_read(s->ssl, s->rbuf + s->rlen,
					 (int)(sizeof(s->rbuf) - s->rlen));

			if (r <= 0) {
				int e = SSL_get_error(s->ssl, r);

				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					return;
				n = 0;
			} else {
				n = r;
			}
		} else {
			n = recv(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen,
				 MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
		}
		if (n <= 0) {
			int err = n < 0 ? -errno : NP_ETRUNCATED;

			stunc_conn_fail(s, err, n < 0 ? "connection reset" :
				  "server closed the connection");
			stunc_fail_all(s, OBS_ERROR, err, n < 0 ? "connection reset" :
				 "server closed the connection");
			return;
		}
		s->rlen += (size_t)n;
		stream_parse(s);
	}
}

void stunc_on_io(struct np_loop *loop, int fd, uint32_t ev, void *arg)
{
	struct stun_sock *s = arg;

	(void)loop;
	(void)fd;
	stunc_sock_enter(s);
	on_io_events(s, ev);
	stunc_sock_leave(s);
}

static void on_io_events(struct stun_sock *s, uint32_t ev)
{
	if (s->transport == NP_UDP) {
		if (ev & EPOLLERR)
			drain_errqueue(s);
		if ((ev & EPOLLIN) && !s->dead)
			udp_readable(s);
		return;
	}
	switch (s->state) {
	case CONN_CONNECTING:
		stream_connected(s);
		return;
	case CONN_TLS:
		tls_step(s);
		return;
	case CONN_READY:
		if (ev & EPOLLOUT)
			stunc_stream_flush(s);
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			stream_readable(s);
		return;
	case CONN_FAILED:
		return;
	}
}
