/*
 * test_portmap.c - the port-mapping codecs (probe/portmap_wire.c,
 * probe/portmap_http.c): NAT-PMP (RFC 6886 §3) and PCP MAP (RFC 6887 §7,
 * §11) requests byte for byte, and the replies Debian's miniupnpd 2.3.1
 * really sent in the lab (fixtures/portmap/valid_*, captured with NATLAB_UPNP=1),
 * the SSDP reply, device description and SOAP replies it serves, and
 * malformed variants of each (fixtures/portmap/malform_*, edge_*).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "obs.h"
#include "portmap.h"

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "fixtures/portmap/%s", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void assert_addr(const struct sockaddr_storage *ss, const char *want)
{
	char buf[80];

	assert_string_equal(np_addr_str(ss, buf, sizeof(buf)), want);
}

/* NAT-PMP ------------------------------------------------------------------ */

static void test_natpmp_requests_are_laid_out_as_rfc6886_says(void **state)
{
	/* §3.3: 0, 1, reserved 0, internal 40002, suggested 40002, 600 s */
	static const uint8_t map[12] = { 0, 1, 0, 0, 0x9c, 0x42, 0x9c, 0x42, 0, 0, 2, 0x58 };
	/* §3.4: removal: suggested port and lifetime 0 */
	static const uint8_t del[12] = { 0, 1, 0, 0, 0x9c, 0x42, 0, 0, 0, 0, 0, 0 };
	uint8_t buf[16];
	size_t len;

	assert_int_equal(natpmp_enc_map(buf, sizeof(buf), &len, NATPMP_OP_MAP_UDP,
					40002, 40002, 600), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(buf, map, 12);
	assert_int_equal(natpmp_enc_map(buf, sizeof(buf), &len, NATPMP_OP_MAP_UDP,
					40002, 0, 0), 0);
	assert_memory_equal(buf, del, 12);
	assert_int_equal(natpmp_enc_public(buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 0);
	assert_int_equal(natpmp_enc_map(buf, 11, &len, NATPMP_OP_MAP_UDP, 1, 1, 1),
			 NP_ENOSPACE);
	assert_int_equal(natpmp_enc_map(buf, sizeof(buf), &len, 0, 1, 1, 1), NP_EINVAL);
}

static void test_natpmp_reads_miniupnpd_answers(void **state)
{
	uint8_t buf[64];
	struct natpmp_resp r;
	size_t n = load("valid_natpmp_public.bin", buf, sizeof(buf));

	assert_int_equal(natpmp_parse(buf, n, &r), 0);
	assert_int_equal(r.opcode, NATPMP_OP_PUBLIC);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.epoch, 0x538);
	assert_memory_equal(r.public_ip, "\xc6\x33\x64\x02", 4);   /* 198.51.100.2 */

	n = load("valid_natpmp_map_udp.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), 0);
	assert_int_equal(r.opcode, NATPMP_OP_MAP_UDP);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.internal_port, 40051);
	assert_int_equal(r.external_port, 40051);
	assert_int_equal(r.lifetime, 600);

	n = load("valid_natpmp_map_delete.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), 0);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.internal_port, 40051);
	assert_int_equal(r.lifetime, 0);

	n = load("valid_natpmp_refused.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), 0);
	assert_int_equal(r.result, 2);
	assert_string_equal(natpmp_result_name(r.result), "Not Authorized/Refused");
}

static void test_natpmp_rejects_what_is_not_an_answer_to_us(void **state)
{
	uint8_t buf[64];
	struct natpmp_resp r;
	size_t n;

	n = load("malform_natpmp_short_map.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), NP_ETRUNCATED);
	n = load("malform_natpmp_version_1.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), NP_EINVAL);
	n = load("malform_natpmp_request_opcode.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), NP_EINVAL);
	/* opcode 128 + 9: an answer to a request we never send */
	n = load("edge_natpmp_unsupported_opcode.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), NP_EINVAL);
	/* §3.5: an error may stop after the result code */
	n = load("edge_natpmp_error_no_epoch.bin", buf, sizeof(buf));
	assert_int_equal(natpmp_parse(buf, n, &r), 0);
	assert_int_equal(r.result, 3);
	assert_string_equal(natpmp_result_name(3), "Network Failure");
	assert_int_equal(natpmp_parse(buf, 1, &r), NP_ETRUNCATED);
	assert_int_equal(natpmp_parse(buf, 0, &r), NP_ETRUNCATED);
	/* a success must carry its fields */
	{
		static const uint8_t ok_short[8] = { 0, 0x80, 0, 0, 0, 0, 0, 1 };

		assert_int_equal(natpmp_parse(ok_short, 8, &r), NP_ETRUNCATED);
	}
	assert_string_equal(natpmp_result_name(5), "Unsupported opcode");
	assert_string_equal(natpmp_result_name(77), "unknown result code");
}

/* PCP ------------------------------------------------------------------------ */

static void test_pcp_map_request_is_laid_out_as_rfc6887_says(void **state)
{
	static const uint8_t want[60] = {
		2, 1, 0, 0, 0, 0, 2, 0x58,                       /* v2 MAP, 600 s */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 2, /* client */
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,           /* nonce */
		17, 0, 0, 0, 0x9c, 0x41, 0x9c, 0x41,             /* UDP 40001 40001 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, /* any v4 */
	};
	struct sockaddr_storage client;
	struct pcp_map m;
	uint8_t buf[64];
	size_t len;

	assert_int_equal(np_addr_parse("198.18.0.2:40001", &client), 0);
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < PCP_NONCE_LEN; i++)
		m.nonce[i] = (uint8_t)(i + 1);
	m.protocol = IPPROTO_UDP;
	m.internal_port = m.external_port = 40001;
	assert_int_equal(pcp_enc_map(buf, sizeof(buf), &len, &client, 600, &m), 0);
	assert_int_equal(len, 60);
	assert_memory_equal(buf, want, 60);
	assert_int_equal(pcp_enc_map(buf, 59, &len, &client, 600, &m), NP_ENOSPACE);
	/* IPv6 client: its address as is */
	assert_int_equal(np_addr_parse("[2001:db8::5]:1", &client), 0);
	assert_int_equal(pcp_enc_map(buf, sizeof(buf), &len, &client, 0, &m), 0);
	assert_int_equal(buf[8], 0x20);
	assert_int_equal(buf[23], 5);
	assert_int_equal(buf[48], 0);   /* suggested external: all zeros */
}

static void test_pcp_reads_miniupnpd_answers(void **state)
{
	uint8_t buf[PCP_MAX_LEN + 64];
	struct pcp_resp r;
	size_t n = load("valid_pcp_map_success.bin", buf, sizeof(buf));

	assert_int_equal(pcp_parse(buf, n, &r), 0);
	assert_int_equal(r.opcode, PCP_OP_MAP);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.lifetime, 600);
	assert_true(r.has_map);
	for (int i = 0; i < PCP_NONCE_LEN; i++)
		assert_int_equal(r.map.nonce[i], i + 1);
	assert_int_equal(r.map.protocol, 17);
	assert_int_equal(r.map.internal_port, 40050);
	assert_int_equal(r.map.external_port, 40050);
	assert_addr(&r.map.external, "198.51.100.2:40050");

	n = load("valid_pcp_map_delete.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), 0);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.lifetime, 0);

	n = load("valid_pcp_not_authorized.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), 0);
	assert_int_equal(r.result, 2);
	assert_string_equal(pcp_result_name(r.result), "NOT_AUTHORIZED");
}

static void test_pcp_rejects_malformed_and_reads_edges(void **state)
{
	uint8_t buf[PCP_MAX_LEN + 64];
	struct pcp_resp r;
	size_t n;

	n = load("malform_pcp_truncated.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), NP_ETRUNCATED);
	n = load("malform_pcp_not_multiple_of_4.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), NP_EINVAL);
	n = load("malform_pcp_request_not_response.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), NP_EINVAL);
	n = load("malform_pcp_option_overruns.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), NP_ETRUNCATED);
	n = load("edge_pcp_with_option.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), 0);
	assert_int_equal(r.noptions, 1);
	assert_addr(&r.map.external, "198.51.100.2:40050");
	n = load("edge_pcp_header_only_error.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), 0);
	assert_int_equal(r.result, 2);
	assert_false(r.has_map);
	n = load("edge_pcp_ipv6_external.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, n, &r), 0);
	assert_addr(&r.map.external, "[2001:db8::1]:40050");
	/* over the 1100-octet cap (§7) */
	memset(buf, 0, sizeof(buf));
	buf[0] = 2;
	buf[1] = 0x81;
	assert_int_equal(pcp_parse(buf, PCP_MAX_LEN + 4, &r), NP_EINVAL);
	assert_int_equal(pcp_parse(buf, 3, &r), NP_ETRUNCATED);
	/* a version 0 (NAT-PMP) answer is not PCP */
	load("valid_natpmp_refused.bin", buf, sizeof(buf));
	assert_int_equal(pcp_parse(buf, 16, &r), NP_EINVAL);
}

static void test_pcp_result_codes_have_their_rfc_names(void **state)
{
	static const char *const want[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED", "MALFORMED_REQUEST",
		"UNSUPP_OPCODE", "UNSUPP_OPTION", "MALFORMED_OPTION",
		"NETWORK_FAILURE", "NO_RESOURCES", "UNSUPP_PROTOCOL",
		"USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL", "ADDRESS_MISMATCH",
		"EXCESSIVE_REMOTE_PEERS",
	};

	for (unsigned i = 0; i < 14; i++)
		assert_string_equal(pcp_result_name(i), want[i]);
	assert_string_equal(pcp_result_name(14), "unknown result code");
	assert_string_equal(pcp_result_name(255), "unknown result code");
}

/* /proc/net/route ---------------------------------------------------------------- */

static void test_default_gateway_is_read_from_proc_net_route(void **state)
{
	static const char lab[] =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth0\t000012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		"eth0\t00000000\t010012C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
	static const char none[] =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth0\t000012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		"tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"   /* no gateway */
		"eth1\t00000000\t010012C6\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"   /* not up */
		"eth2\t0000zzC6\t010012C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"   /* garbage */
		"short line\n";
	struct sockaddr_storage gw;

	/* the kernel's %08X of 198.18.0.1 in network order, on this host */
	if (htonl(1) == 1)
		skip();   /* the sample is little-endian */
	assert_int_equal(portmap_route_gateway(lab, strlen(lab), &gw), 0);
	assert_addr(&gw, "198.18.0.1:5351");
	assert_int_equal(portmap_route_gateway(none, strlen(none), &gw), NP_ENOTFOUND);
	assert_int_equal(portmap_route_gateway("", 0, &gw), NP_ENOTFOUND);
}

/* HTTP, SSDP, URLs -------------------------------------------------------------------- */

static void test_ssdp_reply_of_miniupnpd_gives_its_location(void **state)
{
	char buf[2048];
	struct upnp_http h;
	size_t n = load("valid_ssdp_reply.http", (uint8_t *)buf, sizeof(buf));

	assert_int_equal(upnp_ssdp_parse(buf, n, &h), 0);
	assert_int_equal(h.status, 200);
	assert_string_equal(h.location, "http://198.18.0.1:5000/rootDesc.xml");
	assert_string_equal(h.st, "urn:schemas-upnp-org:device:InternetGatewayDevice:1");
	assert_non_null(strstr(h.server, "MiniUPnPd/2.3.1"));
	n = load("edge_ssdp_no_blank_line.http", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_ssdp_parse(buf, n, &h), 0);
	assert_string_equal(h.location, "http://198.18.0.1:5000/rootDesc.xml");
	n = load("malform_ssdp_no_location.http", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_ssdp_parse(buf, n, &h), NP_EINVAL);
	/* a LOCATION with a host name parses as SSDP, but is not a URL we
	 * follow: we resolve no names a LAN device hands us */
	n = load("malform_ssdp_location_hostname.http", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_ssdp_parse(buf, n, &h), 0);
	{
		struct upnp_url u;

		assert_int_equal(upnp_url_parse(h.location, &u), NP_EINVAL);
	}
	assert_int_equal(upnp_ssdp_parse("HTTP/1.1 404 Not Found\r\nLOCATION: "
					 "http://1.2.3.4/\r\n\r\n", 48, &h), NP_EINVAL);
}

static void test_http_header_is_complete_only_at_the_blank_line(void **state)
{
	char buf[2048];
	struct upnp_http h;
	size_t n = load("valid_soap_fault_718.http", (uint8_t *)buf, sizeof(buf));

	assert_int_equal(upnp_http_parse(buf, n, &h), 0);
	assert_int_equal(h.status, 500);
	assert_int_equal(h.content_length, (long)h.body_len);
	assert_true(h.body_len > 100);
	assert_int_equal(upnp_http_parse(buf, n - 1, &h), 0);
	assert_true(h.body_len < (size_t)h.content_length);   /* not all there yet */
	n = load("malform_http_truncated_header.http", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_http_parse(buf, n, &h), NP_ETRUNCATED);
	n = load("malform_http_bad_status.http", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_http_parse(buf, n, &h), NP_EINVAL);
	assert_int_equal(upnp_http_parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
					 39, &h), NP_EINVAL);
	assert_int_equal(upnp_http_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
					 "\r\n\r\n", 47, &h), 0);
	assert_true(h.chunked);
	assert_int_equal(h.content_length, -1);
}

static void test_urls_are_address_literals_and_resolve_like_a_browser(void **state)
{
	struct upnp_url u, base, out;

	assert_int_equal(upnp_url_parse("http://198.18.0.1:5000/rootDesc.xml", &u), 0);
	assert_string_equal(u.host, "198.18.0.1");
	assert_int_equal(u.port, 5000);
	assert_string_equal(u.path, "/rootDesc.xml");
	assert_int_equal(upnp_url_parse("HTTP://[2001:db8::1]/x", &u), 0);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(u.port, 80);
	assert_int_equal(upnp_url_parse("http://10.0.0.1", &u), 0);
	assert_string_equal(u.path, "/");
	assert_int_equal(upnp_url_parse("https://10.0.0.1/", &u), NP_EINVAL);
	assert_int_equal(upnp_url_parse("http://router.lan/", &u), NP_EINVAL);
	assert_int_equal(upnp_url_parse("http://10.0.0.1:0/", &u), NP_EINVAL);
	assert_int_equal(upnp_url_parse("http://10.0.0.1:65536/", &u), NP_EINVAL);
	assert_int_equal(upnp_url_parse("http://10.0.0.1:80x/", &u), NP_EINVAL);
	assert_int_equal(upnp_url_parse("http://10.0.0.1/a b", &u), NP_EINVAL);
	assert_int_equal(upnp_url_parse("http://10.0.0.1/a\r\nX: y", &u), NP_EINVAL);
	assert_int_equal(upnp_url_parse("http://[::1/", &u), NP_EINVAL);

	assert_int_equal(upnp_url_parse("http://198.18.0.1:5000/dev/rootDesc.xml", &base), 0);
	assert_int_equal(upnp_url_resolve(&base, "/ctl/IPConn", &out), 0);
	assert_string_equal(out.path, "/ctl/IPConn");
	assert_int_equal(out.port, 5000);
	assert_int_equal(upnp_url_resolve(&base, "ctl/IPConn", &out), 0);
	assert_string_equal(out.path, "/dev/ctl/IPConn");
	assert_int_equal(upnp_url_resolve(&base, "http://198.18.0.1:49000/c", &out), 0);
	assert_int_equal(out.port, 49000);
	assert_int_equal(upnp_url_resolve(&base, "", &out), NP_EINVAL);
	assert_int_equal(upnp_url_resolve(&base, "/a\"b", &out), NP_EINVAL);
	{
		char longref[300];

		memset(longref, 'a', sizeof(longref) - 1);
		longref[sizeof(longref) - 1] = 0;
		assert_int_equal(upnp_url_resolve(&base, longref, &out), NP_EINVAL);
	}
}

/* The device description and SOAP ----------------------------------------------------- */

static void test_miniupnpd_description_offers_wanipconnection2(void **state)
{
	static char buf[8192];
	struct upnp_http h;
	struct upnp_igd igd;
	size_t n = load("valid_igd_desc.http", (uint8_t *)buf, sizeof(buf));

	assert_int_equal(upnp_http_parse(buf, n, &h), 0);
	assert_int_equal(h.status, 200);
	assert_int_equal(upnp_desc_parse(h.body, h.body_len, &igd), 0);
	assert_string_equal(igd.service_type, "urn:schemas-upnp-org:service:WANIPConnection:2");
	assert_string_equal(igd.control_url, "/ctl/IPConn");
	assert_string_equal(igd.url_base, "");
}

static void test_description_edges_ppp_urlbase_prefixes_entities(void **state)
{
	static char buf[8192];
	struct upnp_igd igd;
	struct upnp_url base, ctl;
	size_t n = load("edge_desc_ppp_relative_urlbase.xml", (uint8_t *)buf, sizeof(buf));

	assert_int_equal(upnp_desc_parse(buf, n, &igd), 0);
	assert_string_equal(igd.service_type, "urn:schemas-upnp-org:service:WANPPPConnection:1");
	assert_string_equal(igd.url_base, "http://198.18.0.1:49000/");
	assert_int_equal(upnp_url_parse(igd.url_base, &base), 0);
	assert_int_equal(upnp_url_resolve(&base, igd.control_url, &ctl), 0);
	assert_int_equal(ctl.port, 49000);
	assert_string_equal(ctl.path, "/upnp/control/WANPPPConn1");

	n = load("edge_desc_prefixed_entities.xml", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_desc_parse(buf, n, &igd), 0);
	assert_string_equal(igd.service_type, "urn:schemas-upnp-org:service:WANIPConnection:1");
	assert_string_equal(igd.control_url, "/ctl?a=1&b=2");
}

static void test_description_without_usable_service_is_refused(void **state)
{
	static char buf[8192];
	struct upnp_igd igd;
	size_t n;

	n = load("malform_desc_no_wan_service.xml", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_desc_parse(buf, n, &igd), NP_ENOTFOUND);
	n = load("malform_desc_unclosed.xml", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_desc_parse(buf, n, &igd), NP_ENOTFOUND);
	/* a serviceType that would smuggle a header into SOAPAction */
	n = load("malform_desc_bad_service_type.xml", (uint8_t *)buf, sizeof(buf));
	assert_int_equal(upnp_desc_parse(buf, n, &igd), NP_ENOTFOUND);
	assert_int_equal(upnp_desc_parse("", 0, &igd), NP_ENOTFOUND);
	assert_int_equal(upnp_desc_parse("<", 1, &igd), NP_ENOTFOUND);
	assert_int_equal(upnp_desc_parse("<service><serviceType>a&bogus;</serviceType>"
					 "</service>", 55, &igd), NP_ENOTFOUND);
}

static void soap_file(const char *name, struct upnp_soap *s, int *status)
{
	static char buf[4096];
	struct upnp_http h;
	size_t n = load(name, (uint8_t *)buf, sizeof(buf));

	assert_int_equal(upnp_http_parse(buf, n, &h), 0);
	*status = h.status;
	assert_int_equal(upnp_soap_parse(h.body, h.body_len, s), 0);
}

static void test_soap_replies_of_miniupnpd(void **state)
{
	struct upnp_soap s;
	int status;

	soap_file("valid_soap_add_ok.http", &s, &status);
	assert_int_equal(status, 200);
	assert_false(s.fault);
	soap_file("valid_soap_extip.http", &s, &status);
	assert_false(s.fault);
	assert_string_equal(s.external_ip, "198.51.100.2");
	soap_file("valid_soap_delete_ok.http", &s, &status);
	assert_false(s.fault);
	/* miniupnpd 2.3.1 answers 200, not 714, for a mapping that is not there */
	soap_file("edge_soap_delete_absent_ok.http", &s, &status);
	assert_int_equal(status, 200);
	assert_false(s.fault);
	soap_file("valid_soap_fault_718.http", &s, &status);
	assert_int_equal(status, 500);
	assert_true(s.fault);
	assert_int_equal(s.error_code, 718);
	assert_string_equal(s.error_desc, "ConflictInMappingEntry");
	assert_string_equal(upnp_error_name(718), "ConflictInMappingEntry");
	soap_file("valid_soap_fault_606.http", &s, &status);
	assert_int_equal(s.error_code, 606);
	assert_string_equal(upnp_error_name(606), s.error_desc);
	soap_file("valid_soap_fault_402.http", &s, &status);
	assert_int_equal(s.error_code, 402);
	assert_string_equal(s.error_desc, "Invalid Args");
	assert_string_equal(upnp_error_name(725), "OnlyPermanentLeasesSupported");
	assert_string_equal(upnp_error_name(999), "unknown UPnP error");
}

static void test_soap_fault_with_a_non_numeric_code_is_malformed(void **state)
{
	static char buf[4096];
	struct upnp_http h;
	struct upnp_soap s;
	size_t n = load("malform_soap_error_code_text.http", (uint8_t *)buf, sizeof(buf));

	assert_int_equal(upnp_http_parse(buf, n, &h), 0);
	assert_int_equal(upnp_soap_parse(h.body, h.body_len, &s), NP_EINVAL);
	assert_int_equal(upnp_soap_parse("<s:Fault></s:Fault>", 19, &s), 0);
	assert_true(s.fault);
	assert_int_equal(s.error_code, 0);
}

static void test_soap_request_is_a_complete_http_post(void **state)
{
	static const char want[] =
		"POST /ctl/IPConn HTTP/1.0\r\n"
		"Host: 198.18.0.1:5000\r\n"
		"Content-Type: text/xml; charset=\"utf-8\"\r\n"
		"Content-Length: 285\r\n"
		"SOAPAction: \"urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress\"\r\n"
		"Connection: close\r\n\r\n"
		"<?xml version=\"1.0\"?>\r\n"
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
		"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
		"<s:Body><u:GetExternalIPAddress xmlns:u=\"urn:schemas-upnp-org:service:"
		"WANIPConnection:1\"></u:GetExternalIPAddress></s:Body></s:Envelope>\r\n";
	static const char st[] = "urn:schemas-upnp-org:service:WANIPConnection:1";
	const char *names[2] = { "NewExternalPort", "NewProtocol" };
	const char *values[2] = { "40001", "UDP" };
	const char *bad[2] = { "40001", "<x>" };
	struct upnp_url ctl;
	char buf[4096];
	size_t len;

	assert_int_equal(upnp_url_parse("http://198.18.0.1:5000/ctl/IPConn", &ctl), 0);
	assert_int_equal(upnp_soap_request(buf, sizeof(buf), &len, &ctl, st,
					   "GetExternalIPAddress", NULL, NULL, 0), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	assert_int_equal(upnp_soap_request(buf, sizeof(buf), &len, &ctl, st,
					   "DeletePortMapping", names, values, 2), 0);
	buf[len] = 0;
	assert_non_null(strstr(buf, "<NewExternalPort>40001</NewExternalPort>"
			       "<NewProtocol>UDP</NewProtocol>"));
	assert_int_equal(upnp_soap_request(buf, sizeof(buf), &len, &ctl, st,
					   "DeletePortMapping", names, bad, 2), NP_EINVAL);
	assert_int_equal(upnp_soap_request(buf, sizeof(buf), &len, &ctl,
					   "urn:x\r\nX-Evil: 1", "A", NULL, NULL, 0), NP_EINVAL);
	assert_int_equal(upnp_soap_request(buf, 100, &len, &ctl, st,
					   "GetExternalIPAddress", NULL, NULL, 0), NP_ENOSPACE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_natpmp_requests_are_laid_out_as_rfc6886_says),
		cmocka_unit_test(test_natpmp_reads_miniupnpd_answers),
		cmocka_unit_test(test_natpmp_rejects_what_is_not_an_answer_to_us),
		cmocka_unit_test(test_pcp_map_request_is_laid_out_as_rfc6887_says),
		cmocka_unit_test(test_pcp_reads_miniupnpd_answers),
		cmocka_unit_test(test_pcp_rejects_malformed_and_reads_edges),
		cmocka_unit_test(test_pcp_result_codes_have_their_rfc_names),
		cmocka_unit_test(test_default_gateway_is_read_from_proc_net_route),
		cmocka_unit_test(test_ssdp_reply_of_miniupnpd_gives_its_location),
		cmocka_unit_test(test_http_header_is_complete_only_at_the_blank_line),
		cmocka_unit_test(test_urls_are_address_literals_and_resolve_like_a_browser),
		cmocka_unit_test(test_miniupnpd_description_offers_wanipconnection2),
		cmocka_unit_test(test_description_edges_ppp_urlbase_prefixes_entities),
		cmocka_unit_test(test_description_without_usable_service_is_refused),
		cmocka_unit_test(test_soap_replies_of_miniupnpd),
		cmocka_unit_test(test_soap_fault_with_a_non_numeric_code_is_malformed),
		cmocka_unit_test(test_soap_request_is_a_complete_http_post),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
