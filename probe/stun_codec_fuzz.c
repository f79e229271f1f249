/*
 * stun_codec_fuzz.c - libFuzzer target for the STUN codec (stun_codec.c,
 * stun_integrity.c).
 *
 * Each input is decoded under every combination of decode flags. Whatever
 * decodes has every attribute reader run on every attribute, its
 * FINGERPRINT and MESSAGE-INTEGRITY checked with a fixed key, and is then
 * rebuilt: the attributes are copied into a fresh message with new
 * integrity attributes, which must decode back to the same attributes and
 * verify. No randomness: the transaction ID comes from the input and the
 * key is fixed. Seeds: fixtures/stun (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "np_err.h"
#include "stun_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The RFC 5769 short-term password, so the valid seeds verify. */
static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";
#define KEY_LEN (sizeof(key) - 1)

static void die(const char *what, int rc, const char *detail)
{
	fprintf(stderr, "stun_codec_fuzz: %s: %s (%s)\n", what, np_errname(rc),
		detail ? detail : "");
	abort();
}

/* Runs every reader on one attribute and checks what each promises. */
static void read_attr(const struct stun_msg *m, const struct stun_attr *a)
{
	struct sockaddr_storage ss;
	uint16_t types[4], algs[4], port;
	const char *reason;
	size_t n, reason_len;
	uint32_t u32;
	uint64_t u64;
	char name[16];
	int code;

	if (stun_attr_addr(a, &ss) == 0 && ss.ss_family != AF_INET &&
	    ss.ss_family != AF_INET6)
		die("stun_attr_addr family", 0, NULL);
	if (stun_attr_xor_addr(m, a, &ss) == 0 && ss.ss_family != AF_INET &&
	    ss.ss_family != AF_INET6)
		die("stun_attr_xor_addr family", 0, NULL);
	if (stun_attr_u32(a, &u32) == 0 && a->len != 4)
		die("stun_attr_u32 length", 0, NULL);
	if (stun_attr_u64(a, &u64) == 0 && a->len != 8)
		die("stun_attr_u64 length", 0, NULL);
	if (stun_attr_error(a, &code, &reason, &reason_len) == 0 &&
	    (code < 300 || code > 699 || reason_len != a->len - 4u ||
	     (const uint8_t *)reason != a->val + 4))
		die("stun_attr_error", 0, NULL);
	if (stun_attr_unknown(a, types, 4, &n) == 0 && n > 4)
		die("stun_attr_unknown count", 0, NULL);
	stun_attr_change_request(a, &u32);
	stun_attr_response_port(a, &port);
	if (stun_attr_password_algorithms(a, algs, 4, &n) == 0 && n > 4)
		die("stun_attr_password_algorithms count", 0, NULL);
	if (!stun_attr_name(a->type, name, sizeof(name)))
		die("stun_attr_name", 0, NULL);
}

/* Copies the attributes into a new message, which must decode the same. */
static void rebuild(const struct stun_msg *m, unsigned flags)
{
	static uint8_t out[STUN_HEADER_LEN + 0xFFFF];
	struct stun_enc w;
	struct stun_msg m2;
	char detail[160];
	size_t i, j, len, copied = 0;
	int rc, trailer = 0;

	rc = stun_enc_begin(&w, out, sizeof(out), m->method, m->cls, m->tid);
	if (rc)
		die("stun_enc_begin", rc, NULL);
	for (i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (a->type == STUN_ATTR_MESSAGE_INTEGRITY ||
		    a->type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
		    a->type == STUN_ATTR_FINGERPRINT)
			continue;
		stun_enc_attr(&w, a->type, a->val, a->len);
		copied++;
	}
	if (copied + 3 <= STUN_MAX_ATTRS) {
		stun_enc_integrity(&w, key, KEY_LEN);
		stun_enc_integrity_sha256(&w, key, KEY_LEN);
		stun_enc_fingerprint(&w);
		trailer = 1;
	}
	rc = stun_enc_end(&w, &len);
	if (rc == NP_ENOSPACE)
		return; /* a near-64 KiB input grew past the length field */
	if (rc)
		die("stun_enc_end", rc, NULL);

	rc = stun_decode(out, len, flags, &m2, detail, sizeof(detail));
	if (rc)
		die("re-encoded message does not decode", rc, detail);
	if (m2.method != m->method || m2.cls != m->cls || m2.classic ||
	    memcmp(m2.tid, m->tid, STUN_TID_LEN) ||
	    m2.nattrs != copied + (trailer ? 3 : 0) || m2.nignored)
		die("re-encoded header or attribute count differs", 0, NULL);
	for (i = 0, j = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i], *b;

		if (a->type == STUN_ATTR_MESSAGE_INTEGRITY ||
		    a->type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
		    a->type == STUN_ATTR_FINGERPRINT)
			continue;
		b = &m2.attrs[j++];
		if (a->type != b->type || a->len != b->len ||
		    (a->len && memcmp(a->val, b->val, a->len)))
			die("re-encoded attribute differs", 0, NULL);
	}
	if (trailer) {
		rc = stun_check_integrity(&m2, key, KEY_LEN);
		if (rc)
			die("re-encoded integrity", rc, NULL);
		rc = stun_check_fingerprint(&m2);
		if (rc)
			die("re-encoded fingerprint", rc, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	char detail[160], tiny[1];
	int rc[4];
	unsigned flags;
	size_t i;

	for (flags = 0; flags < 4; flags++) {
		detail[0] = 'x';
		rc[flags] = stun_decode(data, size, flags, &m, detail,
					sizeof(detail));
		if (rc[flags] > 0 || !strcmp(np_errname(rc[flags]), "NP_E?"))
			die("stun_decode returned a foreign code", rc[flags],
			    NULL);
		if (rc[flags] && (!detail[0] || !memchr(detail, 0, sizeof(detail))))
			die("stun_decode failed without a detail", rc[flags],
			    NULL);
		if (rc[flags])
			continue;
		if (m.len != size || m.nattrs > STUN_MAX_ATTRS ||
		    m.nunknown > sizeof(m.unknown) / sizeof(m.unknown[0]))
			die("decoded message breaks an invariant", 0, NULL);
		/* RFC 7983 demultiplexes on a first byte of 0..3 only: methods
		 * 0x100-0xFFF are reserved so that they never need more. */
		if (stun_frame_len(data, size) != size ||
		    (!m.classic && data[0] <= 3 && !stun_is_stun(data, size)))
			die("stun_is_stun/stun_frame_len disagree", 0, NULL);
		for (i = 0; i < m.nattrs; i++)
			read_attr(&m, &m.attrs[i]);
		stun_check_fingerprint(&m);
		stun_check_integrity(&m, key, KEY_LEN);
		stun_check_integrity(&m, NULL, 0);
		stun_method_name(m.method);
		stun_class_name(m.cls);
		rebuild(&m, flags);
	}
	/* More flags never reject what fewer flags accepted. */
	for (flags = 0; flags < 4; flags++)
		if (rc[flags] == 0 && (rc[flags | 1] || rc[flags | 2]))
			die("a permissive flag rejected a message", rc[3], NULL);
	/* A one-byte detail buffer still gets a terminated (empty) sentence. */
	tiny[0] = 'x';
	if (stun_decode(data, size, 0, &m, tiny, sizeof(tiny)) && tiny[0])
		die("detail not terminated", 0, NULL);
	return 0;
}
