/*
 * portmap_fuzz.c - libFuzzer target for every parser of what a gateway
 * sends the port-mapping client (portmap_wire.c, portmap_http.c): NAT-PMP
 * and PCP replies, SSDP replies, HTTP responses, the IGD description, SOAP
 * replies, and the LOCATION / controlURL URLs they carry. Every input goes
 * through all of them (a seed of one kind is a quick reject for the
 * others); what parses is checked against what each parser promises. No
 * randomness. Seeds: fixtures/portmap (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "portmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "portmap_fuzz: %s\n", what);
		abort();
	}
}

static void urls(const char *a, const char *b)
{
	struct upnp_url u, out;

	if (upnp_url_parse(a, &u) != 0)
		return;
	check(u.port != 0 && u.path[0] == '/' && strlen(u.host) > 0, "url fields");
	if (upnp_url_resolve(&u, b, &out) == 0)
		check(out.path[0] == '/' && out.port != 0, "resolved url");
}

static void xml(const char *p, size_t n)
{
	struct upnp_igd igd;
	struct upnp_soap s;

	if (upnp_desc_parse(p, n, &igd) == 0) {
		check(igd.service_type[0] && igd.control_url[0], "igd fields");
		check(strlen(igd.service_type) < sizeof(igd.service_type), "igd length");
		urls(igd.url_base[0] ? igd.url_base : "http://10.0.0.1:5000/d.xml",
		     igd.control_url);
	}
	if (upnp_soap_parse(p, n, &s) == 0 && s.fault && s.error_code)
		check(s.error_code >= 0 && s.error_code <= 9999, "soap code");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natpmp_resp nr;
	struct pcp_resp pr;
	struct upnp_http h;
	char *text;

	if (natpmp_parse(data, size, &nr) == 0)
		check(nr.opcode <= NATPMP_OP_MAP_TCP, "natpmp opcode");
	if (pcp_parse(data, size, &pr) == 0) {
		check(size >= PCP_HDR_LEN && size <= PCP_MAX_LEN && size % 4 == 0,
		      "pcp length");
		if (pr.has_map)
			check(pr.map.external.ss_family == AF_INET ||
			      pr.map.external.ss_family == AF_INET6, "pcp address");
	}
	/* Text parsers take a length; give them an exact-size copy so any
	 * read past the end is caught by ASan. */
	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	if (upnp_ssdp_parse(text, size, &h) == 0) {
		check(h.status == 200 && h.location[0], "ssdp fields");
		urls(h.location, "/ctl/IPConn");
		urls(h.location, h.st[0] ? h.st : "x");
	}
	if (upnp_http_parse(text, size, &h) == 0) {
		check(h.body >= text && h.body + h.body_len <= text + size, "http body");
		xml(h.body, h.body_len);
	}
	xml(text, size);
	{
		struct sockaddr_storage gw;

		portmap_route_gateway(text, size, &gw);
	}
	free(text);
	return 0;
}
