/*
 * serve_respond.c - the responder's request -> response function.
 *
 * RFC 8489 §6.3 (receiving), §6.3.1 (requests: 420 for unknown
 * comprehension-required attributes) and RFC 5780 §6 / §6.1 (preparing the
 * response: RESPONSE-ORIGIN, OTHER-ADDRESS, CHANGE-REQUEST per Table 1,
 * RESPONSE-PORT, PADDING), with RFC 5389 §12.2 for RFC 3489 clients.
 *
 * Pure: no sockets, no clock. The caller passes what arrived and on which
 * socket; we say what to send, from which socket, to where.
 */
#include "serve.h"

#include <netinet/in.h>
#include <string.h>

#include "np_err.h"
#include "stun_codec.h"

/* Attribute on the wire: 4-byte header plus value padded to 4. */
static size_t attr_size(size_t vlen)
{
	return 4 + ((vlen + 3) & ~(size_t)3);
}

static size_t addr_attr_size(const struct sockaddr *sa)
{
	/* RFC 8489 §14.1: family, port, then 4 or 16 address bytes. */
	return attr_size(sa->sa_family == AF_INET6 ? 20 : 8);
}

static uint16_t sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static size_t sa_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

/* The transport address of local socket idx for transport tr. */
static void local_addr(const struct serve_cfg *cfg, int tr, int idx,
		       struct sockaddr_storage *out)
{
	*out = cfg->ip[idx / 2].addr;
	sa_set_port(out, cfg->port[tr][idx % 2]);
}

void serve_cfg_pair(struct serve_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nip; i++) {
		cfg->ip[i].peer = -1;
		for (size_t j = 0; j < cfg->nip; j++) {
			if (j != i && cfg->ip[j].addr.ss_family ==
					      cfg->ip[i].addr.ss_family) {
				cfg->ip[i].peer = (int)j;
				break;
			}
		}
	}
}

static void add_unknown(uint16_t *list, size_t *n, size_t max, uint16_t type)
{
	for (size_t i = 0; i < *n; i++)
		if (list[i] == type)
			return;
	if (*n < max)
		list[(*n)++] = type;
}

/*
 * Starts a response to m: same method, the given class, the request's
 * transaction ID. An RFC 3489 request (no magic cookie) gets its whole
 * 128-bit ID back (RFC 5389 §12.2: "copy the value seen in the magic cookie
 * field"); the encoder wrote the cookie, so we put the old ID over it.
 */
static int begin(struct stun_enc *w, struct serve_out *out,
		 const struct stun_msg *m, uint8_t cls)
{
	int err = stun_enc_begin(w, out->buf, out->cap, m->method, cls, m->tid);

	if (err < 0)
		return err;
	if (m->classic)
		memcpy(out->buf + 4, m->tid3489, 16);
	return 0;
}

/* Appends FINGERPRINT when the request had one, then finishes. */
static int finish(struct stun_enc *w, struct serve_out *out, int want_fp)
{
	if (want_fp)
		stun_enc_fingerprint(w);
	return stun_enc_end(w, &out->len);
}

static int error_response(const struct stun_msg *m,
			  const struct serve_req *req, struct serve_out *out,
			  int code, const char *reason, const uint16_t *unknown,
			  size_t nunknown, int want_fp)
{
	struct stun_enc w;
	int err = begin(&w, out, m, STUN_ERROR);

	if (err < 0)
		return err;
	stun_enc_error(&w, code, reason);
	if (nunknown)
		stun_enc_unknown(&w, unknown, nunknown);
	err = finish(&w, out, want_fp);
	if (err < 0)
		return err;
	/* RFC 8489 §6.3.1.2: back where the request came from. */
	out->send_idx = req->local_idx;
	memcpy(&out->dst, req->src, sa_len(req->src));
	return 1;
}

int serve_respond(const struct serve_cfg *cfg, const struct serve_req *req,
		  struct serve_out *out, struct serve_counters *c)
{
	struct stun_msg m;
	const struct stun_attr *cr, *rp, *pad, *fp;
	uint16_t unknown[8];
	size_t nunknown = 0, budget, growth, pad_len = 0;
	uint32_t flags = 0;
	uint16_t resp_port = 0;
	int ipi, alt, send_idx, tr = req->transport, err, want_fp;
	struct sockaddr_storage origin, other;
	const struct sockaddr *src = req->src;
	struct stun_enc w;

	c->received++;
	if (req->local_idx < 0 || (size_t)req->local_idx >= 2 * cfg->nip ||
	    tr < SERVE_UDP || tr > SERVE_TLS)
		return NP_EINVAL;
	if (stun_decode(req->buf, req->len,
			STUN_DEC_ALLOW_UNKNOWN | STUN_DEC_ALLOW_CLASSIC, &m, NULL,
			0) < 0) {
		c->malformed++;
		return 0;
	}
	/* RFC 8489 §6.3.2-6.3.4: no response to a response or an indication,
	 * whatever it claims; this also keeps two servers from ping-ponging. */
	if (m.cls != STUN_REQUEST) {
		c->ignored++;
		return 0;
	}
	/* RFC 8489 §6.3 (as RFC 5389 §7.3): the agent checks "that the method
	 * value is a supported method ... If any errors are detected, the
	 * message is silently discarded." */
	if (m.method != STUN_BINDING) {
		c->unsupported++;
		return 0;
	}
	fp = stun_msg_find(&m, STUN_ATTR_FINGERPRINT);
	if (fp && stun_check_fingerprint(&m) != 0) {
		c->malformed++;
		return 0;
	}
	/* A source we cannot answer: drop rather than send to port 0. */
	if ((src->sa_family != AF_INET && src->sa_family != AF_INET6) ||
	    sa_port(src) == 0) {
		c->malformed++;
		return 0;
	}
	c->requests++;
	want_fp = fp != NULL;

	for (size_t i = 0; i < m.nunknown && i < 8; i++)
		add_unknown(unknown, &nunknown, 8, m.unknown[i]);
	/* RFC 3489 RESPONSE-ADDRESS would send the answer to any address the
	 * request names: a reflector. RFC 5389 dropped it; we treat it as the
	 * unknown comprehension-required attribute it now is. */
	if (stun_msg_find(&m, STUN_ATTR_RESPONSE_ADDRESS))
		add_unknown(unknown, &nunknown, 8, STUN_ATTR_RESPONSE_ADDRESS);
	cr = stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST);
	rp = stun_msg_find(&m, STUN_ATTR_RESPONSE_PORT);
	pad = stun_msg_find(&m, STUN_ATTR_PADDING);
	ipi = req->local_idx / 2;
	alt = req->local_idx % 2;
	if (cr) {
		int bad = stun_attr_change_request(cr, &flags) < 0;

		/* §7.2: only A and B mean anything; the rest is zero. */
		flags &= STUN_CHANGE_IP | STUN_CHANGE_PORT;

		/* RFC 5780 §6: "If a server cannot allocate the same ports on
		 * two different IP address, then it MUST NOT include an
		 * OTHER-ADDRESS attribute in any Response and MUST respond
		 * with a 420 (Unknown Attribute) to any Request with a
		 * CHANGE-REQUEST attribute." Over TCP and TLS the answer can
		 * only use the request's own connection, so any change asked
		 * for is refused the same way. */
		/* One address: we depart from §6 the way coturn does and
		 * serve the port half (OTHER-ADDRESS = this IP, other port;
		 * change-port honoured), refusing only a change of IP, so a
		 * one-address server still tells clients what it can. */
		if ((cfg->ip[ipi].peer < 0 && (flags & STUN_CHANGE_IP)) ||
		    (tr != SERVE_UDP && (bad || flags != 0)))
			add_unknown(unknown, &nunknown, 8,
				    STUN_ATTR_CHANGE_REQUEST);
		else if (bad) {
			c->err400++;
			c->responses++;
			return error_response(&m, req, out, 400,
					      "Bad CHANGE-REQUEST", NULL, 0,
					      want_fp);
		}
	}
	/* RFC 5780 §7.5: server support for RESPONSE-PORT is optional (the
	 * client must expect 420); a stream cannot send to another port. */
	if (rp && tr != SERVE_UDP)
		add_unknown(unknown, &nunknown, 8, STUN_ATTR_RESPONSE_PORT);
	if (nunknown) {
		c->err420++;
		c->responses++;
		return error_response(&m, req, out, 420, "Unknown Attribute",
				      unknown, nunknown, want_fp);
	}
	if (rp) {
		/* RFC 5780 §6.1: "If the Request also contains the
		 * RESPONSE-PORT attribute the server MUST return an error
		 * response of type 400" when it contains PADDING. */
		if (pad || stun_attr_response_port(rp, &resp_port) < 0 ||
		    resp_port == 0) {
			c->err400++;
			c->responses++;
			return error_response(&m, req, out, 400,
					      pad ? "PADDING with RESPONSE-PORT"
						  : "Bad RESPONSE-PORT",
					      NULL, 0, want_fp);
		}
	}

	/* RFC 5780 §6.1 Table 1: change IP picks the other address, change
	 * port the other port; the response leaves from that socket. */
	send_idx = req->local_idx;
	if (flags & STUN_CHANGE_IP)
		send_idx = 2 * cfg->ip[ipi].peer + alt;
	if (flags & STUN_CHANGE_PORT)
		send_idx ^= 1;
	local_addr(cfg, tr, send_idx, &origin);
	if (cfg->ip[ipi].peer >= 0)
		local_addr(cfg, tr, 2 * cfg->ip[ipi].peer + (alt ^ 1), &other);
	else
		local_addr(cfg, tr, 2 * ipi + (alt ^ 1), &other);

	/*
	 * The budget: never more than the request plus max_growth. Room is
	 * given in order of need and what does not fit is left out, SOFTWARE
	 * first: XOR-MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS,
	 * MAPPED-ADDRESS, an (empty) PADDING, SOFTWARE, then PADDING bytes.
	 * FINGERPRINT's 8 bytes are set aside first since it must be last.
	 * At SERVE_MAX_GROWTH only SOFTWARE is ever left out, and only for
	 * the smallest IPv6 requests.
	 */
	growth = cfg->max_growth ? cfg->max_growth : SERVE_MAX_GROWTH;
	budget = req->len + growth;
	if (budget > out->cap)
		budget = out->cap;
	{
		size_t used = STUN_HEADER_LEN + (want_fp ? attr_size(4) : 0);
		size_t sw = cfg->software ? strlen(cfg->software) : 0;
		int has_other = 1;
		int inc_xma = 0, inc_ro = 0, inc_oa = 0, inc_ma = 0, inc_sw = 0;

		/* An RFC 3489 client reads MAPPED-ADDRESS, SOURCE-ADDRESS and
		 * CHANGED-ADDRESS (same forms); XOR is meaningless without
		 * the cookie (RFC 5389 §12.2). */
		if (!m.classic && used + addr_attr_size(src) <= budget) {
			used += addr_attr_size(src);
			inc_xma = 1;
		}
		if (used + addr_attr_size(src) <= budget) {
			used += addr_attr_size(src);
			inc_ro = 1;
		}
		if (has_other && used + addr_attr_size(src) <= budget) {
			used += addr_attr_size(src);
			inc_oa = 1;
		}
		/* RFC 5780 §6.1: "The server MUST include both MAPPED-ADDRESS
		 * and XOR-MAPPED-ADDRESS in its Response." */
		if (used + addr_attr_size(src) <= budget) {
			used += addr_attr_size(src);
			inc_ma = 1;
		}
		if (m.classic && !inc_ma) {
			c->malformed++; /* only with a max_growth below 24 */
			return 0;
		}
		/* RFC 5780 §6.1: "If the Request contained a PADDING
		 * attribute, PADDING MUST be included in the Binding
		 * Response", so its header goes before SOFTWARE. */
		if (pad && used + 4 <= budget)
			used += 4;
		else
			pad = NULL; /* only with a max_growth below the default */
		if (sw && sw <= 763 && used + attr_size(sw) <= budget) {
			used += attr_size(sw);
			inc_sw = 1;
		}
		/* The PADDING SHOULD fill the MTU; ours fills up to the
		 * request's own size and at most the request's own PADDING
		 * length, so padding never amplifies (DESIGN.md, "the
		 * responder never amplifies"). */
		if (pad) {
			size_t target = req->len < budget ? req->len : budget;

			if (target > used)
				pad_len = (target - used) & ~(size_t)3;
			if (pad_len > (pad->len & ~(size_t)3))
				pad_len = pad->len & ~(size_t)3;
			used += pad_len;
		}

		err = begin(&w, out, &m, STUN_SUCCESS);
		if (err < 0)
			return err;
		if (inc_xma)
			stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
					  src);
		if (inc_ro)
			stun_enc_addr(&w, m.classic ? STUN_ATTR_SOURCE_ADDRESS :
				      STUN_ATTR_RESPONSE_ORIGIN,
				      (const struct sockaddr *)&origin);
		if (inc_oa)
			stun_enc_addr(&w, m.classic ? STUN_ATTR_CHANGED_ADDRESS :
				      STUN_ATTR_OTHER_ADDRESS,
				      (const struct sockaddr *)&other);
		if (inc_ma)
			stun_enc_addr(&w, STUN_ATTR_MAPPED_ADDRESS, src);
		if (inc_sw)
			stun_enc_str(&w, STUN_ATTR_SOFTWARE, cfg->software);
		if (pad)
			stun_enc_attr(&w, STUN_ATTR_PADDING, pad->val, pad_len);
		err = finish(&w, out, want_fp);
		if (err < 0)
			return err;
	}

	out->send_idx = send_idx;
	memcpy(&out->dst, src, sa_len(src));
	if (rp) {
		/* RFC 5780 §7.5: "transmitted to the source IP address of the
		 * Binding Request and the port contained in RESPONSE-PORT". */
		sa_set_port(&out->dst, resp_port);
		c->response_port++;
	}
	if ((flags & STUN_CHANGE_IP) && (flags & STUN_CHANGE_PORT))
		c->change_both++;
	else if (flags & STUN_CHANGE_IP)
		c->change_ip++;
	else if (flags & STUN_CHANGE_PORT)
		c->change_port++;
	if (pad)
		c->padding++;
	c->responses++;
	return 1;
}
