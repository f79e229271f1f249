/*
 * turn_driver.c - drives probe/turn_client.c against a real TURN server for
 * tests/it_turn.sh: allocate, permission for an echoing UDP peer, data out
 * through a Send indication and back in a Data indication, a channel bind
 * and the same through ChannelData, an optional refresh after a wait (to
 * meet a stale nonce), then deallocation. Prints one line per step:
 *
 *   ALLOCATE ok relayed=127.0.0.1:49152 mapped=127.0.0.1:40000 lifetime=600
 *   ALLOCATE fail code=441 reason=Wrong credentials
 *   DATA indication ok 16 bytes
 *
 * Usage: turn_driver -s ADDR:PORT -t udp|tcp|tls -u USER -p PASS
 *        [-6] [-P PEER:PORT] [-w REFRESH_WAIT_S] [-n ALLOCATIONS]
 *        [-e EVENTS_FILE] [-T TIMEOUT_S]
 * With -n 2 a second allocation is made on a second socket while the first
 * is held (a quota test). Exit status 0 when every step asked for passed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "np_err.h"
#include "obs.h"
#include "stun_client.h"
#include "turn_client.h"

#define MAX_ALLOC 4
#define CHANNEL 0x4001

static const char ind_msg[] = "natprobe via Send indication";
static const char chan_msg[] = "natprobe via ChannelData";  /* 24: no pad */
static const char chan_odd[] = "odd-length:17byte";         /* 17: padded */

struct run {
	struct np_loop *loop;
	struct np_ctx ctx;
	struct obs_log log;
	struct sockaddr_storage server, peer;
	enum np_transport transport;
	const char *user, *pass;
	int family, n_alloc, wait_s, have_peer;
	struct stun_sock *sock[MAX_ALLOC];
	struct turn_client *turn[MAX_ALLOC];
	int idx;                 /* which allocation is being driven */
	int failed, done, got_ind, got_chan;
	struct np_timer deadline, wait;
};

static void stop(struct run *r, int failed)
{
	r->failed |= failed;
	r->done = 1;
	np_loop_stop(r->loop);
}

static void next_alloc(struct run *r);

static void report(const char *step, const struct turn_event *ev)
{
	if (ev->ok)
		printf("%s ok\n", step);
	else
		printf("%s fail code=%d err=%s reason=%s\n", step, ev->code,
		       ev->err ? np_errname(ev->err) : "0",
		       ev->reason ? ev->reason : "");
	fflush(stdout);
}

static void on_wait(struct np_loop *loop, void *arg)
{
	struct run *r = arg;

	turn_refresh(r->turn[r->idx]);
}

static void on_turn(struct turn_client *t, const struct turn_event *ev,
		    void *arg)
{
	struct run *r = arg;
	char a[64], b[64];

	switch (ev->kind) {
	case TURN_EV_ALLOCATE:
		if (!ev->ok) {
			printf("ALLOCATE%d fail code=%d err=%s reason=%s\n", r->idx,
			       ev->code, ev->err ? np_errname(ev->err) : "0",
			       ev->reason ? ev->reason : "");
			fflush(stdout);
			r->failed = 1;
			/* Give back the allocation held for a quota test. */
			if (r->idx > 0 && turn_allocated(r->turn[0]) &&
			    turn_close(r->turn[0]) == 0)
				return;
			stop(r, 1);
			return;
		}
		printf("ALLOCATE%d ok relayed=%s mapped=%s lifetime=%u\n", r->idx,
		       np_addr_str(turn_relayed(t), a, sizeof(a)),
		       np_addr_str(turn_mapped(t), b, sizeof(b)), turn_lifetime(t));
		fflush(stdout);
		if (r->idx + 1 < r->n_alloc) {
			r->idx++;
			next_alloc(r);
			return;
		}
		if (!r->have_peer) {
			/* Deallocate every allocation; the last answer stops. */
			for (int i = 0; i < r->idx; i++)
				turn_close(r->turn[i]);
			turn_close(t);
			return;
		}
		turn_create_permission(t, &r->peer);
		return;
	case TURN_EV_PERMISSION:
		report("PERMISSION", ev);
		if (!ev->ok) {
			stop(r, 1);
			return;
		}
		turn_send_indication(t, &r->peer, (const uint8_t *)ind_msg,
				     strlen(ind_msg));
		return;
	case TURN_EV_DATA:
		if (!ev->channel && ev->len == strlen(ind_msg) &&
		    memcmp(ev->data, ind_msg, ev->len) == 0 && !r->got_ind) {
			r->got_ind = 1;
			printf("DATA indication ok %zu bytes from %s\n", ev->len,
			       np_addr_str(ev->peer, a, sizeof(a)));
			turn_channel_bind(t, &r->peer, CHANNEL);
		} else if (ev->channel == CHANNEL && r->got_chan == 0 &&
			   ev->len == strlen(chan_msg) &&
			   memcmp(ev->data, chan_msg, ev->len) == 0) {
			r->got_chan = 1;
			printf("DATA channel ok %zu bytes\n", ev->len);
			turn_send_channel(t, CHANNEL, (const uint8_t *)chan_odd,
					  strlen(chan_odd));
		} else if (ev->channel == CHANNEL && r->got_chan == 1 &&
			   ev->len == strlen(chan_odd) &&
			   memcmp(ev->data, chan_odd, ev->len) == 0) {
			r->got_chan = 2;
			printf("DATA channel-odd ok %zu bytes\n", ev->len);
			if (r->wait_s)
				np_timer_start(r->loop, &r->wait,
					       np_loop_now(r->loop) +
					       (uint64_t)r->wait_s * 1000000);
			else
				turn_close(t);
		} else {
			printf("DATA unexpected %zu bytes channel 0x%04x\n",
			       ev->len, ev->channel);
		}
		fflush(stdout);
		return;
	case TURN_EV_CHANNEL:
		report("CHANNEL", ev);
		if (!ev->ok) {
			stop(r, 1);
			return;
		}
		turn_send_channel(t, CHANNEL, (const uint8_t *)chan_msg,
				  strlen(chan_msg));
		return;
	case TURN_EV_REFRESH:
		report("REFRESH", ev);
		if (!ev->ok) {
			stop(r, 1);
			return;
		}
		turn_close(t);
		return;
	case TURN_EV_CLOSED:
		report("CLOSED", ev);
		r->failed |= !ev->ok;
		for (int i = 0; i < r->n_alloc; i++)
			if (r->turn[i] && turn_allocated(r->turn[i]))
				return;
		stop(r, 0);
		return;
	}
}

static void on_conn(struct stun_sock *s, int err, void *arg)
{
	struct run *r = arg;

	if (err) {
		printf("CONNECT%d fail err=%s\n", r->idx, np_errname(err));
		stop(r, 1);
		return;
	}
	turn_allocate(r->turn[r->idx]);
}

static void next_alloc(struct run *r)
{
	struct turn_cfg cfg;
	char name[64];
	int err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.user = r->user;
	cfg.password = r->pass;
	cfg.family = r->family;
	snprintf(cfg.label, sizeof(cfg.label), "turn%d", r->idx);
	np_addr_str(&r->server, name, sizeof(name));
	err = stun_sock_open(&r->ctx, r->transport, &r->server, NULL, "localhost",
			     name, on_conn, r, &r->sock[r->idx]);
	if (err == 0)
		err = turn_client_new(&r->ctx, r->sock[r->idx], &r->server, &cfg,
				      on_turn, r, &r->turn[r->idx]);
	if (err) {
		printf("OPEN%d fail err=%s\n", r->idx, np_errname(err));
		stop(r, 1);
		return;
	}
	if (r->transport == NP_UDP)
		turn_allocate(r->turn[r->idx]);
}

static void on_deadline(struct np_loop *loop, void *arg)
{
	printf("DEADLINE reached\n");
	stop(arg, 1);
}

int main(int argc, char **argv)
{
	struct run r;
	const char *events = NULL;
	int c, timeout_s = 15;

	memset(&r, 0, sizeof(r));
	r.user = "natprobe";
	r.pass = "natprobe";
	r.family = AF_INET;
	r.n_alloc = 1;
	while ((c = getopt(argc, argv, "s:t:u:p:6P:w:n:e:T:")) != -1) {
		switch (c) {
		case 's':
			if (np_addr_parse(optarg, &r.server) < 0)
				return 2;
			break;
		case 't':
			r.transport = !strcmp(optarg, "tcp") ? NP_TCP :
				      !strcmp(optarg, "tls") ? NP_TLS : NP_UDP;
			break;
		case 'u': r.user = optarg; break;
		case 'p': r.pass = optarg; break;
		case '6': r.family = AF_INET6; break;
		case 'P':
			if (np_addr_parse(optarg, &r.peer) < 0)
				return 2;
			r.have_peer = 1;
			break;
		case 'w': r.wait_s = atoi(optarg); break;
		case 'n': r.n_alloc = atoi(optarg); break;
		case 'e': events = optarg; break;
		case 'T': timeout_s = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!r.server.ss_family || r.n_alloc < 1 || r.n_alloc > MAX_ALLOC)
		return 2;
	if (np_loop_new(&r.loop) < 0)
		return 3;
	obs_log_init(&r.log, np_monotonic_us(), np_wallclock_us());
	np_ctx_init(&r.ctx, r.loop, &r.log);
	np_timer_init(&r.deadline, on_deadline, &r);
	np_timer_init(&r.wait, on_wait, &r);
	np_timer_start(r.loop, &r.deadline,
		       np_loop_update_now(r.loop) + (uint64_t)timeout_s * 1000000);
	next_alloc(&r);
	if (!r.done)
		np_loop_run(r.loop);
	for (int i = 0; i < MAX_ALLOC; i++) {
		turn_client_free(r.turn[i]);
		stun_sock_free(r.sock[i]);
	}
	if (events) {
		FILE *f = fopen(events, "w");

		if (f) {
			obs_log_write(&r.log, f);
			fclose(f);
		}
	}
	np_ctx_dispose(&r.ctx);
	obs_log_dispose(&r.log);
	np_loop_free(r.loop);
	return r.failed ? 1 : 0;
}
