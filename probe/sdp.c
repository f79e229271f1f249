/*
 * sdp.c - parse and write the transport part of SDP (RFC 8866) as JSEP
 * (RFC 8829) offers and answers carry it: RFC 8839 ice-ufrag, ice-pwd,
 * ice-options and the §5.1 candidate grammar, RFC 6544 tcptype, RFC 8840
 * end-of-candidates, RFC 8843 BUNDLE groups, RFC 8122 fingerprint and
 * setup, RFC 5761 rtcp-mux; and the bare form of the same attributes.
 *
 * The text is read line by line through a bounded cursor: a line is a
 * slice of the input (never NUL-terminated in place, never written), and
 * each field is checked against what remains of its line. Tokens that must
 * go to libc (inet_pton) are copied into a bounded buffer first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "np_tok.h"
#include "sdp.h"

static const char *const err_names[] = {
#define SDP_ERR_NAME(name, text) #name,
	SDP_ERR_MAP(SDP_ERR_NAME)
#undef SDP_ERR_NAME
};
static const char *const err_texts[] = {
#define SDP_ERR_TEXT(name, text) text,
	SDP_ERR_MAP(SDP_ERR_TEXT)
#undef SDP_ERR_TEXT
};

const char *sdp_errname(enum sdp_err e)
{
	return (unsigned)e < SDP_ERR__COUNT ? err_names[e] : "?";
}

const char *sdp_errtext(enum sdp_err e)
{
	return (unsigned)e < SDP_ERR__COUNT ? err_texts[e] : "?";
}

static const char *const setup_names[] = { "", "active", "passive",
					   "actpass", "holdconn" };

const char *sdp_setup_name(enum sdp_setup s)
{
	return (unsigned)s <= SDP_SETUP_HOLDCONN ? setup_names[s] : "?";
}

int sdp_new(struct sdp **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : NP_ENOMEM;
}

void sdp_free(struct sdp *s)
{
	free(s);
}

/* Fills err with kind, line and a sentence quoting at most 60 bytes of the
 * token; returns NP_EINVAL so that callers can `return fail(...)`. */
static int fail(struct sdp_error *err, enum sdp_err kind, unsigned line,
		struct np_tok t)
{
	size_t n = np_tok_len(t);
	size_t i;
	char q[64];

	if (!err)
		return NP_EINVAL;
	if (n > 60)
		n = 60;
	for (i = 0; i < n; i++)
		q[i] = (t.p[i] >= 0x20 && t.p[i] < 0x7f) ? t.p[i] : '?';
	q[n] = 0;
	err->kind = kind;
	err->line = line;
	snprintf(err->text, sizeof(err->text), "line %u: %s: \"%s\"%s", line,
		 sdp_errtext(kind), q, np_tok_len(t) > 60 ? "..." : "");
	return NP_EINVAL;
}

/* A candidate value (after "candidate:"); ice_cand_parse names the
 * field, which maps onto SDP_ERR_CAND_* in the same order. */
static int cand_parse(struct np_tok line, struct ice_cand *c,
		      struct sdp_error *err, unsigned ln)
{
	enum ice_cand_err why;
	size_t at, at_len;
	int rc = ice_cand_parse(line.p, np_tok_len(line), c, &why, &at, &at_len);

	if (rc >= 0)
		return rc;
	return fail(err, (enum sdp_err)(SDP_ERR_CAND_SYNTAX + why -
					ICE_CAND_ERR_SYNTAX),
		    ln, (struct np_tok){ line.p + at, line.p + at + at_len });
}

int sdp_parse_candidate(const char *s, size_t len, struct ice_cand *c,
			struct sdp_error *err)
{
	struct np_tok line = { s, s + len };

	if (len > SDP_MAX_LINE)
		return fail(err, SDP_ERR_LINE_TOO_LONG, 0, line);
	if (len >= 10 && memcmp(s, "candidate:", 10) == 0)
		line.p += 10;
	return cand_parse(line, c, err, 0);
}

/* Session-level values that m-lines inherit. */
struct sess {
	char ufrag[SDP_CRED_MAX + 1], pwd[SDP_CRED_MAX + 1];
	int trickle;
	enum sdp_setup setup;
	char fp_alg[16];
	uint8_t fp[SDP_FP_MAX];
	size_t fp_len;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "sha-256 AB:CD:..." (RFC 8122 §5). */
static int parse_fingerprint(struct np_tok val, char *alg, uint8_t *fp,
			     size_t *fp_len, struct sdp_error *err, unsigned ln)
{
	struct np_tok a, h, rest;
	const char *p;
	size_t i, n = 0;

	if (!np_tok_next(&val, &a) || !np_tok_next(&val, &h) ||
	    np_tok_next(&val, &rest) || np_tok_len(a) > 15)
		return fail(err, SDP_ERR_BAD_FINGERPRINT, ln, val);
	for (i = 0; i < np_tok_len(a); i++)
		alg[i] = (char)((a.p[i] >= 'A' && a.p[i] <= 'Z') ? a.p[i] + 32
								 : a.p[i]);
	alg[i] = 0;
	for (p = h.p;;) {
		int hi, lo;

		if (h.end - p < 2 || n == SDP_FP_MAX)
			return fail(err, SDP_ERR_BAD_FINGERPRINT, ln, h);
		hi = hexval(p[0]);
		lo = hexval(p[1]);
		if (hi < 0 || lo < 0)
			return fail(err, SDP_ERR_BAD_FINGERPRINT, ln, h);
		fp[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (p == h.end)
			break;
		if (*p++ != ':')
			return fail(err, SDP_ERR_BAD_FINGERPRINT, ln, h);
	}
	*fp_len = n;
	return 0;
}

/* One attribute, name[:value], at session level (m == NULL) or in m. */
/* "111 opus/48000/2": kept when well formed, skipped otherwise (codecs
 * are not natprobe's to judge; a bad one is simply not offered back). */
static void rtpmap(struct sdp_media *m, struct np_tok val)
{
	char line[80], name[24];
	unsigned pt, rate, ch = 0;
	size_t n = np_tok_len(val);

	if (m->nrtpmap == SDP_MAX_RTPMAP || n == 0 || n >= sizeof(line))
		return;
	memcpy(line, val.p, n);
	line[n] = 0;
	if (sscanf(line, "%u %23[^/ ]/%u/%u", &pt, name, &rate, &ch) < 3 ||
	    pt > 127 || rate == 0 || ch > 8)
		return;
	m->rtpmap[m->nrtpmap].pt = (uint8_t)pt;
	snprintf(m->rtpmap[m->nrtpmap].name, sizeof(m->rtpmap[0].name), "%s", name);
	m->rtpmap[m->nrtpmap].rate = rate;
	m->rtpmap[m->nrtpmap].channels = (uint8_t)ch;
	m->nrtpmap++;
}

static int attribute(struct sdp *s, struct sess *ss, struct sdp_media *m,
		     struct np_tok a, struct sdp_error *err, unsigned ln)
{
	struct np_tok name = a, val = { a.end, a.end }, t;
	const char *colon = memchr(a.p, ':', np_tok_len(a));
	char *ufrag = m ? m->ufrag : ss->ufrag, *pwd = m ? m->pwd : ss->pwd;
	int rc;

	if (colon) {
		name.end = colon;
		val.p = colon + 1;
	}
	if (np_tok_is(name, "candidate")) {
		if (!m)
			return 0; /* only meaningful per m-line (RFC 8839 §5.1) */
		if (m->ncands == SDP_MAX_CANDS)
			return fail(err, SDP_ERR_TOO_MANY_CANDS, ln, a);
		rc = cand_parse(val, &m->cands[m->ncands], err, ln);
		if (rc < 0)
			return rc;
		if (rc == 1)
			m->ncands++;
		else
			m->nignored++;
	} else if (np_tok_is(name, "ice-ufrag")) {
		if (!ice_chars_ok(val.p, np_tok_len(val), SDP_UFRAG_MIN, SDP_CRED_MAX))
			return fail(err, SDP_ERR_BAD_UFRAG, ln, val);
		memcpy(ufrag, val.p, np_tok_len(val));
		ufrag[np_tok_len(val)] = 0;
	} else if (np_tok_is(name, "ice-pwd")) {
		if (!ice_chars_ok(val.p, np_tok_len(val), SDP_PWD_MIN, SDP_CRED_MAX))
			return fail(err, SDP_ERR_BAD_PWD, ln, val);
		memcpy(pwd, val.p, np_tok_len(val));
		pwd[np_tok_len(val)] = 0;
	} else if (np_tok_is(name, "ice-options")) {
		while (np_tok_next(&val, &t))
			if (np_tok_is(t, "trickle"))
				*(m ? &m->trickle : &ss->trickle) = 1;
	} else if (np_tok_is(name, "fingerprint")) {
		return m ? parse_fingerprint(val, m->fp_alg, m->fp, &m->fp_len,
					     err, ln)
			 : parse_fingerprint(val, ss->fp_alg, ss->fp,
					     &ss->fp_len, err, ln);
	} else if (np_tok_is(name, "setup")) {
		enum sdp_setup v;

		for (v = SDP_SETUP_ACTIVE; v <= SDP_SETUP_HOLDCONN; v++)
			if (np_tok_is(val, setup_names[v]))
				break;
		if (v > SDP_SETUP_HOLDCONN)
			return fail(err, SDP_ERR_BAD_SETUP, ln, val);
		*(m ? &m->setup : &ss->setup) = v;
	} else if (np_tok_is(name, "mid") && m) {
		if (np_tok_len(val) < 1 || np_tok_len(val) > SDP_MID_MAX ||
		    memchr(val.p, ' ', np_tok_len(val)))
			return fail(err, SDP_ERR_BAD_MID, ln, val);
		memcpy(m->mid, val.p, np_tok_len(val));
		m->mid[np_tok_len(val)] = 0;
	} else if (np_tok_is(name, "rtcp-mux") && m) {
		m->rtcp_mux = 1;
	} else if (np_tok_is(name, "rtpmap") && m) {
		rtpmap(m, val);
	} else if (np_tok_is(name, "sctp-port") && m) {
		char num[8];
		size_t n = np_tok_len(val);
		unsigned long v;
		char *end;

		if (n == 0 || n >= sizeof(num))
			return 0;
		memcpy(num, val.p, n);
		num[n] = 0;
		v = strtoul(num, &end, 10);
		if (*end == 0 && v > 0 && v <= 65535)
			m->sctp_port = (uint16_t)v;
	} else if (m && (np_tok_is(name, "sendrecv") || np_tok_is(name, "sendonly") ||
			 np_tok_is(name, "recvonly") || np_tok_is(name, "inactive"))) {
		memcpy(m->direction, name.p, np_tok_len(name));
		m->direction[np_tok_len(name)] = 0;
	} else if (np_tok_is(name, "end-of-candidates") && m) {
		m->end_of_candidates = 1;
	} else if (np_tok_is(name, "group") && !m && np_tok_next(&val, &t) &&
		   np_tok_is(t, "BUNDLE")) {
		while (np_tok_next(&val, &t) && s->nbundle < SDP_MAX_MEDIA) {
			if (np_tok_len(t) > SDP_MID_MAX)
				return fail(err, SDP_ERR_BAD_MID, ln, t);
			memcpy(s->bundle[s->nbundle], t.p, np_tok_len(t));
			s->bundle[s->nbundle++][np_tok_len(t)] = 0;
		}
	}
	return 0;
}

/* m=<media> <port>[/<n>] <proto> <fmt> ... */
static int media_line(struct sdp_media *m, struct np_tok v,
		      struct sdp_error *err, unsigned ln)
{
	struct np_tok kind, port, proto, f, all = v;
	const char *slash;
	uint64_t n;
	size_t used = 0;

	if (!np_tok_next(&v, &kind) || !np_tok_next(&v, &port) ||
	    !np_tok_next(&v, &proto) || np_tok_len(kind) >= sizeof(m->kind) ||
	    np_tok_len(proto) >= sizeof(m->proto))
		return fail(err, SDP_ERR_BAD_MEDIA, ln, all);
	slash = memchr(port.p, '/', np_tok_len(port));
	if (slash)
		port.end = slash;
	if (!np_tok_uint(port, 5, &n) || n > 65535)
		return fail(err, SDP_ERR_BAD_MEDIA, ln, port);
	memcpy(m->kind, kind.p, np_tok_len(kind));
	m->port = (uint16_t)n;
	memcpy(m->proto, proto.p, np_tok_len(proto));
	/* The format list only matters to media code; keep what fits. */
	while (np_tok_next(&v, &f) && used + np_tok_len(f) + 1 < sizeof(m->fmt)) {
		if (used)
			m->fmt[used++] = ' ';
		memcpy(m->fmt + used, f.p, np_tok_len(f));
		used += np_tok_len(f);
	}
	return 0;
}

static void inherit(struct sdp_media *m, const struct sess *ss)
{
	if (!m->ufrag[0])
		memcpy(m->ufrag, ss->ufrag, sizeof(m->ufrag));
	if (!m->pwd[0])
		memcpy(m->pwd, ss->pwd, sizeof(m->pwd));
	if (ss->trickle)
		m->trickle = 1;
	if (m->setup == SDP_SETUP_NONE)
		m->setup = ss->setup;
	if (!m->fp_len && ss->fp_len) {
		memcpy(m->fp_alg, ss->fp_alg, sizeof(m->fp_alg));
		memcpy(m->fp, ss->fp, sizeof(m->fp));
		m->fp_len = ss->fp_len;
	}
}

int sdp_parse(const char *text, size_t len, struct sdp *s,
	      struct sdp_error *err)
{
	struct np_tok rest = { text, text + len }, line;
	struct sess ss;
	struct sdp_media *m = NULL;
	unsigned ln = 0, mline[SDP_MAX_MEDIA];
	size_t i;
	int rc, seen = 0;

	memset(s, 0, sizeof(*s));
	memset(&ss, 0, sizeof(ss));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len > SDP_MAX_SIZE)
		return fail(err, SDP_ERR_TOO_LARGE, 0, (struct np_tok){ text, text });
	while (rest.p < rest.end) {
		const char *nl = memchr(rest.p, '\n', np_tok_len(rest)), *p;

		line.p = rest.p;
		line.end = nl ? nl : rest.end;
		rest.p = nl ? nl + 1 : rest.end;
		ln++;
		if (line.end > line.p && line.end[-1] == '\r')
			line.end--;
		if (np_tok_len(line) > SDP_MAX_LINE)
			return fail(err, SDP_ERR_LINE_TOO_LONG, ln, line);
		for (p = line.p; p < line.end; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return fail(err, SDP_ERR_BAD_BYTE, ln, line);
		if (line.p == line.end)
			continue;
		if (!seen++) {
			s->bare = !(np_tok_len(line) >= 2 && line.p[0] == 'v' &&
				    line.p[1] == '=');
			if (s->bare) {
				s->nmedia = 1;
				m = &s->media[0];
			} else if (!np_tok_is(line, "v=0")) {
				return fail(err, SDP_ERR_NO_VERSION, ln, line);
			}
		}
		if (s->bare) {
			/* "a=candidate:..." or "candidate:..." alike */
			if (np_tok_len(line) >= 2 && line.p[1] == '=') {
				if (line.p[0] != 'a')
					continue;
				line.p += 2;
			}
			rc = attribute(s, &ss, m, line, err, ln);
			if (rc)
				return rc;
			continue;
		}
		if (np_tok_len(line) < 2 || line.p[1] != '=' || line.p[0] < 'a' ||
		    line.p[0] > 'z')
			return fail(err, SDP_ERR_BAD_LINE, ln, line);
		switch (line.p[0]) {
		case 'o': {
			struct np_tok v = { line.p + 2, line.end }, u, id;
			uint64_t n;

			if (np_tok_next(&v, &u) && np_tok_next(&v, &id) &&
			    np_tok_uint(id, 19, &n))
				s->sess_id = n;
			break;
		}
		case 'm':
			if (s->nmedia == SDP_MAX_MEDIA)
				return fail(err, SDP_ERR_TOO_MANY_MEDIA, ln, line);
			mline[s->nmedia] = ln;
			m = &s->media[s->nmedia++];
			rc = media_line(m, (struct np_tok){ line.p + 2, line.end },
					err, ln);
			if (rc)
				return rc;
			break;
		case 'a':
			rc = attribute(s, &ss, m,
				       (struct np_tok){ line.p + 2, line.end },
				       err, ln);
			if (rc)
				return rc;
			break;
		default:
			break; /* s=, t=, c=, b=...: not ours */
		}
	}
	if (!s->bare && !seen)
		return fail(err, SDP_ERR_NO_VERSION, 0, rest);
	for (i = 0; i < s->nmedia; i++) {
		m = &s->media[i];
		inherit(m, &ss);
		/* A rejected m-line (port 0, not bundled) needs no ICE. */
		if ((!m->ufrag[0] || !m->pwd[0]) && (s->bare || m->port != 0))
			return fail(err, SDP_ERR_NO_CREDENTIALS,
				    s->bare ? 0 : mline[i],
				    (struct np_tok){ m->kind,
						  m->kind + strlen(m->kind) });
	}
	return 0;
}

/* The writer: snprintf into what is left, the first overflow sticks. */
struct out {
	char *buf;
	size_t cap, len;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->err = NP_ENOSPACE;
		return;
	}
	o->len += (size_t)n;
}

static void put_media_attrs(struct out *o, const struct sdp_media *m)
{
	char cand[SDP_MAX_LINE];
	size_t i;

	if (m->ufrag[0])
		put(o, "a=ice-ufrag:%s\r\n", m->ufrag);
	if (m->pwd[0])
		put(o, "a=ice-pwd:%s\r\n", m->pwd);
	if (m->trickle)
		put(o, "a=ice-options:trickle\r\n");
	if (m->fp_len) {
		put(o, "a=fingerprint:%s ", m->fp_alg[0] ? m->fp_alg : "sha-256");
		for (i = 0; i < m->fp_len; i++)
			put(o, "%s%02X", i ? ":" : "", m->fp[i]);
		put(o, "\r\n");
	}
	if (m->setup != SDP_SETUP_NONE)
		put(o, "a=setup:%s\r\n", sdp_setup_name(m->setup));
	if (m->rtcp_mux)
		put(o, "a=rtcp-mux\r\n");
	for (i = 0; i < m->ncands && i < SDP_MAX_CANDS; i++) {
		int rc = ice_cand_format(&m->cands[i], cand, sizeof(cand));

		if (rc) {
			o->err = rc;
			return;
		}
		put(o, "a=%s\r\n", cand);
	}
	if (m->end_of_candidates)
		put(o, "a=end-of-candidates\r\n");
}

int sdp_write(const struct sdp *s, char *buf, size_t cap, size_t *len)
{
	struct out o = { buf, cap, 0, 0 };
	size_t i;

	if (!cap)
		return NP_ENOSPACE;
	buf[0] = 0;
	if (s->bare) {
		if (s->nmedia)
			put_media_attrs(&o, &s->media[0]);
		goto out;
	}
	put(&o, "v=0\r\no=- %llu 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
	    (unsigned long long)s->sess_id);
	if (s->nbundle) {
		put(&o, "a=group:BUNDLE");
		for (i = 0; i < s->nbundle && i < SDP_MAX_MEDIA; i++)
			put(&o, " %s", s->bundle[i]);
		put(&o, "\r\n");
	}
	for (i = 0; i < s->nmedia && i < SDP_MAX_MEDIA; i++) {
		const struct sdp_media *m = &s->media[i];

		put(&o, "m=%s %u %s%s%s\r\nc=IN IP4 0.0.0.0\r\n", m->kind,
		    m->port, m->proto, m->fmt[0] ? " " : "", m->fmt);
		if (m->mid[0])
			put(&o, "a=mid:%s\r\n", m->mid);
		if (m->direction[0])
			put(&o, "a=%s\r\n", m->direction);
		for (size_t k = 0; k < m->nrtpmap && k < SDP_MAX_RTPMAP; k++) {
			put(&o, "a=rtpmap:%u %s/%u", m->rtpmap[k].pt,
			    m->rtpmap[k].name, m->rtpmap[k].rate);
			if (m->rtpmap[k].channels)
				put(&o, "/%u", m->rtpmap[k].channels);
			put(&o, "\r\n");
		}
		if (m->sctp_port)
			put(&o, "a=sctp-port:%u\r\n", m->sctp_port);
		if (m->extra[0])
			put(&o, "%s", m->extra);
		put_media_attrs(&o, m);
	}
out:
	if (o.err)
		return o.err;
	*len = o.len;
	return 0;
}
