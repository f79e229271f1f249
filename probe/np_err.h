/*
 * np_err.h - natprobe's one error convention.
 *
 * A function that can fail returns int: 0, or a negative NP_E... code.
 * System failures are returned as -errno (always below NP_E__BASE in
 * magnitude); our own codes live above it. One X-macro list generates the
 * enum, np_errname() and np_strerror(), the way libuv's UV_ERRNO_MAP does.
 *
 * A peer's behaviour (a 401, a timeout, a malformed response) is never an
 * error here: it is an observation. These codes are for our own failures
 * and for rejecting bytes we were asked to parse.
 */
#ifndef NP_ERR_H
#define NP_ERR_H

#include <stddef.h>

#define NP_E__BASE 10000

#define NP_ERR_MAP(X)                                                         \
	X(NOMEM, "out of memory")                                             \
	X(INVAL, "invalid argument")                                          \
	X(NOSPACE, "output buffer too small")                                 \
	X(TRUNCATED, "input ends before the field does")                      \
	X(BADURI, "malformed server URI")                                     \
	X(RESOLVE, "host name could not be resolved")                         \
	X(NOTSTUN, "not a STUN message")                                      \
	X(STUN_SHORT, "STUN message shorter than its 20-byte header")         \
	X(STUN_BADLEN, "STUN length field disagrees with the datagram")       \
	X(STUN_UNALIGNED, "STUN length is not a multiple of 4")               \
	X(STUN_ATTRLEN, "STUN attribute longer than what remains")            \
	X(STUN_BADPAD, "STUN attribute padding missing")                      \
	X(STUN_BADATTR, "STUN attribute value malformed")                     \
	X(STUN_TOOMANY, "too many STUN attributes")                           \
	X(STUN_UNKNOWN_REQ, "unknown comprehension-required STUN attribute")  \
	X(STUN_AFTER_FP, "STUN attribute after FINGERPRINT")                  \
	X(STUN_AFTER_MI, "STUN attribute after MESSAGE-INTEGRITY")            \
	X(STUN_FINGERPRINT, "STUN FINGERPRINT does not match")                \
	X(STUN_INTEGRITY, "STUN MESSAGE-INTEGRITY does not match")            \
	X(STUN_NOINTEGRITY, "STUN message has no MESSAGE-INTEGRITY")          \
	X(NOTFOUND, "not found")                                              \
	X(TLS, "TLS failure")                                                 \
	X(TIMEOUT, "timed out")                                               \
	X(JSON, "malformed JSON")                                             \
	X(FULL, "fixed capacity reached")                                     \
	X(RESTART, "other ICE credentials: an ICE restart")                   \
	X(INTERNAL, "internal error")

/* Index of every code, generated from the list. */
enum np_err_idx {
#define NP_ERR_IDX(name, text) NP_ERR_IDX_##name,
	NP_ERR_MAP(NP_ERR_IDX)
#undef NP_ERR_IDX
	NP_ERR__COUNT
};

/* The codes themselves: NP_ENOMEM, NP_ESTUN_BADLEN, ... all negative. */
enum np_err {
#define NP_ERR_CODE(name, text) NP_E##name = -(NP_E__BASE + 1 + NP_ERR_IDX_##name),
	NP_ERR_MAP(NP_ERR_CODE)
#undef NP_ERR_CODE
};

/* "NP_ESTUN_BADLEN", or "ECONNREFUSED" for -errno codes. */
const char *np_errname(int err);
/* Human text; for -errno codes, strerror(). */
const char *np_strerror(int err);

/* Writes a sentence into why (when given) and returns rc: the error
 * convention's "return NP_E* with a reason" in one call. */
int np_say(char *why, size_t wlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
