/*
 * portmap_http.c - what a UPnP IGD client reads and writes: HTTP responses
 * (UPnP Device Architecture 1.1 §1.3.3 SSDP search replies over UDP, and
 * the description and SOAP replies over TCP), http:// URLs with address
 * literals, the device description (URLBase, service serviceType /
 * controlURL) and SOAP responses (NewExternalIPAddress, UPnPError
 * errorCode / errorDescription), plus the SOAP requests themselves.
 *
 * No XML library: a small tolerant scanner that finds elements by local
 * name (any namespace prefix), reads leaf text with the five predefined
 * entities, and never looks outside [buf, buf + len). Inputs need not be
 * NUL-terminated; everything copied out is bounded and validated.
 */
#include "portmap.h"
#include "np_err.h"
#include "np_tok.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* HTTP ---------------------------------------------------------------------- */

static const char *find_mem(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - p) < n)
		return NULL;
	return memmem(p, (size_t)(end - p), lit, n);
}

/* Copies a header value (trimmed) if it fits and is printable. */
static void copy_val(char *dst, size_t cap, const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	dst[0] = 0;
	if ((size_t)(end - p) >= cap)
		return;
	for (const char *q = p; q < end; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return;
	memcpy(dst, p, (size_t)(end - p));
	dst[end - p] = 0;
}

/* need_end: a stream needs the blank line; a datagram may end without. */
static int parse_head(const char *buf, size_t len, struct upnp_http *h,
		      int need_end)
{
	const char *end = buf + len, *hend, *p, *body;
	struct np_tok st;
	uint64_t code;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	hend = find_mem(buf, end, "\r\n\r\n");
	body = hend ? hend + 4 : NULL;
	if (!hend) {
		hend = find_mem(buf, end, "\n\n");
		body = hend ? hend + 2 : NULL;
	}
	if (!hend) {
		if (need_end)
			return NP_ETRUNCATED;
		hend = body = end;
	}
	/* Status line: HTTP/1.x SP 3DIGIT SP reason */
	if (hend - buf < 12 || strncasecmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return NP_EINVAL;
	st.p = buf + 9;
	st.end = buf + 12;
	if (!np_tok_uint(st, 3, &code) || code < 100)
		return NP_EINVAL;
	h->status = (int)code;
	p = memchr(buf, '\n', (size_t)(hend - buf));
	p = p ? p + 1 : hend;
	while (p < hend) {
		const char *nl = memchr(p, '\n', (size_t)(hend - p));
		const char *le = nl ? nl : hend, *colon = memchr(p, ':', (size_t)(le - p));
		size_t nlen;

		if (colon) {
			nlen = (size_t)(colon - p);
			if (nlen == 8 && strncasecmp(p, "location", 8) == 0)
				copy_val(h->location, sizeof(h->location), colon + 1, le);
			else if (nlen == 2 && strncasecmp(p, "st", 2) == 0)
				copy_val(h->st, sizeof(h->st), colon + 1, le);
			else if (nlen == 6 && strncasecmp(p, "server", 6) == 0)
				copy_val(h->server, sizeof(h->server), colon + 1, le);
			else if (nlen == 14 && strncasecmp(p, "content-length", 14) == 0) {
				char v[16];
				struct np_tok t;
				uint64_t n;

				copy_val(v, sizeof(v), colon + 1, le);
				t.p = v;
				t.end = v + strlen(v);
				if (!np_tok_uint(t, 9, &n))
					return NP_EINVAL;
				h->content_length = (long)n;
			} else if (nlen == 17 && strncasecmp(p, "transfer-encoding", 17) == 0) {
				char v[32];

				copy_val(v, sizeof(v), colon + 1, le);
				h->chunked = strcasecmp(v, "chunked") == 0;
			}
		}
		p = nl ? nl + 1 : hend;
	}
	h->body = body;
	h->body_len = (size_t)(end - body);
	if (h->content_length >= 0 && (size_t)h->content_length < h->body_len)
		h->body_len = (size_t)h->content_length;
	return 0;
}

int upnp_http_parse(const char *buf, size_t len, struct upnp_http *h)
{
	return parse_head(buf, len, h, 1);
}

int upnp_ssdp_parse(const char *buf, size_t len, struct upnp_http *h)
{
	int err = parse_head(buf, len, h, 0);

	if (err)
		return err;
	if (h->status != 200 || !h->location[0])
		return NP_EINVAL;
	return 0;
}

/* URLs ------------------------------------------------------------------------ */

static int path_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f ||
		    p[i] == '"' || p[i] == '<' || p[i] == '>')
			return 0;
	return 1;
}

int upnp_url_parse(const char *s, struct upnp_url *u)
{
	const char *p, *hs, *he, *path;
	size_t slen = strnlen(s, UPNP_URL_MAX);

	memset(u, 0, sizeof(*u));
	if (slen >= UPNP_URL_MAX || slen < 8 || strncasecmp(s, "http://", 7) != 0)
		return NP_EINVAL;
	p = s + 7;
	if (*p == '[') {
		hs = p + 1;
		he = strchr(hs, ']');
		if (!he)
			return NP_EINVAL;
		p = he + 1;
	} else {
		hs = p;
		while (*p && *p != ':' && *p != '/')
			p++;
		he = p;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof(u->host))
		return NP_EINVAL;
	memcpy(u->host, hs, (size_t)(he - hs));
	u->port = 80;
	if (*p == ':') {
		unsigned long port = 0;
		const char *d = ++p;

		while (*p >= '0' && *p <= '9' && p - d < 6)
			port = port * 10 + (unsigned long)(*p++ - '0');
		if (p == d || port == 0 || port > 65535)
			return NP_EINVAL;
		u->port = (uint16_t)port;
	}
	if (*p && *p != '/')
		return NP_EINVAL;
	path = *p ? p : "/";
	if (strlen(path) >= sizeof(u->path) || !path_ok(path, strlen(path)))
		return NP_EINVAL;
	strcpy(u->path, path);
	/* Address literals only: we never resolve names a LAN device sends. */
	for (const char *q = u->host; *q; q++)
		if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
		      (*q >= 'A' && *q <= 'F') || *q == '.' || *q == ':'))
			return NP_EINVAL;
	return 0;
}

int upnp_url_resolve(const struct upnp_url *base, const char *ref,
		     struct upnp_url *out)
{
	size_t rlen = strnlen(ref, UPNP_URL_MAX);

	if (rlen >= UPNP_URL_MAX || rlen == 0)
		return NP_EINVAL;
	if (strncasecmp(ref, "http://", 7) == 0)
		return upnp_url_parse(ref, out);
	if (!path_ok(ref, rlen))
		return NP_EINVAL;
	*out = *base;
	if (ref[0] == '/') {
		memcpy(out->path, ref, rlen + 1);
		return 0;
	}
	{
		/* relative: the base's directory + ref */
		const char *slash = strrchr(base->path, '/');
		size_t dlen = slash ? (size_t)(slash - base->path) + 1 : 0;

		if (dlen == 0) {
			out->path[0] = '/';
			dlen = 1;
		}
		if (dlen + rlen >= sizeof(out->path))
			return NP_EINVAL;
		memcpy(out->path + dlen, ref, rlen + 1);
	}
	return 0;
}

/* XML --------------------------------------------------------------------------- */

/* Reads a tag name at p (after '<' or '</'), without its prefix. */
static struct np_tok tag_name(const char *p, const char *end)
{
	struct np_tok t = { p, p };

	while (t.end < end && *t.end != '>' && *t.end != '/' && *t.end != ' ' &&
	       *t.end != '\t' && *t.end != '\r' && *t.end != '\n') {
		if (*t.end == ':')
			t.p = t.end + 1;
		t.end++;
	}
	return t;
}

/* Finds the next element called name in [*p, end): *content is what lies
 * between its start and end tags; *p moves past the end tag. */
static int xml_find(const char **p, const char *end, const char *name,
		    struct np_tok *content)
{
	const char *q = *p;

	while (q < end) {
		const char *lt = memchr(q, '<', (size_t)(end - q)), *gt;
		struct np_tok t;

		if (!lt || end - lt < 2)
			return 0;
		q = lt + 1;
		if (*q == '/' || *q == '?' || *q == '!')
			continue;
		t = tag_name(q, end);
		gt = memchr(t.end, '>', (size_t)(end - t.end));
		if (!gt)
			return 0;
		if (!np_tok_is(t, name)) {
			q = gt + 1;
			continue;
		}
		if (gt[-1] == '/') {          /* <name/> */
			content->p = content->end = gt + 1;
			*p = gt + 1;
			return 1;
		}
		/* The matching end tag (same local name; no nesting of the
		 * same name in what we look for). */
		for (const char *c = gt + 1; c < end;) {
			const char *e = find_mem(c, end, "</");
			struct np_tok en;

			if (!e)
				return 0;
			en = tag_name(e + 2, end);
			if (np_tok_is(en, name)) {
				const char *close = memchr(en.end, '>', (size_t)(end - en.end));

				if (!close)
					return 0;
				content->p = gt + 1;
				content->end = e;
				*p = close + 1;
				return 1;
			}
			c = e + 2;
		}
		return 0;
	}
	return 0;
}

/* Leaf text, trimmed, with the predefined entities decoded. Refuses markup
 * inside, control characters and what does not fit. */
static int xml_text(struct np_tok t, char *dst, size_t cap)
{
	size_t n = 0;

	while (t.p < t.end && (*t.p == ' ' || *t.p == '\t' || *t.p == '\r' || *t.p == '\n'))
		t.p++;
	while (t.end > t.p && (t.end[-1] == ' ' || t.end[-1] == '\t' ||
			       t.end[-1] == '\r' || t.end[-1] == '\n'))
		t.end--;
	for (const char *p = t.p; p < t.end; p++) {
		char c = *p;

		if (c == '<' || (unsigned char)c < 0x20)
			return NP_EINVAL;
		if (c == '&') {
			static const struct { const char *e; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				{ "&quot;", '"' }, { "&apos;", '\'' },
			};
			size_t i;

			for (i = 0; i < 5; i++) {
				size_t el = strlen(ents[i].e);

				if ((size_t)(t.end - p) >= el && memcmp(p, ents[i].e, el) == 0) {
					c = ents[i].c;
					p += el - 1;
					break;
				}
			}
			if (i == 5)
				return NP_EINVAL;
		}
		if (n + 1 >= cap)
			return NP_ENOSPACE;
		dst[n++] = c;
	}
	dst[n] = 0;
	return 0;
}

/* A serviceType goes back into a SOAPAction header and an xmlns: only
 * URN characters. */
static int urn_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == ':' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int service_rank(const char *st)
{
	static const char pfx[] = "urn:schemas-upnp-org:service:";

	if (strncmp(st, pfx, sizeof(pfx) - 1) != 0)
		return 0;
	st += sizeof(pfx) - 1;
	if (strcmp(st, "WANIPConnection:2") == 0)
		return 3;
	if (strcmp(st, "WANIPConnection:1") == 0)
		return 2;
	if (strcmp(st, "WANPPPConnection:1") == 0)
		return 1;
	return 0;
}

#define UPNP_MAX_SERVICES 64

int upnp_desc_parse(const char *xml, size_t len, struct upnp_igd *igd)
{
	const char *p = xml, *end = xml + len;
	struct np_tok c;
	int best = 0;

	memset(igd, 0, sizeof(*igd));
	{
		const char *q = xml;

		if (xml_find(&q, end, "URLBase", &c) &&
		    xml_text(c, igd->url_base, sizeof(igd->url_base)) != 0)
			igd->url_base[0] = 0;
	}
	for (int n = 0; n < UPNP_MAX_SERVICES && xml_find(&p, end, "service", &c); n++) {
		const char *s = c.p;
		struct np_tok ty, cu;
		char st[UPNP_URL_MAX], cl[UPNP_URL_MAX];
		int rank;

		if (!xml_find(&s, c.end, "serviceType", &ty) ||
		    xml_text(ty, st, sizeof(st)) != 0 || !urn_ok(st))
			continue;
		rank = service_rank(st);
		if (rank <= best)
			continue;
		s = c.p;
		if (!xml_find(&s, c.end, "controlURL", &cu) ||
		    xml_text(cu, cl, sizeof(cl)) != 0 || !cl[0])
			continue;
		best = rank;
		strcpy(igd->service_type, st);
		strcpy(igd->control_url, cl);
	}
	return best ? 0 : NP_ENOTFOUND;
}

/* SOAP ---------------------------------------------------------------------------- */

int upnp_soap_parse(const char *xml, size_t len, struct upnp_soap *s)
{
	const char *end = xml + len, *p;
	struct np_tok c;
	char code[16];

	memset(s, 0, sizeof(*s));
	p = xml;
	if (xml_find(&p, end, "errorCode", &c)) {
		struct np_tok t;
		uint64_t v;

		s->fault = 1;
		if (xml_text(c, code, sizeof(code)) != 0)
			return NP_EINVAL;
		t.p = code;
		t.end = code + strlen(code);
		if (!np_tok_uint(t, 4, &v))
			return NP_EINVAL;
		s->error_code = (int)v;
		p = xml;
		if (xml_find(&p, end, "errorDescription", &c) &&
		    xml_text(c, s->error_desc, sizeof(s->error_desc)) != 0)
			s->error_desc[0] = 0;
		return 0;
	}
	p = xml;
	if (xml_find(&p, end, "Fault", &c)) {
		s->fault = 1;
		return 0;
	}
	p = xml;
	if (xml_find(&p, end, "NewExternalIPAddress", &c) &&
	    xml_text(c, s->external_ip, sizeof(s->external_ip)) != 0)
		return NP_EINVAL;
	p = xml;
	if (xml_find(&p, end, "NewReservedPort", &c) &&
	    xml_text(c, s->reserved_port, sizeof(s->reserved_port)) != 0)
		return NP_EINVAL;
	return 0;
}

/* UPnP IGD WANIPConnection:1 §2.5 / :2 §2.5 error codes, and UDA's. */
const char *upnp_error_name(int code)
{
	switch (code) {
	case 401: return "Invalid Action";
	case 402: return "Invalid Args";
	case 501: return "Action Failed";
	case 606: return "Action not authorized";
	case 713: return "SpecifiedArrayIndexInvalid";
	case 714: return "NoSuchEntryInArray";
	case 715: return "WildCardNotPermittedInSrcIP";
	case 716: return "WildCardNotPermittedInExtPort";
	case 718: return "ConflictInMappingEntry";
	case 724: return "SamePortValuesRequired";
	case 725: return "OnlyPermanentLeasesSupported";
	case 726: return "RemoteHostOnlySupportsWildcard";
	case 727: return "ExternalPortOnlySupportsWildcard";
	case 728: return "NoPortMapsAvailable";
	case 729: return "ConflictWithOtherMechanisms";
	case 732: return "WildCardNotPermittedInIntPort";
	default: return "unknown UPnP error";
	}
}

int upnp_soap_request(char *buf, size_t cap, size_t *len,
		      const struct upnp_url *ctl, const char *service_type,
		      const char *action, const char *const *arg_names,
		      const char *const *arg_values, size_t n)
{
	char body[2048];
	size_t bl;
	int k, hl;

	if (!urn_ok(service_type) || !urn_ok(action))
		return NP_EINVAL;
	k = snprintf(body, sizeof(body),
		     "<?xml version=\"1.0\"?>\r\n"
		     "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
		     "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
		     "<s:Body><u:%s xmlns:u=\"%s\">", action, service_type);
	if (k < 0 || (size_t)k >= sizeof(body))
		return NP_ENOSPACE;
	bl = (size_t)k;
	for (size_t i = 0; i < n; i++) {
		/* names and values are ours: numbers, addresses, "UDP" */
		if (!urn_ok(arg_names[i]) || strpbrk(arg_values[i], "<>&\"\r\n"))
			return NP_EINVAL;
		k = snprintf(body + bl, sizeof(body) - bl, "<%s>%s</%s>",
			     arg_names[i], arg_values[i], arg_names[i]);
		if (k < 0 || (size_t)k >= sizeof(body) - bl)
			return NP_ENOSPACE;
		bl += (size_t)k;
	}
	k = snprintf(body + bl, sizeof(body) - bl, "</u:%s></s:Body></s:Envelope>\r\n",
		     action);
	if (k < 0 || (size_t)k >= sizeof(body) - bl)
		return NP_ENOSPACE;
	bl += (size_t)k;
	/* HTTP/1.0: the reply cannot be chunked (RFC 9112 §7.1). */
	hl = snprintf(buf, cap,
		      "POST %s HTTP/1.0\r\n"
		      "Host: %s%s%s:%u\r\n"
		      "Content-Type: text/xml; charset=\"utf-8\"\r\n"
		      "Content-Length: %zu\r\n"
		      "SOAPAction: \"%s#%s\"\r\n"
		      "Connection: close\r\n\r\n",
		      ctl->path, strchr(ctl->host, ':') ? "[" : "", ctl->host,
		      strchr(ctl->host, ':') ? "]" : "", ctl->port, bl,
		      service_type, action);
	if (hl < 0 || (size_t)hl >= cap || cap - (size_t)hl <= bl)
		return NP_ENOSPACE;
	memcpy(buf + hl, body, bl);
	*len = (size_t)hl + bl;
	return 0;
}
