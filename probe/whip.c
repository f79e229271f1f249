/*
 * whip.c - the WHIP (RFC 9725) client over plain HTTP/1.1: blocking (one
 * request per connection, every wait bounded by poll() and one overall
 * deadline). The endpoint's side is whip_endpoint.c.
 *
 * The client runs before the event loop starts its checks, so blocking
 * here is fine.
 */
#include "whip.h"
#include "np_err.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int whip_url_parse(const char *url, struct whip_url *u, char *why,
		   size_t wlen)
{
	const char *p, *auth, *aend, *hend, *portstr = NULL;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (!url)
		return np_say(why, wlen, NP_EINVAL, "no WHIP URL given");
	if (strncasecmp(url, "https://", 8) == 0)
		return np_say(why, wlen, NP_EINVAL,
			   "\"%s\": https is not supported yet (no TLS); use http://",
			   url);
	if (strncasecmp(url, "http://", 7) != 0)
		return np_say(why, wlen, NP_EINVAL,
			   "\"%s\": a WHIP URL starts with http://", url);
	auth = url + 7;
	aend = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(aend - auth)))
		return np_say(why, wlen, NP_EINVAL,
			   "\"%s\": user information in the URL is not supported",
			   url);
	if (*auth == '[') {
		hend = memchr(auth, ']', (size_t)(aend - auth));
		if (!hend)
			return np_say(why, wlen, NP_EINVAL,
				   "\"%s\": unterminated [IPv6 address]", url);
		p = auth + 1;
		if (hend[1] == ':')
			portstr = hend + 2;
		else if (hend + 1 != aend)
			return np_say(why, wlen, NP_EINVAL, "\"%s\": junk after ]",
				   url);
	} else {
		p = auth;
		hend = memchr(auth, ':', (size_t)(aend - auth));
		if (hend)
			portstr = hend + 1;
		else
			hend = aend;
		for (const char *c = p; c < hend; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' &&
			    *c != '.' && *c != '_')
				return np_say(why, wlen, NP_EINVAL,
					   "\"%s\": host has characters a name cannot have",
					   url);
	}
	n = (size_t)(hend - p);
	if (n == 0 || n >= sizeof(u->host))
		return np_say(why, wlen, NP_EINVAL, "\"%s\": no host, or too long",
			   url);
	memcpy(u->host, p, n);
	u->port = 80;
	if (portstr) {
		unsigned long port = 0;
		const char *c;

		for (c = portstr; c < aend && isdigit((unsigned char)*c) &&
				  port <= 65535; c++)
			port = port * 10 + (unsigned long)(*c - '0');
		if (c != aend || c == portstr || port == 0 || port > 65535)
			return np_say(why, wlen, NP_EINVAL,
				   "\"%s\": port must be 1..65535", url);
		u->port = (uint16_t)port;
	}
	n = (size_t)(aend - auth);
	if (n >= sizeof(u->authority))
		return np_say(why, wlen, NP_EINVAL, "\"%s\": host too long", url);
	memcpy(u->authority, auth, n);
	if (strchr(aend, '#'))
		return np_say(why, wlen, NP_EINVAL,
			   "\"%s\": a fragment (#) has no place in a WHIP URL",
			   url);
	if (*aend != '/')
		snprintf(u->path, sizeof(u->path), "/%s", aend);
	else if (strlen(aend) < sizeof(u->path))
		memcpy(u->path, aend, strlen(aend) + 1);
	else
		return np_say(why, wlen, NP_EINVAL, "\"%s\": path too long", url);
	for (p = u->path; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return np_say(why, wlen, NP_EINVAL,
				   "\"%s\": the path has spaces or control characters",
				   url);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, 0 when past it. */
static int left_ms(uint64_t deadline)
{
	uint64_t t = now_ms();

	return t >= deadline ? 0 : (int)(deadline - t);
}

/* Waits for events on fd until the deadline: 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	for (;;) {
		rc = poll(&p, 1, left_ms(deadline));
		if (rc >= 0)
			return rc > 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Non-blocking connect to each address in turn, within the deadline. */
static int dial(const struct whip_url *u, uint64_t deadline, const char *url,
		char *why, size_t wlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	char port[8];
	int fd = -1, rc, err = ECONNREFUSED;
	socklen_t elen;

	snprintf(port, sizeof(port), "%u", u->port);
	rc = getaddrinfo(u->host, port, &hints, &ai);
	if (rc)
		return np_say(why, wlen, NP_ERESOLVE, "%s: %s: %s", url, u->host,
			   gai_strerror(rc));
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
				  SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc == 0) {
				close(fd);
				freeaddrinfo(ai);
				return np_say(why, wlen, NP_ETIMEOUT,
					   "%s: connecting timed out", url);
			}
			elen = sizeof(err);
			if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
						 &elen) == 0 && err == 0)
				break;
			if (rc < 0)
				err = -rc;
		} else {
			err = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return np_say(why, wlen, -err, "%s: connecting to %s: %s", url,
			   u->authority, strerror(err));
	return fd;
}

/*
 * One request, one response, one connection. On success *raw holds the
 * response bytes (malloc'd, the caller frees) that resp borrows.
 */
static int exchange(const char *url, const char *method,
		    const char *const *hdrs, const void *body, size_t blen,
		    uint32_t timeout_ms, uint8_t **raw,
		    struct http_response *resp, char *why, size_t wlen)
{
	const size_t rcap = HTTP_MAX_HEAD + HTTP_MAX_BODY;
	uint64_t deadline = now_ms() + timeout_ms;
	struct whip_url u;
	char *req = NULL, pwhy[200];
	uint8_t *in = NULL;
	size_t reqlen = 0, off = 0, got = 0;
	int fd = -1, rc;

	*raw = NULL;
	rc = whip_url_parse(url, &u, why, wlen);
	if (rc)
		return rc;
	req = malloc(HTTP_MAX_HEAD + blen);
	in = malloc(rcap);
	if (!req || !in) {
		rc = np_say(why, wlen, NP_ENOMEM, "%s: out of memory", url);
		goto out;
	}
	rc = http_write_request(req, HTTP_MAX_HEAD + blen, &reqlen, method,
				u.path, u.authority, hdrs, body, blen);
	if (rc) {
		np_say(why, wlen, rc, "%s: cannot write the request (%s)", url,
		    np_strerror(rc));
		goto out;
	}
	fd = dial(&u, deadline, url, why, wlen);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	while (off < reqlen) {
		ssize_t n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = np_say(why, wlen, -errno, "%s: sending: %s", url,
				 strerror(errno));
			goto out;
		}
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc <= 0) {
			rc = rc ? rc : NP_ETIMEOUT;
			np_say(why, wlen, rc, "%s: sending the request %s", url,
			    rc == NP_ETIMEOUT ? "timed out" : strerror(-rc));
			goto out;
		}
	}
	for (;;) {
		ssize_t n;

		rc = wait_fd(fd, POLLIN, deadline);
		if (rc <= 0) {
			rc = rc ? rc : NP_ETIMEOUT;
			np_say(why, wlen, rc,
			    "%s: no complete response within %u ms (%zu bytes so far)",
			    url, timeout_ms, got);
			goto out;
		}
		n = recv(fd, in + got, rcap - got, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			rc = np_say(why, wlen, -errno, "%s: receiving: %s", url,
				 strerror(errno));
			goto out;
		}
		got += (size_t)n;
		rc = http_parse_response(in, got, n == 0, resp, pwhy,
					 sizeof(pwhy));
		if (rc == 0)
			break;
		if (rc == NP_ETRUNCATED && n == 0) {
			rc = np_say(why, wlen, NP_EINVAL,
				 "%s: the connection closed after %zu bytes, before the response was complete",
				 url, got);
			goto out;
		}
		if (rc == NP_ETRUNCATED && got == rcap)
			rc = NP_EFULL;
		if (rc != NP_ETRUNCATED) {
			np_say(why, wlen, rc, "%s: malformed HTTP response: %s", url,
			    rc == NP_EFULL && got == rcap ? "too large" : pwhy);
			goto out;
		}
	}
	*raw = in;
	in = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(req);
	free(in);
	return rc;
}

/* "415 Unsupported Media Type", plus the first line of a text body. */
static int refused(const char *url, const char *what,
		   const struct http_response *r, char *why, size_t wlen)
{
	char text[160] = "";
	size_t i;

	if (r->f.body_len && !strncmp(r->f.content_type, "text/", 5)) {
		for (i = 0; i < r->f.body_len && i < sizeof(text) - 3; i++) {
			unsigned char c = r->f.body[i];

			if (c == '\n' || c == '\r')
				break;
			text[i + 2] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		if (i) {
			text[0] = ':';
			text[1] = ' ';
			text[i + 2] = '\0';
		}
	}
	return np_say(why, wlen, NP_EINVAL, "%s: %s answered %d %s%s", url, what,
		   r->status, r->reason, text);
}

/* The session URL, absolute: RFC 9725 §4.2 lets Location be relative
 * (RFC 9110 §10.2.2: resolved against the request's URL). */
static int absolute(const char *url, const char *loc, char *out, size_t cap)
{
	struct whip_url u;
	const char *slash;
	int n;

	if (whip_url_parse(url, &u, NULL, 0))
		return NP_EINVAL;
	if (!strncasecmp(loc, "http://", 7) || !strncasecmp(loc, "https://", 8))
		n = snprintf(out, cap, "%s", loc);
	else if (loc[0] == '/' && loc[1] == '/')
		n = snprintf(out, cap, "http:%s", loc);
	else if (loc[0] == '/')
		n = snprintf(out, cap, "http://%s%s", u.authority, loc);
	else {
		u.path[strcspn(u.path, "?")] = '\0';
		slash = strrchr(u.path, '/');
		n = snprintf(out, cap, "http://%s%.*s/%s", u.authority,
			     (int)(slash - u.path), u.path, loc);
	}
	return n < 0 || (size_t)n >= cap ? NP_ENOSPACE : 0;
}

int whip_post(const char *url, const char *offer, size_t len,
	      uint32_t timeout_ms, char **answer, size_t *alen,
	      char *location, size_t loclen, char *why, size_t wlen)
{
	return whip_post_etag(url, offer, len, timeout_ms, answer, alen,
			      location, loclen, NULL, 0, why, wlen);
}

int whip_post_etag(const char *url, const char *offer, size_t len,
		   uint32_t timeout_ms, char **answer, size_t *alen,
		   char *location, size_t loclen, char *etag, size_t etaglen,
		   char *why, size_t wlen)
{
	static const char *const hdrs[] = {
		"Content-Type", "application/sdp", "Accept", "application/sdp",
		"User-Agent", "natprobe", "Connection", "close", NULL
	};
	struct http_response *r;
	uint8_t *raw = NULL;
	int rc;

	*answer = NULL;
	*alen = 0;
	if (!offer || !len)
		return np_say(why, wlen, NP_EINVAL, "%s: no offer to send",
			   url ? url : "WHIP");
	r = malloc(sizeof(*r));
	if (!r)
		return np_say(why, wlen, NP_ENOMEM, "out of memory");
	rc = exchange(url, "POST", hdrs, offer, len, timeout_ms, &raw, r, why,
		      wlen);
	if (rc)
		goto out;
	if (r->status != 201) {
		rc = refused(url, "the WHIP endpoint", r, why, wlen);
		goto out;
	}
	if (!r->f.location[0]) {
		rc = np_say(why, wlen, NP_EINVAL,
			 "%s: 201 Created without a Location (RFC 9725 §4.2 requires the session URL)",
			 url);
		goto out;
	}
	if (strcmp(r->f.content_type, "application/sdp") != 0 ||
	    !r->f.body_len) {
		rc = np_say(why, wlen, NP_EINVAL,
			 "%s: 201 Created, but the body is %zu bytes of \"%s\", not an application/sdp answer",
			 url, r->f.body_len,
			 r->f.content_type[0] ? r->f.content_type : "no type");
		goto out;
	}
	rc = absolute(url, r->f.location, location, loclen);
	if (rc) {
		np_say(why, wlen, rc, "%s: Location \"%s\" does not fit in %zu bytes",
		    url, r->f.location, loclen);
		goto out;
	}
	*answer = malloc(r->f.body_len + 1);
	if (!*answer) {
		rc = np_say(why, wlen, NP_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*answer, r->f.body, r->f.body_len);
	(*answer)[r->f.body_len] = '\0';
	*alen = r->f.body_len;
	if (etag && etaglen)
		snprintf(etag, etaglen, "%s", r->f.etag);
out:
	free(raw);
	free(r);
	return rc;
}

int whip_patch(const char *url, const char *etag, const char *frag,
	       size_t len, uint32_t timeout_ms, char *why, size_t wlen)
{
	const char *hdrs[] = {
		"Content-Type", "application/trickle-ice-sdpfrag",
		"User-Agent", "natprobe", "Connection", "close",
		etag && etag[0] ? "If-Match" : NULL, etag, NULL
	};
	struct http_response *r = malloc(sizeof(*r));
	uint8_t *raw = NULL;
	int rc;

	if (!r)
		return np_say(why, wlen, NP_ENOMEM, "out of memory");
	rc = exchange(url, "PATCH", hdrs, frag, len, timeout_ms, &raw, r, why,
		      wlen);
	if (rc == 0 && (r->status == 405 || r->status == 501)) {
		refused(url, "the trickle ICE PATCH", r, why, wlen);
		rc = NP_ENOTFOUND;
	} else if (rc == 0 && (r->status < 200 || r->status > 299)) {
		rc = refused(url, "the trickle ICE PATCH", r, why, wlen);
	}
	free(raw);
	free(r);
	return rc;
}

int whip_delete(const char *url, uint32_t timeout_ms, char *why, size_t wlen)
{
	static const char *const hdrs[] = {
		"User-Agent", "natprobe", "Connection", "close", NULL
	};
	struct http_response *r = malloc(sizeof(*r));
	uint8_t *raw = NULL;
	int rc;

	if (!r)
		return np_say(why, wlen, NP_ENOMEM, "out of memory");
	rc = exchange(url, "DELETE", hdrs, NULL, 0, timeout_ms, &raw, r, why,
		      wlen);
	if (rc == 0 && (r->status < 200 || r->status > 299))
		rc = refused(url, "DELETE of the WHIP session", r, why, wlen);
	free(raw);
	free(r);
	return rc;
}
