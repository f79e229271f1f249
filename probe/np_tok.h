/*
 * np_tok.h - slices of a text line, for the line-oriented parsers (SDP,
 * ICE candidate lines). A token borrows the input; nothing is copied, and
 * every read stays inside [p, end).
 */
#ifndef NP_TOK_H
#define NP_TOK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* A slice of the input: [p, end). */
struct np_tok {
	const char *p;
	const char *end;
};

static inline size_t np_tok_len(struct np_tok t)
{
	return (size_t)(t.end - t.p);
}

static inline int np_tok_is(struct np_tok t, const char *lit)
{
	size_t n = strlen(lit);

	return np_tok_len(t) == n && memcmp(t.p, lit, n) == 0;
}

static inline int np_tok_icase(struct np_tok t, const char *lit)
{
	size_t n = strlen(lit);

	return np_tok_len(t) == n && strncasecmp(t.p, lit, n) == 0;
}

/* Takes the next space- or tab-separated token from *line; 0 if none is
 * left. */
static inline int np_tok_next(struct np_tok *line, struct np_tok *out)
{
	while (line->p < line->end && (*line->p == ' ' || *line->p == '\t'))
		line->p++;
	out->p = line->p;
	while (line->p < line->end && *line->p != ' ' && *line->p != '\t')
		line->p++;
	out->end = line->p;
	return out->p != out->end;
}

/* Reads 1..maxdig decimal digits; 0 on anything else. */
static inline int np_tok_uint(struct np_tok t, size_t maxdig, uint64_t *v)
{
	const char *p;

	if (np_tok_len(t) < 1 || np_tok_len(t) > maxdig)
		return 0;
	*v = 0;
	for (p = t.p; p < t.end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	return 1;
}

#endif
