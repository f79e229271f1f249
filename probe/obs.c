/*
 * obs.c - the observation log and its JSON-lines form (see obs.h).
 *
 * A record's JSON carries only the fields that are set, so a line reads as
 * what happened: {"seq":3,"t_us":1520,"kind":"response","test":"binding",
 * "rtt_us":812,"xor_mapped":"203.0.113.1:40000",...}.
 */
#include "obs.h"
#include "np_err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
#define OBS_KIND_NAME(name, text) text,
	OBS_KIND_MAP(OBS_KIND_NAME)
#undef OBS_KIND_NAME
};

const char *obs_kind_name(enum obs_kind k)
{
	if ((unsigned)k >= OBS_KIND__COUNT)
		return "?";
	return kind_names[k];
}

int obs_kind_parse(const char *s, enum obs_kind *k)
{
	for (int i = 0; i < OBS_KIND__COUNT; i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum obs_kind)i;
			return 0;
		}
	}
	return NP_EINVAL;
}

const char *np_transport_name(enum np_transport t)
{
	switch (t) {
	case NP_UDP: return "udp";
	case NP_TCP: return "tcp";
	case NP_TLS: return "tls";
	}
	return "?";
}

static int transport_parse(const char *s, enum np_transport *t)
{
	if (strcmp(s, "udp") == 0)
		*t = NP_UDP;
	else if (strcmp(s, "tcp") == 0)
		*t = NP_TCP;
	else if (strcmp(s, "tls") == 0)
		*t = NP_TLS;
	else
		return NP_EINVAL;
	return 0;
}

void obs_log_init(struct obs_log *log, uint64_t start_mono_us,
		  uint64_t start_wall_us)
{
	memset(log, 0, sizeof(*log));
	log->start_mono_us = start_mono_us;
	log->start_wall_us = start_wall_us;
}

void obs_log_dispose(struct obs_log *log)
{
	free(log->v);
	log->v = NULL;
	log->n = log->cap = 0;
}

struct obs *obs_add(struct obs_log *log, const struct obs *o)
{
	struct obs *r;

	if (log->n >= OBS_MAX) {
		log->dropped++;
		return NULL;
	}
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 256;
		struct obs *v = realloc(log->v, cap * sizeof(*v));

		if (!v) {
			log->dropped++;
			return NULL;
		}
		log->v = v;
		log->cap = cap;
	}
	r = &log->v[log->n++];
	*r = *o;
	r->seq = log->n;
	if (log->on_add)
		log->on_add(r, log->on_add_arg);
	if (log->stream) {
		char line[2048];

		if (obs_to_json(r, line, sizeof(line)) == 0) {
			fputs(line, log->stream);
			fputc('\n', log->stream);
			fflush(log->stream);
		}
	}
	return r;
}

/* Addresses ------------------------------------------------------------ */

const char *np_addr_str(const struct sockaddr_storage *ss, char *buf,
			size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (len) {
		buf[0] = '\0';
	}
	return buf;
}

int np_addr_parse(const char *s, struct sockaddr_storage *ss)
{
	char ip[INET6_ADDRSTRLEN + 2];
	const char *colon;
	char *end;
	unsigned long port;
	size_t iplen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return NP_EINVAL;
		iplen = (size_t)(rb - s - 1);
		colon = rb + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return NP_EINVAL;
		iplen = (size_t)(colon - s);
	}
	if (iplen == 0 || iplen >= sizeof(ip))
		return NP_EINVAL;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535 || end == colon + 1)
		return NP_EINVAL;
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (void *)ss;

		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			return NP_EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *s4 = (void *)ss;

		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
			return NP_EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	}
	return 0;
}

int np_addr_ip_equal(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
			      16) == 0;
	return 0;
}

uint16_t np_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}

int np_addr_equal(const struct sockaddr_storage *a,
		  const struct sockaddr_storage *b)
{
	return np_addr_ip_equal(a, b) && np_addr_port(a) == np_addr_port(b);
}

socklen_t np_addr_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (ss->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

/* JSON ------------------------------------------------------------------ */

/* The optional address fields, in one table for writing and reading. */
static const struct {
	const char *key;
	unsigned flag;
	size_t off;
} addr_fields[] = {
	{ "local", OBS_HAS_LOCAL, offsetof(struct obs, local) },
	{ "remote", OBS_HAS_REMOTE, offsetof(struct obs, remote) },
	{ "source", OBS_HAS_SOURCE, offsetof(struct obs, source) },
	{ "mapped", OBS_HAS_MAPPED, offsetof(struct obs, mapped) },
	{ "xor_mapped", OBS_HAS_XOR_MAPPED, offsetof(struct obs, xor_mapped) },
	{ "response_origin", OBS_HAS_ORIGIN, offsetof(struct obs, origin) },
	{ "other_address", OBS_HAS_OTHER, offsetof(struct obs, other) },
	{ "alternate_server", OBS_HAS_ALTERNATE, offsetof(struct obs, alternate) },
	/* RFC 3489 CHANGED-ADDRESS, stored in "other" with its own flag. */
	{ "changed_address", OBS_HAS_CHANGED, offsetof(struct obs, other) },
};

/* The optional unsigned fields, written only when nonzero. */
static const struct {
	const char *key;
	size_t off;
	size_t size;
} num_fields[] = {
	{ "method", offsetof(struct obs, method), sizeof(uint16_t) },
	{ "class", offsetof(struct obs, cls), sizeof(uint8_t) },
	{ "attempt", offsetof(struct obs, attempt), sizeof(uint16_t) },
	{ "rto_us", offsetof(struct obs, rto_us), sizeof(uint32_t) },
	{ "rtt_last_us", offsetof(struct obs, rtt_last_us), sizeof(uint32_t) },
	{ "size", offsetof(struct obs, size), sizeof(uint32_t) },
	{ "change", offsetof(struct obs, change), sizeof(uint32_t) },
	{ "response_port", offsetof(struct obs, response_port), sizeof(uint16_t) },
	{ "padding", offsetof(struct obs, padding), sizeof(uint16_t) },
};

static uint64_t get_num(const struct obs *o, size_t off, size_t size)
{
	const uint8_t *p = (const uint8_t *)o + off;

	switch (size) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	default: { uint32_t v; memcpy(&v, p, 4); return v; }
	}
}

static void set_num(struct obs *o, size_t off, size_t size, uint64_t v)
{
	uint8_t *p = (uint8_t *)o + off;

	switch (size) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	default: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	}
}

/* A string as JSON even when a cut split a UTF-8 sequence or a peer sent
 * bytes that are not UTF-8: jansson refuses those, so they become '?'. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	char buf[OBS_TEXT * 2];
	size_t n = 0;

	if (j)
		return j;
	for (; *s && n < sizeof(buf) - 1; s++)
		buf[n++] = (unsigned char)*s < 0x80 ? *s : '?';
	buf[n] = '\0';
	return json_string(buf);
}

static json_t *obs_json(const struct obs *o)
{
	json_t *j = json_object();
	char buf[80];

	json_object_set_new(j, "seq", json_integer((json_int_t)o->seq));
	json_object_set_new(j, "t_us", json_integer((json_int_t)o->t_us));
	json_object_set_new(j, "kind", json_string(obs_kind_name(o->kind)));
	if (o->test[0])
		json_object_set_new(j, "test", json_text(o->test));
	if (o->server[0])
		json_object_set_new(j, "server", json_text(o->server));
	json_object_set_new(j, "transport",
			    json_string(np_transport_name(o->transport)));
	for (size_t i = 0; i < sizeof(addr_fields) / sizeof(addr_fields[0]); i++) {
		const void *ss = (const uint8_t *)o + addr_fields[i].off;

		if (o->has & addr_fields[i].flag)
			json_object_set_new(j, addr_fields[i].key,
					    json_string(np_addr_str(ss, buf, sizeof(buf))));
	}
	if (o->has & OBS_HAS_TID) {
		for (int i = 0; i < 12; i++)
			snprintf(buf + 2 * i, 3, "%02x", o->tid[i]);
		json_object_set_new(j, "tid", json_string(buf));
	}
	for (size_t i = 0; i < sizeof(num_fields) / sizeof(num_fields[0]); i++) {
		uint64_t v = get_num(o, num_fields[i].off, num_fields[i].size);

		if (v)
			json_object_set_new(j, num_fields[i].key,
					    json_integer((json_int_t)v));
	}
	if (o->has & OBS_HAS_RTT)
		json_object_set_new(j, "rtt_us", json_integer(o->rtt_us));
	if (o->has & OBS_HAS_ERROR_CODE)
		json_object_set_new(j, "error_code", json_integer(o->error_code));
	if (o->err) {
		json_object_set_new(j, "err", json_string(np_errname(o->err)));
		json_object_set_new(j, "errno", json_integer(o->err));
	}
	if (o->kind == OBS_ICMP) {
		json_object_set_new(j, "icmp_type", json_integer(o->icmp_type));
		json_object_set_new(j, "icmp_code", json_integer(o->icmp_code));
	}
	if (o->software[0])
		json_object_set_new(j, "software", json_text(o->software));
	if (o->text[0])
		json_object_set_new(j, "text", json_text(o->text));
	return j;
}

int obs_to_json(const struct obs *o, char *buf, size_t cap)
{
	json_t *j = obs_json(o);
	size_t n = json_dumpb(j, buf, cap, JSON_COMPACT);

	json_decref(j);
	if (n == 0 || n >= cap)
		return NP_ENOSPACE;
	buf[n] = '\0';
	return 0;
}

void obs_log_write_header(const struct obs_log *log, FILE *f)
{
	fprintf(f, "{\"natprobe_events\":1,\"command\":\"%s\",\"family\":%d,"
		"\"start_wall_us\":%llu}\n", log->command, log->family,
		(unsigned long long)log->start_wall_us);
}

int obs_log_write(const struct obs_log *log, FILE *f)
{
	char line[2048];

	obs_log_write_header(log, f);
	for (size_t i = 0; i < log->n; i++) {
		if (obs_to_json(&log->v[i], line, sizeof(line)) < 0)
			return NP_ENOSPACE;
		fprintf(f, "%s\n", line);
	}
	return ferror(f) ? -EIO : 0;
}

/* Copies and, when the cut splits a UTF-8 sequence, drops its start. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n, k;

	snprintf(dst, cap, "%s", src ? src : "");
	n = strlen(dst);
	if (!src || strlen(src) <= n)
		return;
	k = n;
	while (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0x80)
		k--;
	if (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0xC0)
		dst[k - 1] = '\0';
}

static int obs_from_json(json_t *j, struct obs *o, char *why, size_t wlen)
{
	const char *key;
	json_t *v;

	memset(o, 0, sizeof(*o));
	json_object_foreach(j, key, v) {
		int done = 0;

		for (size_t i = 0; i < sizeof(addr_fields) / sizeof(addr_fields[0]); i++) {
			if (strcmp(key, addr_fields[i].key) != 0)
				continue;
			if (!json_is_string(v) ||
			    np_addr_parse(json_string_value(v),
					  (void *)((uint8_t *)o + addr_fields[i].off)) < 0) {
				snprintf(why, wlen, "field \"%s\" is not an address", key);
				return NP_EJSON;
			}
			o->has |= addr_fields[i].flag;
			done = 1;
		}
		for (size_t i = 0; i < sizeof(num_fields) / sizeof(num_fields[0]); i++) {
			if (strcmp(key, num_fields[i].key) != 0)
				continue;
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > UINT32_MAX) {
				snprintf(why, wlen, "field \"%s\" is not a count", key);
				return NP_EJSON;
			}
			set_num(o, num_fields[i].off, num_fields[i].size,
				(uint64_t)json_integer_value(v));
			done = 1;
		}
		if (done)
			continue;
		if (strcmp(key, "seq") == 0 && json_is_integer(v)) {
			o->seq = (uint64_t)json_integer_value(v);
		} else if (strcmp(key, "t_us") == 0 && json_is_integer(v)) {
			o->t_us = (uint64_t)json_integer_value(v);
		} else if (strcmp(key, "kind") == 0 && json_is_string(v)) {
			if (obs_kind_parse(json_string_value(v), &o->kind) < 0) {
				snprintf(why, wlen, "unknown kind \"%s\"",
					 json_string_value(v));
				return NP_EJSON;
			}
		} else if (strcmp(key, "transport") == 0 && json_is_string(v)) {
			if (transport_parse(json_string_value(v), &o->transport) < 0) {
				snprintf(why, wlen, "unknown transport \"%s\"",
					 json_string_value(v));
				return NP_EJSON;
			}
		} else if (strcmp(key, "test") == 0 && json_is_string(v)) {
			copy_str(o->test, sizeof(o->test), json_string_value(v));
		} else if (strcmp(key, "server") == 0 && json_is_string(v)) {
			copy_str(o->server, sizeof(o->server), json_string_value(v));
		} else if (strcmp(key, "software") == 0 && json_is_string(v)) {
			copy_str(o->software, sizeof(o->software), json_string_value(v));
		} else if (strcmp(key, "text") == 0 && json_is_string(v)) {
			copy_str(o->text, sizeof(o->text), json_string_value(v));
		} else if (strcmp(key, "tid") == 0 && json_is_string(v)) {
			const char *h = json_string_value(v);

			if (strlen(h) != 24) {
				snprintf(why, wlen, "tid is not 24 hex digits");
				return NP_EJSON;
			}
			for (int i = 0; i < 12; i++) {
				unsigned b;

				if (!isxdigit((unsigned char)h[2 * i]) ||
				    !isxdigit((unsigned char)h[2 * i + 1]) ||
				    sscanf(h + 2 * i, "%2x", &b) != 1) {
					snprintf(why, wlen, "tid is not hex");
					return NP_EJSON;
				}
				o->tid[i] = (uint8_t)b;
			}
			o->has |= OBS_HAS_TID;
		} else if (strcmp(key, "rtt_us") == 0 && json_is_integer(v)) {
			o->rtt_us = (uint32_t)json_integer_value(v);
			o->has |= OBS_HAS_RTT;
		} else if (strcmp(key, "error_code") == 0 && json_is_integer(v)) {
			o->error_code = (int)json_integer_value(v);
			o->has |= OBS_HAS_ERROR_CODE;
		} else if (strcmp(key, "errno") == 0 && json_is_integer(v)) {
			o->err = (int)json_integer_value(v);
		} else if (strcmp(key, "icmp_type") == 0 && json_is_integer(v)) {
			o->icmp_type = (int)json_integer_value(v);
		} else if (strcmp(key, "icmp_code") == 0 && json_is_integer(v)) {
			o->icmp_code = (int)json_integer_value(v);
		}
		/* Unknown keys (and "err", derived from errno) are ignored so
		 * newer logs stay readable. */
	}
	return 0;
}

int obs_log_read(struct obs_log *log, FILE *f, char *detail, size_t dlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int err = 0;

	obs_log_init(log, 0, 0);
	while ((n = getline(&line, &cap, f)) >= 0) {
		json_error_t jerr;
		json_t *j;
		struct obs o;
		char why[128] = "";

		lineno++;
		if (n <= 1)
			continue;
		j = json_loadb(line, (size_t)n, 0, &jerr);
		if (!j || !json_is_object(j)) {
			snprintf(detail, dlen, "line %u: not a JSON object (%s)",
				 lineno, j ? "other JSON value" : jerr.text);
			json_decref(j);
			err = NP_EJSON;
			break;
		}
		if (json_object_get(j, "natprobe_events")) {
			json_t *w = json_object_get(j, "start_wall_us");

			json_t *c = json_object_get(j, "command");
			json_t *fam = json_object_get(j, "family");

			if (json_is_integer(w))
				log->start_wall_us = (uint64_t)json_integer_value(w);
			if (json_is_string(c))
				copy_str(log->command, sizeof(log->command),
					 json_string_value(c));
			if (json_is_integer(fam))
				log->family = (int)json_integer_value(fam);
			json_decref(j);
			continue;
		}
		if (!json_is_string(json_object_get(j, "kind"))) {
			snprintf(detail, dlen, "line %u: no \"kind\"", lineno);
			json_decref(j);
			err = NP_EJSON;
			break;
		}
		err = obs_from_json(j, &o, why, sizeof(why));
		json_decref(j);
		if (err < 0) {
			snprintf(detail, dlen, "line %u: %s", lineno, why);
			break;
		}
		{
			uint64_t seq = o.seq;
			struct obs *r = obs_add(log, &o);

			if (!r) {
				snprintf(detail, dlen, "line %u: log full", lineno);
				err = NP_EFULL;
				break;
			}
			if (seq)
				r->seq = seq;
		}
	}
	free(line);
	if (!err && ferror(f)) {
		snprintf(detail, dlen, "read error after line %u", lineno);
		err = -EIO;
	}
	return err;
}
