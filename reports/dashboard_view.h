/*
 * dashboard_view.h - what the live dashboard shows, without a terminal:
 * a model fed one observation at a time (tests in flight and done, the
 * ICE/WebRTC session: dashboard_ice.h) plus
 * the latest analyzer snapshot (findings, NAT report), laid out into a
 * plain grid of cells. reports/dashboard.c copies the grid to ncurses;
 * tests/test_dashboard.c reads it as text.
 */
#ifndef DASHBOARD_VIEW_H
#define DASHBOARD_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "dashboard_ice.h"
#include "findings.h"
#include "nat_classify.h"
#include "obs.h"

/* Below this the layout would overlap; the view says so instead. */
#define DASH_MIN_COLS 60
#define DASH_MIN_ROWS 16
/* Distinct tests tracked (a nat run has about 60 per family). */
#define DASH_TESTS_MAX 512

/* Cell attributes; the terminal side maps them to colours. */
enum {
	DA_BOLD = 1 << 0,
	DA_REVERSE = 1 << 1,
	DA_RED = 1 << 2,
	DA_YELLOW = 1 << 3,
	DA_GREEN = 1 << 4,
	DA_DIM = 1 << 5,
};
/* Cell characters that are not ASCII: drawn as arrows by the terminal. */
#define DASH_CH_UP '\001'
#define DASH_CH_DOWN '\002'

struct dash_cell {
	char ch;          /* printable ASCII or DASH_CH_* */
	uint8_t attr;     /* DA_* */
};

struct dash_screen {
	int rows, cols;
	struct dash_cell *c;  /* rows * cols, borrowed */
};

enum dash_state {
	DT_RUNNING,   /* sent, nothing back yet */
	DT_OK,        /* success response */
	DT_ERRRESP,   /* error response */
	DT_TIMEOUT,
	DT_ICMP,
	DT_ERROR,     /* local failure */
	DT_CONNECTED, /* TCP connected / TLS handshake done */
	DT_ARRIVED,   /* our request reached one of our own sockets (a
		       * hairpin or RESPONSE-PORT probe): it got through */
};

struct dash_test {
	char label[OBS_NAME + 8];  /* test label, " v6" for IPv6 */
	enum dash_state state;
	unsigned tries;
	uint32_t rtt_us;           /* last response's RTT, 0 if none */
	int error_code;
	uint8_t tid[12];           /* the last request's, to spot arrivals */
	int have_tid;
	uint64_t touched;          /* ordering: higher is more recent */
};

struct dash_model {
	char command[16];          /* "nat", "stun" */
	char server[128];          /* as the user named it */
	uint64_t elapsed_us;
	int paused;
	int finished;              /* the run is over (or was stopped) */
	int scroll;                /* first test row shown (clamped when drawn) */
	struct dash_test t[DASH_TESTS_MAX];
	size_t nt;
	size_t overflow;           /* tests not tracked past DASH_TESTS_MAX */
	uint64_t clock;            /* counter behind dash_test.touched */
	const struct findings *fs; /* latest analysis, borrowed, may be NULL */
	const struct nat_report *nr; /* likewise, nat only */
	/* The ICE/WebRTC session (natprobe ice, and the full diagnosis after
	 * its NAT phase): once it starts, candidates and pairs take the
	 * tests' place and the session's status joins the NAT verdicts. */
	struct dash_ice ice;
};

/* A panel: rows y..y+h-1, columns x..x+w-1. */
struct dash_box { int y, x, h, w; };

void dash_model_init(struct dash_model *m, const char *command,
		     const char *server);
/* One observation, as it is stored in the log. */
void dash_model_observe(struct dash_model *m, const struct obs *o);
/* Tests still waiting for an answer. */
size_t dash_model_inflight(const struct dash_model *m);
/* Lays the whole screen out (every cell is written). */
void dash_render(const struct dash_model *m, struct dash_screen *s);
/* Writes formatted text at (y, x), at most w cells, clipped to the screen;
 * bytes that are not printable ASCII show as '?'. Returns cells written. */
int dash_put(struct dash_screen *s, int y, int x, int w, uint8_t attr,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Row `row` as text (arrows as ^ and v), trailing blanks removed. */
void dash_screen_row(const struct dash_screen *s, int row, char *buf,
		     size_t len);
/* The test rows the current size can show (for scrolling by a page). */
int dash_test_rows(const struct dash_model *m, int rows, int cols);

#endif
