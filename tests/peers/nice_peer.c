/*
 * nice_peer.c - a small ICE agent on Debian's libnice, the real peer of
 * natprobe's ICE tests (tests/it_ice.sh, tests/bench_ice.sh). Built only
 * by those scripts:
 *   cc -o nice_peer tests/peers/nice_peer.c tests/peers/nice_opts.c \
 *      tests/peers/nice_sig.c \
 *      $(pkg-config --cflags --libs nice)
 *
 * nice_peer --offer|--answer --local FILE --remote FILE [--stun IP:PORT]
 *           [--turn IP:PORT --user U --password P [--turn-transport udp|tcp|tls]]
 *           [--relay-only] [--timeout S] [--hold S] [--media NAME]
 *
 * One stream, one component (as with rtcp-mux/BUNDLE), RFC 5245 mode
 * (NICE_COMPATIBILITY_RFC5245), regular nomination, RFC 7675 consent
 * freshness. --offer is controlling, --answer controlled (RFC 8445 6.1.1).
 * Signaling follows the `natprobe ice` contract (nice_sig.h): the offerer
 * gathers, writes nice_agent_generate_local_sdp() + "a=end-of-candidates"
 * to --local and waits for the answer at --remote; the answerer gathers,
 * reads the offer at --remote (taking its m-line's media name as its stream
 * name, as a JSEP answer mirrors the offer), writes its answer, then
 * starts checks. The
 * remote SDP goes to nice_agent_parse_remote_sdp() as written, except for
 * two things libnice 0.1.21 cannot take and any application feeding it
 * browser-style SDP must do: CRLF line ends become LF, and of a BUNDLE
 * (RFC 8843) only the session part and the first m-section are kept. A
 * bare SDP (no m-line: only ice-ufrag/ice-pwd/candidate lines) goes to
 * nice_agent_parse_remote_stream_sdp().
 *
 * stdout: one JSON line when a pair is selected (component READY), or when
 * the run fails or times out:
 *   {"state":"ready"|"failed", "role":..., "selected":{"local":{"type":
 *    "host|srflx|prflx|relay","address":..,"port":..,"protocol":"udp|tcp",
 *    "relay_protocol":..(local relay)},"remote":{...}}|null,
 *    "t_gathered_ms":..,"t_selected_ms":..,"t_ready_ms":..,
 *    "candidates":{"local":[...],"remote":[...]},
 *    "remote_sdp":{"candidate_lines":N,"parsed":M,"rc":R,"crlf":BOOL},
 *    "reason":".."}
 * Times are from process start. Exit 0 when ready (after --hold S seconds
 * with consent kept alive, if asked), 1 on failure or timeout, 2 on usage.
 * stderr: a timestamped log of what happened (for test logs).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nice/agent.h>

#include "nice_opts.h"
#include "nice_sig.h"

#define POLL_MS 10

struct peer {
	struct opts o;
	GMainLoop *loop;
	NiceAgent *agent;
	guint stream;
	gint64 t0;
	gint64 t_gathered, t_selected, t_ready;
	int gathered, have_remote, parsed_remote, wrote_local, reported;
	int cand_lines, parsed, parse_rc, crlf, bundle;
	char *remote_sdp;
	struct sig_reader rd;
	guint poll_id;
	int exit_code;
	int closing;            /* the run is over: state changes are ignored */
};

static long ms_since(const struct peer *p, gint64 t)
{
	return t ? (long)((t - p->t0) / 1000) : -1;
}

__attribute__((format(printf, 2, 3)))
static void logf_(const struct peer *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nice_peer[%s %6ld ms] ", p->o.offer ? "offer" : "answer",
		ms_since(p, g_get_monotonic_time()));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *type_name(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_HOST: return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED: return "relay";
	}
	return "unknown";
}

static const char *tcptype(NiceCandidateTransport t)
{
	switch (t) {
	case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE: return "active";
	case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE: return "passive";
	case NICE_CANDIDATE_TRANSPORT_TCP_SO: return "so";
	default: return NULL;
	}
}

/* One candidate as a JSON object; LOCAL relays also say how the relay
 * was reached (what this peer asked libnice for: --turn-transport, but
 * "tls" is reported as "tcp": libnice 0.1.21 in RFC 5245 mode sends plain
 * STUN over TCP for NICE_RELAY_TYPE_TURN_TLS, no TLS handshake, as seen
 * on the wire against coturn's 5349; its TLS is only the pseudo-SSL of
 * the Google/OC2007 modes). */
static void json_cand(const struct peer *p, GString *s, const NiceCandidate *c,
		      int local)
{
	char ip[NICE_ADDRESS_STRING_LEN];
	const char *tt = tcptype(c->transport);

	nice_address_to_string(&c->addr, ip);
	g_string_append_printf(s, "{\"type\":\"%s\",\"address\":\"%s\",\"port\":%u,"
			       "\"protocol\":\"%s\"", type_name(c->type), ip,
			       nice_address_get_port(&c->addr), tt ? "tcp" : "udp");
	if (tt)
		g_string_append_printf(s, ",\"tcptype\":\"%s\"", tt);
	if (local && c->type == NICE_CANDIDATE_TYPE_RELAYED)
		g_string_append_printf(s, ",\"relay_protocol\":\"%s\"",
				       p->o.turn_type == NICE_RELAY_TYPE_TURN_UDP ? "udp" : "tcp");
	g_string_append_printf(s, ",\"priority\":%u}", c->priority);
}

static void json_list(const struct peer *p, GString *s, GSList *l, int local)
{
	GSList *i;

	g_string_append_c(s, '[');
	for (i = l; i; i = i->next) {
		json_cand(p, s, i->data, local);
		if (i->next)
			g_string_append_c(s, ',');
	}
	g_string_append_c(s, ']');
}

static void report(struct peer *p, const char *state, const char *reason)
{
	NiceCandidate *lc = NULL, *rc = NULL;
	GSList *l;
	GString *s;

	if (p->reported)
		return;
	p->reported = 1;
	s = g_string_new(NULL);
	g_string_append_printf(s, "{\"state\":\"%s\",\"role\":\"%s\",\"selected\":",
			       state, p->o.offer ? "controlling" : "controlled");
	if (!strcmp(state, "ready") &&
	    nice_agent_get_selected_pair(p->agent, p->stream, 1, &lc, &rc)) {
		g_string_append(s, "{\"local\":");
		json_cand(p, s, lc, 1);
		g_string_append(s, ",\"remote\":");
		json_cand(p, s, rc, 0);
		g_string_append_c(s, '}');
	} else {
		g_string_append(s, "null");
	}
	g_string_append_printf(s, ",\"t_gathered_ms\":%ld,\"t_selected_ms\":%ld,"
			       "\"t_ready_ms\":%ld,\"candidates\":{\"local\":",
			       ms_since(p, p->t_gathered), ms_since(p, p->t_selected),
			       ms_since(p, p->t_ready));
	l = nice_agent_get_local_candidates(p->agent, p->stream, 1);
	json_list(p, s, l, 1);
	g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
	g_string_append(s, ",\"remote\":");
	l = nice_agent_get_remote_candidates(p->agent, p->stream, 1);
	json_list(p, s, l, 0);
	g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
	g_string_append_printf(s, "},\"remote_sdp\":{\"candidate_lines\":%d,"
			       "\"parsed\":%d,\"rc\":%d,\"crlf\":%s,\"bundle\":%s}",
			       p->cand_lines, p->parsed, p->parse_rc,
			       p->crlf ? "true" : "false", p->bundle ? "true" : "false");
	if (reason)
		g_string_append_printf(s, ",\"reason\":\"%s\"", reason);
	g_string_append(s, "}\n");
	fputs(s->str, stdout);
	fflush(stdout);
	g_string_free(s, TRUE);
}

static void finish(struct peer *p, int code)
{
	if (p->closing)
		return;
	p->closing = 1;
	p->exit_code = code;
	g_main_loop_quit(p->loop);
}

static void fail(struct peer *p, const char *reason)
{
	logf_(p, "failed: %s", reason);
	report(p, "failed", reason);
	finish(p, 1);
}

/* ---- signaling ---------------------------------------------------------- */

static void write_local(struct peer *p)
{
	gchar *sdp = nice_agent_generate_local_sdp(p->agent);
	GString *s = g_string_new(sdp);
	int rc;

	g_free(sdp);
	if (s->len && s->str[s->len - 1] != '\n')
		g_string_append_c(s, '\n');
	g_string_append(s, "a=end-of-candidates\n");
	rc = sig_write(p->o.local, s->str, s->len);
	if (rc) {
		logf_(p, "cannot write %s: %s", p->o.local, g_strerror(-rc));
		g_string_free(s, TRUE);
		fail(p, "cannot write the local SDP");
		return;
	}
	logf_(p, "wrote %s (%zu bytes):\n%s", p->o.local, s->len, s->str);
	g_string_free(s, TRUE);
	p->wrote_local = 1;
}

/* The first m-line's media name ("m=audio 9 ..." -> "audio"), or "". */
static void first_media(const char *sdp, char *name, size_t cap)
{
	const char *m = sdp;
	size_t n = 0;

	name[0] = 0;
	while (m && strncmp(m, "m=", 2)) {
		m = strchr(m, '\n');
		if (m)
			m++;
	}
	if (!m)
		return;
	m += 2;
	while (m[n] && m[n] != ' ' && m[n] != '\r' && m[n] != '\n' && n + 1 < cap)
		n++;
	memcpy(name, m, n);
	name[n] = 0;
}

static int count_cand_lines(const char *sdp)
{
	const char *l = sdp;
	int n = 0;

	while (l && *l) {
		if (!strncmp(l, "a=candidate:", 12))
			n++;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return n;
}

/* libnice 0.1.21 splits the SDP on LF only: with CRLF line ends (RFC 8866
 * §5, as natprobe and browsers write them) a CR stays in ice-ufrag and
 * ice-pwd (checks then fail) and a candidate line ending in "typ host" or
 * "tcptype passive" is refused, failing the whole parse. Strip the CRs
 * first, as an application feeding browser SDP to libnice must. */
static int strip_cr(char *sdp)
{
	char *r = sdp, *w = sdp;
	int n = 0;

	for (; *r; r++) {
		if (*r == '\r' && (r[1] == '\n' || !r[1])) {
			n++;
			continue;
		}
		*w++ = *r;
	}
	*w = 0;
	return n;
}

/* A JSEP offer bundles its m-lines (RFC 8843: a=group:BUNDLE, one
 * transport, candidates in the first m-section); libnice knows nothing of
 * BUNDLE and wants one stream per m-line. Keep the session part and the
 * first m-section, as a libnice-based WebRTC stack does. 1 if cut. */
static int keep_first_msection(char *sdp)
{
	char *first, *next;

	if (strncmp(sdp, "a=group:BUNDLE", 14) && !strstr(sdp, "\na=group:BUNDLE"))
		return 0;
	first = strncmp(sdp, "m=", 2) ? strstr(sdp, "\nm=") : sdp;
	if (!first)
		return 0;
	next = strstr(first + 1, "\nm=");
	if (!next)
		return 0;
	next[1] = 0;
	return 1;
}

static void parse_remote(struct peer *p)
{
	char media[64];

	first_media(p->remote_sdp, media, sizeof(media));
	p->cand_lines = count_cand_lines(p->remote_sdp);
	if (media[0]) {
		p->parse_rc = nice_agent_parse_remote_sdp(p->agent, p->remote_sdp);
		p->parsed = p->parse_rc > 0 ? p->parse_rc : 0;
		logf_(p, "nice_agent_parse_remote_sdp: %d (of %d candidate lines)",
		      p->parse_rc, p->cand_lines);
	} else {
		gchar *ufrag = NULL, *pwd = NULL;
		GSList *c = nice_agent_parse_remote_stream_sdp(p->agent, p->stream,
							       p->remote_sdp, &ufrag, &pwd);

		if (ufrag && pwd && nice_agent_set_remote_credentials(p->agent, p->stream,
								      ufrag, pwd)) {
			p->parse_rc = nice_agent_set_remote_candidates(p->agent, p->stream, 1, c);
			p->parsed = p->parse_rc > 0 ? p->parse_rc : 0;
		} else {
			p->parse_rc = -1;
		}
		logf_(p, "bare SDP: nice_agent_parse_remote_stream_sdp: %d (of %d "
		      "candidate lines)", p->parse_rc, p->cand_lines);
		g_free(ufrag);
		g_free(pwd);
		g_slist_free_full(c, (GDestroyNotify)nice_candidate_free);
	}
	p->parsed_remote = 1;
	if (p->parse_rc < 0)
		fail(p, "libnice refused the remote SDP");
	else if (p->parsed < p->cand_lines)
		logf_(p, "WARNING: libnice took %d of %d remote candidate lines",
		      p->parsed, p->cand_lines);
}

/* JSEP: the answer mirrors the offer's m-line, so the answerer names its
 * stream after it (libnice matches m-lines to streams by name). */
static void adopt_media(struct peer *p)
{
	char media[64];

	first_media(p->remote_sdp, media, sizeof(media));
	if (!media[0] || !strcmp(media, p->o.media))
		return;
	if (!nice_agent_set_stream_name(p->agent, p->stream, media))
		logf_(p, "libnice refuses the stream name '%s' (offer's m-line)", media);
	else
		logf_(p, "stream name '%s' from the offer's m-line", media);
}

/* Both sides gather first. The offerer writes, then waits for the answer;
 * the answerer waits for the offer, writes its answer (before any check,
 * so it holds no peer-reflexive candidate), then takes the offer. */
static void step(struct peer *p)
{
	if (p->reported)
		return;
	if (p->gathered && !p->wrote_local && (p->o.offer || p->have_remote)) {
		if (!p->o.offer)
			adopt_media(p);
		write_local(p);
	}
	if (p->reported)
		return;
	if (p->have_remote && !p->parsed_remote && p->wrote_local)
		parse_remote(p);
}

static gboolean poll_remote(gpointer data)
{
	struct peer *p = data;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (p->o.offer && !p->wrote_local)
		return G_SOURCE_CONTINUE;
	rc = sig_poll(&p->rd, g_get_monotonic_time(), &buf, &len);
	if (rc == 0)
		return G_SOURCE_CONTINUE;
	p->poll_id = 0;
	if (rc < 0) {
		logf_(p, "cannot read %s: %s", p->o.remote, g_strerror(-rc));
		fail(p, "cannot read the remote SDP");
		return G_SOURCE_REMOVE;
	}
	logf_(p, "read %s (%zu bytes)", p->o.remote, len);
	p->remote_sdp = buf;
	p->crlf = strip_cr(buf);
	if (p->crlf)
		logf_(p, "%d CRLF line ends turned into LF for libnice", p->crlf);
	p->bundle = keep_first_msection(buf);
	if (p->bundle)
		logf_(p, "BUNDLE: only the first m-section goes to libnice");
	p->have_remote = 1;
	step(p);
	return G_SOURCE_REMOVE;
}

/* ---- agent signals ------------------------------------------------------- */

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct peer *p = data;

	(void)agent;
	(void)stream;
	p->t_gathered = g_get_monotonic_time();
	p->gathered = 1;
	logf_(p, "gathering done");
	step(p);
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
	struct peer *p = data;
	char ip[NICE_ADDRESS_STRING_LEN];

	(void)agent;
	nice_address_to_string(&c->addr, ip);
	logf_(p, "local candidate %s %s %s:%u", type_name(c->type),
	      tcptype(c->transport) ? "tcp" : "udp", ip, nice_address_get_port(&c->addr));
}

static void on_selected(NiceAgent *agent, guint stream, guint comp,
			NiceCandidate *l, NiceCandidate *r, gpointer data)
{
	struct peer *p = data;
	char a[NICE_ADDRESS_STRING_LEN], b[NICE_ADDRESS_STRING_LEN];

	(void)agent;
	(void)stream;
	(void)comp;
	if (!p->t_selected)
		p->t_selected = g_get_monotonic_time();
	nice_address_to_string(&l->addr, a);
	nice_address_to_string(&r->addr, b);
	logf_(p, "selected pair %s %s:%u -> %s %s:%u", type_name(l->type), a,
	      nice_address_get_port(&l->addr), type_name(r->type), b,
	      nice_address_get_port(&r->addr));
}

static gboolean hold_done(gpointer data)
{
	struct peer *p = data;

	logf_(p, "hold over, consent kept");
	finish(p, 0);
	return G_SOURCE_REMOVE;
}

static void on_state(NiceAgent *agent, guint stream, guint comp, guint state,
		     gpointer data)
{
	struct peer *p = data;

	(void)agent;
	(void)stream;
	(void)comp;
	logf_(p, "component state %s", nice_component_state_to_string(state));
	if (state == NICE_COMPONENT_STATE_READY && !p->reported) {
		p->t_ready = g_get_monotonic_time();
		if (!p->t_selected)
			p->t_selected = p->t_ready;
		report(p, "ready", NULL);
		if (p->o.hold_s)
			g_timeout_add(p->o.hold_s * 1000, hold_done, p);
		else
			finish(p, 0);
	} else if (state == NICE_COMPONENT_STATE_FAILED) {
		if (!p->reported) {
			fail(p, "ICE failed");
		} else if (p->o.hold_s && !p->closing) {
			/* after selection: the pair died (RFC 7675 consent lost,
			 * or the peer closed an ICE-TCP connection) */
			logf_(p, "the selected pair failed while holding");
			finish(p, 1);
		}
	}
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len,
		    gchar *buf, gpointer data)
{
	(void)agent; (void)stream; (void)comp; (void)len; (void)buf; (void)data;
}

static gboolean on_timeout(gpointer data)
{
	struct peer *p = data;

	if (!p->reported)
		fail(p, "timeout");
	else
		finish(p, p->exit_code);
	return G_SOURCE_REMOVE;
}

static void on_closed(GObject *src, GAsyncResult *res, gpointer data)
{
	struct peer *p = data;

	(void)src;
	(void)res;
	g_main_loop_quit(p->loop);
}

static gboolean close_timeout(gpointer data)
{
	struct peer *p = data;

	logf_(p, "TURN deallocation not done after 1 s");
	g_main_loop_quit(p->loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	struct peer p;

	memset(&p, 0, sizeof(p));
	p.t0 = g_get_monotonic_time();
	nice_opts_parse(&p.o, argc, argv);
	p.rd.path = p.o.remote;
	p.rd.last_size = -1;
	p.loop = g_main_loop_new(NULL, FALSE);
	p.agent = nice_agent_new_full(g_main_loop_get_context(p.loop),
				      NICE_COMPATIBILITY_RFC5245,
				      NICE_AGENT_OPTION_REGULAR_NOMINATION |
				      NICE_AGENT_OPTION_CONSENT_FRESHNESS);
	if (!p.agent) {
		fprintf(stderr, "nice_peer: nice_agent_new_full failed\n");
		return 1;
	}
	g_object_set(p.agent, "controlling-mode", p.o.offer ? TRUE : FALSE,
		     "upnp", FALSE, "force-relay", p.o.relay_only ? TRUE : FALSE, NULL);
	if (p.o.stun_ip[0])
		g_object_set(p.agent, "stun-server", p.o.stun_ip,
			     "stun-server-port", p.o.stun_port, NULL);
	g_signal_connect(p.agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), &p);
	g_signal_connect(p.agent, "new-candidate-full", G_CALLBACK(on_new_candidate), &p);
	g_signal_connect(p.agent, "new-selected-pair-full", G_CALLBACK(on_selected), &p);
	g_signal_connect(p.agent, "component-state-changed", G_CALLBACK(on_state), &p);
	p.stream = nice_agent_add_stream(p.agent, 1);
	if (!p.stream || !nice_agent_set_stream_name(p.agent, p.stream, p.o.media)) {
		fprintf(stderr, "nice_peer: cannot add stream '%s'\n", p.o.media);
		return 2;
	}
	if (p.o.turn_ip[0] &&
	    !nice_agent_set_relay_info(p.agent, p.stream, 1, p.o.turn_ip, p.o.turn_port,
				       p.o.user, p.o.pass, p.o.turn_type)) {
		fprintf(stderr, "nice_peer: bad TURN server %s\n", p.o.turn_ip);
		return 2;
	}
	nice_agent_attach_recv(p.agent, p.stream, 1, g_main_loop_get_context(p.loop),
			       on_recv, &p);
	g_timeout_add((p.o.timeout_s + p.o.hold_s) * 1000, on_timeout, &p);
	p.poll_id = g_timeout_add(POLL_MS, poll_remote, &p);
	logf_(&p, "gathering (stun %s:%u, turn %s:%u/%s%s)",
	      p.o.stun_ip[0] ? p.o.stun_ip : "-", p.o.stun_port,
	      p.o.turn_ip[0] ? p.o.turn_ip : "-", p.o.turn_port, p.o.turn_transport,
	      p.o.relay_only ? ", relay only" : "");
	if (!nice_agent_gather_candidates(p.agent, p.stream)) {
		fprintf(stderr, "nice_peer: nice_agent_gather_candidates failed\n");
		return 1;
	}
	g_main_loop_run(p.loop);
	if (p.poll_id)
		g_source_remove(p.poll_id);
	/* free the TURN allocations (Refresh lifetime 0), bounded: 1 s */
	p.closing = 1;
	nice_agent_close_async(p.agent, on_closed, &p);
	g_timeout_add(1000, close_timeout, &p);
	g_main_loop_run(p.loop);
	g_object_unref(p.agent);
	g_main_loop_unref(p.loop);
	free(p.remote_sdp);
	return p.exit_code;
}
