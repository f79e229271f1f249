/*
 * portmap_upnp_soap.c - the UPnP IGD steps after discovery: reading the
 * device description (the WAN connection service and its controlURL),
 * the SOAP actions AddPortMapping, GetExternalIPAddress and
 * DeletePortMapping (WANIPConnection:1 §2.4.16-18, :2 likewise), and what
 * each reply means: success, a UPnPError errorCode with its name (718
 * ConflictInMappingEntry, 725 OnlyPermanentLeasesSupported, ...), or an
 * HTTP status.
 */
#include "portmap_impl.h"
#include "np_err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Builds and starts one SOAP action on the control URL. */
int pm_upnp_soap(struct pm_upnp *u, enum pm_upnp_step step)
{
	struct portmap *pm = u->pm;
	char eport[8], iport[8], client[64], lease[12];
	const char *names[8], *values[8];
	const char *action;
	size_t n = 0;
	int err;

	snprintf(eport, sizeof(eport), "%u", u->ext_port);
	snprintf(iport, sizeof(iport), "%u", np_addr_port(&pm->internal));
	snprintf(lease, sizeof(lease), "%u", u->lease_zero ? 0 : PM_LIFETIME_S);
	inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&pm->src)->sin_addr, client,
		  sizeof(client));
#define ARG(k, v) (names[n] = (k), values[n++] = (v))
	if (step == UP_ADD) {
		action = "AddPortMapping";
		ARG("NewRemoteHost", "");
		ARG("NewExternalPort", eport);
		ARG("NewProtocol", "UDP");
		ARG("NewInternalPort", iport);
		ARG("NewInternalClient", client);
		ARG("NewEnabled", "1");
		ARG("NewPortMappingDescription", "natprobe");
		ARG("NewLeaseDuration", lease);
	} else if (step == UP_DELETE) {
		action = "DeletePortMapping";
		ARG("NewRemoteHost", "");
		ARG("NewExternalPort", eport);
		ARG("NewProtocol", "UDP");
	} else {
		action = "GetExternalIPAddress";
	}
#undef ARG
	err = upnp_soap_request(u->wbuf, sizeof(u->wbuf), &u->wlen, &u->control,
				u->service_type, action, names, values, n);
	if (err)
		return err;
	if (step == UP_ADD)
		u->added = 1;
	return pm_upnp_http_begin(u, step, &u->control);
}

static void on_desc(struct pm_upnp *u, const struct upnp_http *h, struct obs *o)
{
	struct upnp_igd igd;
	struct upnp_url base;
	int err;

	if (h->status != 200) {
		snprintf(o->text, sizeof(o->text), "description: HTTP %d", h->status);
		pm_record(u->pm, o);
		pm_upnp_fail(u, h->status, "HTTP %s fetching the device description",
		     o->text + 19);
		return;
	}
	err = upnp_desc_parse(h->body, h->body_len, &igd);
	base = u->location;
	if (!err && igd.url_base[0] && upnp_url_parse(igd.url_base, &base) != 0)
		base = u->location;   /* a broken URLBase: LOCATION is the base */
	if (!err)
		err = upnp_url_resolve(&base, igd.control_url, &u->control);
	if (err) {
		o->kind = OBS_MALFORMED;
		o->err = err;
		snprintf(o->text, sizeof(o->text), "description of %zu bytes: no usable "
			 "WANIPConnection or WANPPPConnection controlURL", h->body_len);
		pm_record(u->pm, o);
		pm_upnp_fail(u, err, "%.120s", o->text);
		return;
	}
	snprintf(o->text, sizeof(o->text), "description: %.100s at %.100s",
		 igd.service_type, igd.control_url);
	pm_record(u->pm, o);
	if (!pm_upnp_gateway_is(u, u->control.host)) {
		pm_upnp_fail(u, NP_EINVAL, "controlURL host %s is not the gateway", u->control.host);
		return;
	}
	strcpy(u->service_type, igd.service_type);
	err = pm_upnp_soap(u, UP_ADD);
	if (err)
		pm_upnp_fail(u, err, "AddPortMapping: %s", np_strerror(err));
}

/* A SOAP reply: 0 when it says success, else the code to report (and the
 * reason written into u->res.reason). */
static int soap_outcome(struct pm_upnp *u, const struct upnp_http *h,
			struct upnp_soap *s, struct obs *o, const char *action)
{
	int err = upnp_soap_parse(h->body, h->body_len, s);

	if (err) {
		o->kind = OBS_MALFORMED;
		o->err = err;
		snprintf(u->res.reason, sizeof(u->res.reason), "%s: unreadable SOAP reply "
			 "(HTTP %d)", action, h->status);
		return err;
	}
	if (s->fault && s->error_code) {
		const char *name = upnp_error_name(s->error_code);
		/* the gateway's own description, when it says more */
		int extra = s->error_desc[0] && strcmp(s->error_desc, name) != 0;

		o->error_code = s->error_code;
		o->has |= OBS_HAS_ERROR_CODE;
		snprintf(u->res.reason, sizeof(u->res.reason), "%s: %d %s%s%.60s%s", action,
			 s->error_code, name, extra ? " (" : "", extra ? s->error_desc : "",
			 extra ? ")" : "");
		return s->error_code;
	}
	if (h->status != 200 || s->fault) {
		o->error_code = h->status;
		o->has |= OBS_HAS_ERROR_CODE;
		snprintf(u->res.reason, sizeof(u->res.reason), "%s: HTTP %d%s", action,
			 h->status, s->fault ? " with a SOAP fault" : "");
		return h->status;
	}
	return 0;
}

void pm_upnp_http_done(struct pm_upnp *u)
{
	struct portmap *pm = u->pm;
	enum pm_upnp_step step = u->step;
	struct upnp_http h;
	struct upnp_soap s;
	struct obs o;
	int err, code;

	pm_upnp_close_tfd(u);
	pm_obs_base(pm, &o, OBS_RESPONSE, pm_upnp_step_test(step), NP_TCP, &u->local, &pm->gateway);
	o.size = (uint32_t)u->rlen;
	o.rtt_us = (uint32_t)(pm_now(pm) - u->step_us);
	o.has |= OBS_HAS_RTT;
	err = upnp_http_parse(u->rbuf, u->rlen, &h);
	if (err) {
		o.kind = OBS_MALFORMED;
		o.err = err;
		snprintf(o.text, sizeof(o.text), "HTTP reply of %zu bytes: %s", u->rlen,
			 np_strerror(err));
		pm_record(pm, &o);
		pm_upnp_fail(u, err, "%.120s", o.text);
		return;
	}
	if (step == UP_DESC) {
		on_desc(u, &h, &o);
		return;
	}
	code = soap_outcome(u, &h, &s, &o, step == UP_ADD ? "AddPortMapping" :
			    step == UP_EXTIP ? "GetExternalIPAddress" : "DeletePortMapping");
	if (code == 725 && step == UP_ADD && !u->lease_zero) {
		/* IGD:1 gateways that only take permanent leases. */
		snprintf(o.text, sizeof(o.text), "%s; again with NewLeaseDuration 0",
			 u->res.reason);
		pm_record(pm, &o);
		u->lease_zero = 1;
		if ((err = pm_upnp_soap(u, UP_ADD)) != 0)
			pm_upnp_fail(u, err, "AddPortMapping: %s", np_strerror(err));
		return;
	}
	if (code) {
		snprintf(o.text, sizeof(o.text), "%s", u->res.reason);
		pm_record(pm, &o);
		/* A definite refusal of AddPortMapping: nothing of ours to
		 * delete (and the port may be someone else's, as in 718). */
		if (step == UP_ADD && code > 0)
			u->added = 0;
		u->res.ok = 0;
		u->res.code = code;
		pm_upnp_finish(u, u->state == PM_RELEASING ? PM_RELEASED : PM_FAILED);
		return;
	}
	if (step == UP_ADD) {
		char in[80];

		snprintf(o.text, sizeof(o.text), "AddPortMapping: UDP %u -> %s ok, lease %s",
			 u->ext_port, np_addr_str(&pm->internal, in, sizeof(in)),
			 u->lease_zero ? "0 (permanent)" : "600 s");
		pm_record(pm, &o);
		if ((err = pm_upnp_soap(u, UP_EXTIP)) != 0)
			pm_upnp_fail(u, err, "GetExternalIPAddress: %s", np_strerror(err));
		return;
	}
	if (step == UP_DELETE) {
		snprintf(o.text, sizeof(o.text), "DeletePortMapping: UDP %u removed", u->ext_port);
		pm_record(pm, &o);
		u->added = 0;
		u->res.ok = 1;
		u->res.code = 0;
		snprintf(u->res.reason, sizeof(u->res.reason), "DeletePortMapping ok");
		pm_upnp_finish(u, PM_RELEASED);
		return;
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&u->res.external;

		memset(&u->res.external, 0, sizeof(u->res.external));
		if (inet_pton(AF_INET, s.external_ip, &s4->sin_addr) != 1 ||
		    s4->sin_addr.s_addr == 0) {
			snprintf(o.text, sizeof(o.text), "GetExternalIPAddress: no address "
				 "(\"%.40s\")", s.external_ip);
			pm_record(pm, &o);
			pm_upnp_fail(u, NP_ENOTFOUND, "%.120s", o.text);
			return;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons(u->ext_port);
		o.mapped = u->res.external;
		o.has |= OBS_HAS_MAPPED;
		snprintf(o.text, sizeof(o.text), "GetExternalIPAddress: %s", s.external_ip);
		pm_record(pm, &o);
		u->res.ok = 1;
		u->res.code = 0;
		u->res.lifetime_s = u->lease_zero ? 0 : PM_LIFETIME_S;
		snprintf(u->res.reason, sizeof(u->res.reason), "AddPortMapping ok via %.60s",
			 u->service_type + 29);
		pm_upnp_finish(u, PM_MAPPED);
	}
}

