/* np_err.c - names and texts for natprobe's error codes (see np_err.h). */
#include "np_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
#define NP_ERR_NAME(name, text) "NP_E" #name,
	NP_ERR_MAP(NP_ERR_NAME)
#undef NP_ERR_NAME
};

static const char *const texts[] = {
#define NP_ERR_TEXT(name, text) text,
	NP_ERR_MAP(NP_ERR_TEXT)
#undef NP_ERR_TEXT
};

static int own_index(int err)
{
	int idx = -err - NP_E__BASE - 1;

	if (idx < 0 || idx >= NP_ERR__COUNT)
		return -1;
	return idx;
}

const char *np_errname(int err)
{
	int idx = own_index(err);

	if (err == 0)
		return "OK";
	if (idx >= 0)
		return names[idx];
	if (err < 0 && -err < NP_E__BASE) {
		const char *n = strerrorname_np(-err);
		return n ? n : "E?";
	}
	return "NP_E?";
}

const char *np_strerror(int err)
{
	int idx = own_index(err);

	if (err == 0)
		return "success";
	if (idx >= 0)
		return texts[idx];
	if (err < 0 && -err < NP_E__BASE)
		return strerror(-err);
	return "unknown error";
}

int np_say(char *why, size_t wlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why && wlen) {
		va_start(ap, fmt);
		vsnprintf(why, wlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
