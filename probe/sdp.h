/*
 * sdp.h - the ICE-relevant part of SDP offers and answers (RFC 8866
 * lines, RFC 8839 ICE attributes, RFC 8829 JSEP shape, RFC 8843 BUNDLE,
 * RFC 8122 fingerprint/setup, RFC 6544 TCP candidates, RFC 8840
 * end-of-candidates), as browsers exchange them, and the bare form many
 * ICE tools pass around: only ice-ufrag, ice-pwd and candidate lines
 * (with or without "a=").
 *
 * The text is untrusted. Everything is bounded (line length, m-lines,
 * candidates per m-line, credential lengths), and a rejection names the
 * line number and what is wrong with it. Codecs, SSRCs and the rest of the
 * media description are skipped: natprobe only needs the transport.
 */
#ifndef SDP_H
#define SDP_H

#include <stddef.h>
#include <stdint.h>

#include "ice_cand.h"

/* Whole description; browser offers are a few KiB. */
#define SDP_MAX_SIZE (256 * 1024)
/* Longest line; the longest real ones are a=candidate and a=ssrc. */
#define SDP_MAX_LINE 1024
/* m-lines we accept: a BUNDLE of audio, video, data and a few more. */
#define SDP_MAX_MEDIA 16
/* Candidates per m-line. RFC 8445 §5.1.3 asks agents to limit what
 * they gather, and §6.1.2.5 caps the checklist at 100 pairs. */
#define SDP_MAX_CANDS 100
/* RFC 8839 §5.4: ufrag 4*256ice-char, pwd 22*256ice-char. */
#define SDP_UFRAG_MIN 4
#define SDP_PWD_MIN 22
#define SDP_CRED_MAX 256
#define SDP_MID_MAX 32
/* RFC 8122 §5: sha-512 gives 64 bytes. */
#define SDP_FP_MAX 64

#define SDP_ERR_MAP(X)                                                        \
	X(NONE, "no error")                                                   \
	X(TOO_LARGE, "description larger than the limit")                     \
	X(LINE_TOO_LONG, "line longer than the limit")                        \
	X(BAD_BYTE, "NUL or control character in a line")                     \
	X(BAD_LINE, "line is not of the form <letter>=<value>")               \
	X(NO_VERSION, "full SDP must start with v=0")                         \
	X(TOO_MANY_MEDIA, "too many m-lines")                                 \
	X(BAD_MEDIA, "malformed m-line")                                      \
	X(TOO_MANY_CANDS, "too many candidates in one m-line")                \
	X(BAD_UFRAG, "ice-ufrag not 4..256 ice-chars")                        \
	X(BAD_PWD, "ice-pwd not 22..256 ice-chars")                           \
	X(BAD_FINGERPRINT, "malformed fingerprint")                           \
	X(BAD_SETUP, "setup not active, passive, actpass or holdconn")         \
	X(BAD_MID, "mid empty or too long")                                   \
	/* CAND_* follow ICE_CAND_ERR_MAP in ice_cand.h, in its order. */ \
	X(CAND_SYNTAX, "candidate line cut short or not a candidate")         \
	X(CAND_FOUNDATION, "candidate foundation not 1..32 ice-chars")        \
	X(CAND_COMPONENT, "candidate component not 1..256")                   \
	X(CAND_PRIORITY, "candidate priority not 1..2^31-1")                  \
	X(CAND_ADDRESS, "candidate address not IPv4, IPv6 or a host name")    \
	X(CAND_PORT, "candidate port not 0..65535")                           \
	X(CAND_TYPE, "candidate typ not host, srflx, prflx or relay")         \
	X(CAND_RADDR, "candidate raddr malformed")                            \
	X(CAND_RPORT, "candidate rport malformed")                            \
	X(CAND_TCPTYPE, "TCP candidate tcptype not active, passive or so")    \
	X(CAND_EXTENSION, "candidate extension without a value")              \
	X(NO_CREDENTIALS, "no ice-ufrag/ice-pwd for an m-line")

enum sdp_err {
#define SDP_ERR_ENUM(name, text) SDP_ERR_##name,
	SDP_ERR_MAP(SDP_ERR_ENUM)
#undef SDP_ERR_ENUM
	SDP_ERR__COUNT
};

/* What went wrong and where: line is 1-based, 0 for the whole text. */
struct sdp_error {
	enum sdp_err kind;
	unsigned line;
	char text[192];     /* "line 12: candidate port: \"70000\" ..." */
};

enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE,
		 SDP_SETUP_ACTPASS, SDP_SETUP_HOLDCONN };

#define SDP_MAX_RTPMAP 16

struct sdp_rtpmap {
	uint8_t pt;               /* payload type 0..127 */
	char name[24];            /* "opus" */
	uint32_t rate;            /* 48000 */
	uint8_t channels;         /* 2, or 0 when not given */
};

struct sdp_media {
	char kind[16];            /* "audio", "video", "application" */
	uint16_t port;
	char proto[32];           /* "UDP/TLS/RTP/SAVPF" */
	char fmt[64];             /* format list, cut at a token to fit */
	char mid[SDP_MID_MAX + 1];
	/* ICE credentials, inherited from the session level when absent. */
	char ufrag[SDP_CRED_MAX + 1];
	char pwd[SDP_CRED_MAX + 1];
	int trickle;              /* a=ice-options:trickle */
	int rtcp_mux;
	int end_of_candidates;
	enum sdp_setup setup;
	char fp_alg[16];          /* "sha-256", lower case */
	uint8_t fp[SDP_FP_MAX];
	size_t fp_len;
	size_t ncands;
	size_t nignored;          /* candidates of unknown transport */
	struct ice_cand cands[SDP_MAX_CANDS];
	/* Media: a=rtpmap (RFC 8866 §6.6), direction, a=sctp-port (RFC
	 * 8841 §5). The writer also copies extra (whole "a=" lines with
	 * CRLF, e.g. a=ssrc, a=msid) verbatim after them. */
	size_t nrtpmap;
	struct sdp_rtpmap rtpmap[SDP_MAX_RTPMAP];
	char direction[10];       /* "sendrecv", "recvonly", ... or "" */
	uint16_t sctp_port;       /* 0 when absent */
	char extra[512];
};

struct sdp {
	int bare;                 /* no v= line: the bare ICE form */
	uint64_t sess_id;         /* o= session id, for the writer */
	char bundle[SDP_MAX_MEDIA][SDP_MID_MAX + 1]; /* a=group:BUNDLE mids */
	size_t nbundle;
	size_t nmedia;            /* the bare form has one, kind "" */
	struct sdp_media media[SDP_MAX_MEDIA];
};

const char *sdp_errname(enum sdp_err e);       /* "CAND_PORT" */
const char *sdp_errtext(enum sdp_err e);
const char *sdp_setup_name(enum sdp_setup s);  /* "actpass"; "" for none */

/* sdp_new allocates a zeroed description (it is large: keep it off the
 * stack); sdp_free(NULL) does nothing. */
int sdp_new(struct sdp **out);
void sdp_free(struct sdp *s);

/*
 * Parses len bytes of text into s (overwritten). On failure returns
 * NP_EINVAL and fills err (when not NULL) with the kind, the line number
 * and a sentence quoting the offending token; s then holds what was
 * parsed before the failure. Unknown lines and attributes are skipped.
 */
int sdp_parse(const char *text, size_t len, struct sdp *s,
	      struct sdp_error *err);

/* One candidate attribute value ("candidate:1 1 udp ..." or without the
 * "candidate:" prefix), as trickled on its own. Returns 1 when parsed,
 * 0 when well formed but of a transport we ignore, NP_EINVAL with err
 * (line 0) when malformed. */
int sdp_parse_candidate(const char *s, size_t len, struct ice_cand *c,
			struct sdp_error *err);

/* Writes s as SDP with CRLF line ends: the bare form when s->bare, else
 * v=/o=/s=/t=, the BUNDLE group s->bundle, and for each m-line its c=, mid,
 * credentials, options, fingerprint, setup, rtcp-mux, candidates and
 * end-of-candidates. Sets *len (without the NUL it also writes) and
 * returns 0, or NP_ENOSPACE. sdp_parse reads the output back to s. */
int sdp_write(const struct sdp *s, char *buf, size_t cap, size_t *len);

#endif
