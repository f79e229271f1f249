/*
 * dashboard.c - the live ncurses view of a run (see dashboard.h); the
 * layout itself is in dashboard_view.c (the ICE/WebRTC part in
 * dashboard_ice*.c).
 *
 * Signals: SIGINT, SIGTERM and SIGWINCH are blocked while the dashboard
 * is up and read from a signalfd in the loop, so ncurses' own handlers
 * never run and a Ctrl-C stops the run the same way q does: the loop
 * stops, the probe returns, the terminal is restored, the report prints.
 */
#define NCURSES_WIDECHAR 1
#include "dashboard.h"
#include "dashboard_view.h"
#include "ice_summary.h"
#include "nat_classify.h"
#include "np_err.h"
#include "stun_summary.h"
#include "webrtc_summary.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <wchar.h>

/* Redraw and re-analysis period: often enough to look live, rarely
 * enough that re-running the analyzers costs nothing. */
#define TICK_US 100000

struct dashboard {
	struct np_loop *loop;        /* borrowed */
	struct obs_log *log;         /* borrowed */
	int family;
	struct dash_model m;
	struct findings *fs;         /* latest analysis */
	struct nat_report *nr;
	struct ice_report *ir;       /* the ICE session's, once it runs */
	struct webrtc_report *wr;
	struct dash_cell *cells;
	size_t ncells;
	SCREEN *term;
	int open;
	int utf8;                    /* the terminal takes UTF-8 arrows */
	int colors;
	char *old_ctype;             /* LC_CTYPE before we set it */
	int sfd;                     /* signalfd, or -1 */
	sigset_t oldmask;
	int keys_watched, sfd_watched;
	struct np_timer tick;
	int dirty;                   /* observations since the last analysis */
	enum dash_end end;
	uint64_t stopped_at;
	void (*prev_on_add)(const struct obs *o, void *arg);
	void *prev_arg;
};

static uint64_t run_time(const struct dashboard *d)
{
	uint64_t now = np_loop_now(d->loop);

	return now > d->log->start_mono_us ? now - d->log->start_mono_us : 0;
}

static void analyze(struct dashboard *d)
{
	if (strcmp(d->m.command, "stun") == 0)
		stun_summarize(d->log, d->family, d->fs);
	else if (strcmp(d->m.command, "ice") == 0)
		memset(d->fs, 0, sizeof(*d->fs));
	else
		nat_classify(d->log, d->nr, d->fs);
	/* The ICE session's findings join once ICE has decided: before a
	 * pair is selected, "no pair was selected" would be premature. */
	if (d->m.ice.active) {
		if (dash_ice_decided(&d->m.ice) || d->m.finished)
			ice_analyze(d->log, d->ir, d->fs);
		webrtc_analyze(d->log, d->wr, d->fs);
	}
	d->m.fs = d->fs;
	d->m.nr = strcmp(d->m.command, "nat") == 0 ? d->nr : NULL;
	d->dirty = 0;
}

static chtype attr_of(const struct dashboard *d, uint8_t a)
{
	chtype c = 0;

	if (a & DA_BOLD)
		c |= A_BOLD;
	if (a & DA_REVERSE)
		c |= A_REVERSE;
	if (a & DA_DIM)
		c |= A_DIM;
	if (d->colors) {
		if (a & DA_RED)
			c |= COLOR_PAIR(1);
		else if (a & DA_YELLOW)
			c |= COLOR_PAIR(2);
		else if (a & DA_GREEN)
			c |= COLOR_PAIR(3);
	} else if (a & DA_RED) {
		c |= A_BOLD;
	}
	return c;
}

static void draw(struct dashboard *d)
{
	struct dash_screen s = { .rows = LINES, .cols = COLS };
	size_t need;

	if (!d->open || s.rows <= 0 || s.cols <= 0)
		return;
	need = (size_t)s.rows * (size_t)s.cols;
	if (need > d->ncells) {
		struct dash_cell *c = realloc(d->cells, need * sizeof(*c));

		if (!c)
			return;  /* keep the old picture; the run goes on */
		d->cells = c;
		d->ncells = need;
	}
	s.c = d->cells;
	d->m.elapsed_us = d->stopped_at ? d->stopped_at : run_time(d);
	dash_render(&d->m, &s);
	for (int y = 0; y < s.rows; y++) {
		for (int x = 0; x < s.cols; x++) {
			const struct dash_cell *c = &s.c[y * s.cols + x];
			chtype at = attr_of(d, c->attr);

			if ((c->ch == DASH_CH_UP || c->ch == DASH_CH_DOWN) && d->utf8) {
				wchar_t wc[2] = { c->ch == DASH_CH_UP ? 0x2191 : 0x2193, 0 };
				cchar_t cc;

				setcchar(&cc, wc, (attr_t)(at & A_ATTRIBUTES),
					 (short)PAIR_NUMBER(at), NULL);
				mvadd_wch(y, x, &cc);
			} else {
				char ch = c->ch == DASH_CH_UP ? '^' :
					  c->ch == DASH_CH_DOWN ? 'v' : c->ch;

				/* The bottom-right cell returns ERR (the cursor
				 * cannot advance) yet is drawn. */
				mvaddch(y, x, (chtype)(unsigned char)ch | at);
			}
		}
	}
	refresh();
}

static void stop_run(struct dashboard *d, enum dash_end how)
{
	if (d->end == DASH_RAN) {
		d->end = how;
		d->stopped_at = run_time(d);
	}
	np_loop_stop(d->loop);
}

static void resize(struct dashboard *d)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	clear();
	draw(d);
}

static void on_tick(struct np_loop *loop, void *arg)
{
	struct dashboard *d = arg;

	if (!d->m.paused) {
		if (d->dirty)
			analyze(d);
		draw(d);
	}
	np_timer_start(loop, &d->tick, np_loop_now(loop) + TICK_US);
}

static void on_key(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	struct dashboard *d = arg;
	int ch, page = dash_test_rows(&d->m, LINES, COLS);

	while ((ch = getch()) != ERR) {
		switch (ch) {
		case 'q': case 'Q':
			stop_run(d, DASH_QUIT_KEY);
			return;
		case 3:  /* Ctrl-C when the tty does not turn it into SIGINT */
			stop_run(d, DASH_QUIT_SIGNAL);
			return;
		case 'p': case 'P': case ' ':
			d->m.paused = !d->m.paused;
			if (!d->m.paused && d->dirty)
				analyze(d);
			break;
		case KEY_UP: case 'k': d->m.scroll--; break;
		case KEY_DOWN: case 'j': d->m.scroll++; break;
		case KEY_PPAGE: d->m.scroll -= page; break;
		case KEY_NPAGE: d->m.scroll += page; break;
		case KEY_HOME: d->m.scroll = 0; break;
		case KEY_RESIZE: resize(d); break;
		default: break;
		}
	}
	if (d->m.scroll > (int)d->m.nt - page)
		d->m.scroll = (int)d->m.nt - page;
	if (d->m.scroll < 0)
		d->m.scroll = 0;
	draw(d);
	/* A closed stdin stays readable forever: stop watching it. */
	if (events & (EPOLLHUP | EPOLLERR)) {
		np_loop_del_fd(loop, fd);
		d->keys_watched = 0;
	}
}

static void on_signal(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	struct dashboard *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH)
			resize(d);
		else
			stop_run(d, DASH_QUIT_SIGNAL);
	}
}

static void on_obs(const struct obs *o, void *arg)
{
	struct dashboard *d = arg;

	dash_model_observe(&d->m, o);
	d->dirty = 1;
	if (d->prev_on_add)
		d->prev_on_add(o, d->prev_arg);
}

static void start_curses(struct dashboard *d)
{
	const char *cs;

	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_RED, -1);
		init_pair(2, COLOR_YELLOW, -1);
		init_pair(3, COLOR_GREEN, -1);
		d->colors = 1;
	}
	cs = nl_langinfo(CODESET);
	d->utf8 = cs && strcmp(cs, "UTF-8") == 0;
}

int dashboard_open(struct np_loop *loop, struct obs_log *log,
		   const char *command, const char *server, int family,
		   struct dashboard **out, char *why, size_t wlen)
{
	struct dashboard *d = calloc(1, sizeof(*d));
	sigset_t set;
	const char *lc;
	int err = 0;

	*out = NULL;
	if (!d)
		return NP_ENOMEM;
	d->sfd = -1;
	d->loop = loop;
	d->log = log;
	d->family = family;
	dash_model_init(&d->m, command, server);
	d->fs = calloc(1, sizeof(*d->fs));
	d->nr = calloc(1, sizeof(*d->nr));
	d->ir = calloc(1, sizeof(*d->ir));
	d->wr = calloc(1, sizeof(*d->wr));
	if (!d->fs || !d->nr || !d->ir || !d->wr) {
		snprintf(why, wlen, "out of memory");
		err = NP_ENOMEM;
		goto fail;
	}
	/* Block first, so no signal can land between newterm and the fd. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, &d->oldmask) < 0) {
		err = -errno;
		snprintf(why, wlen, "sigprocmask: %s", strerror(errno));
		goto fail;
	}
	d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sfd < 0) {
		err = -errno;
		snprintf(why, wlen, "signalfd: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		goto fail;
	}
	/* Only the character type: numbers in reports keep the C locale. */
	lc = setlocale(LC_CTYPE, NULL);
	d->old_ctype = strdup(lc ? lc : "C");
	setlocale(LC_CTYPE, "");
	d->term = newterm(NULL, stdout, stdin);
	if (!d->term) {
		const char *t = getenv("TERM");

		snprintf(why, wlen, "cannot drive the terminal (TERM=%s)",
			 t ? t : "unset");
		err = NP_EINVAL;
		goto fail_sig;
	}
	set_term(d->term);
	d->open = 1;
	start_curses(d);
	d->prev_on_add = log->on_add;
	d->prev_arg = log->on_add_arg;
	log->on_add = on_obs;
	log->on_add_arg = d;
	/* Earlier records (resolution, notes) are part of the picture. */
	for (size_t i = 0; i < log->n; i++)
		dash_model_observe(&d->m, &log->v[i]);
	d->dirty = 1;
	/* Keys are optional: stdin may be a file the loop cannot watch. */
	d->keys_watched = np_loop_add_fd(loop, STDIN_FILENO, EPOLLIN, on_key, d) == 0;
	err = np_loop_add_fd(loop, d->sfd, EPOLLIN, on_signal, d);
	if (err < 0) {
		snprintf(why, wlen, "watching the signalfd: %s", np_strerror(err));
		dashboard_close(d);
		dashboard_free(d);
		return err;
	}
	d->sfd_watched = 1;
	np_timer_init(&d->tick, on_tick, d);
	np_timer_start(loop, &d->tick, np_loop_update_now(loop) + TICK_US);
	analyze(d);
	draw(d);
	*out = d;
	return 0;

fail_sig:
	close(d->sfd);
	d->sfd = -1;
	sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
	if (d->old_ctype)
		setlocale(LC_CTYPE, d->old_ctype);
fail:
	free(d->old_ctype);
	free(d->fs);
	free(d->nr);
	free(d->ir);
	free(d->wr);
	free(d);
	return err;
}

void dashboard_close(struct dashboard *d)
{
	struct signalfd_siginfo si;

	if (!d || !d->open)
		return;
	d->open = 0;
	d->log->on_add = d->prev_on_add;
	d->log->on_add_arg = d->prev_arg;
	np_timer_stop(d->loop, &d->tick);
	if (d->keys_watched)
		np_loop_del_fd(d->loop, STDIN_FILENO);
	if (d->sfd_watched)
		np_loop_del_fd(d->loop, d->sfd);
	d->keys_watched = d->sfd_watched = 0;
	endwin();
	delscreen(d->term);
	d->term = NULL;
	fflush(stdout);
	/* A Ctrl-C still pending would kill us once unblocked, before the
	 * report: the run is over anyway, so it is taken and dropped. */
	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	close(d->sfd);
	d->sfd = -1;
	sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
	if (d->old_ctype)
		setlocale(LC_CTYPE, d->old_ctype);
}

void dashboard_free(struct dashboard *d)
{
	if (!d)
		return;
	dashboard_close(d);
	free(d->cells);
	free(d->old_ctype);
	free(d->fs);
	free(d->nr);
	free(d->ir);
	free(d->wr);
	free(d);
}

enum dash_end dashboard_end(const struct dashboard *d)
{
	return d ? d->end : DASH_RAN;
}

uint64_t dashboard_stopped_at(const struct dashboard *d)
{
	return d ? d->stopped_at : 0;
}
