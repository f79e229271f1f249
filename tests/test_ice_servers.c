/*
 * test_ice_servers.c - the ICE server list (probe/ice_servers.c): CLI
 * additions and browser RTCIceServer JSON files from fixtures/iceservers,
 * valid ones and each kind of broken one. Every error must name the file,
 * the entry and the field, and leave the list as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ice_servers.h"
#include "np_err.h"

#define FIX "fixtures/iceservers/"

static void must_mention(const char *why, const char *part)
{
	if (!strstr(why, part))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, part);
}

static void test_add_keeps_uri_and_credentials(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";

	assert_int_equal(ice_servers_add(&l, "stun:203.0.113.10", NULL, NULL,
					 why, sizeof(why)), 0);
	assert_int_equal(ice_servers_add(&l, "turns:t.example.org:443", "al",
					 "pw", why, sizeof(why)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.s[0].uri.scheme, STUN_SCHEME_STUN);
	assert_int_equal(l.s[0].uri.port, 3478);
	assert_string_equal(l.s[0].user, "");
	assert_int_equal(l.s[1].uri.scheme, STUN_SCHEME_TURNS);
	assert_int_equal(l.s[1].uri.transport, NP_TLS);
	assert_string_equal(l.s[1].uri.host, "t.example.org");
	assert_string_equal(l.s[1].user, "al");
	assert_string_equal(l.s[1].password, "pw");
}

static void test_add_rejects_bad_uri_quoting_it(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";

	assert_int_equal(ice_servers_add(&l, "stun:host:99999", NULL, NULL,
					 why, sizeof(why)), NP_EBADURI);
	must_mention(why, "stun:host:99999");
	assert_int_equal(l.n, 0);
}

static void test_add_rejects_turn_without_credentials(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";

	assert_int_equal(ice_servers_add(&l, "turn:198.51.100.1", NULL, "p",
					 why, sizeof(why)), NP_EINVAL);
	must_mention(why, "turn:198.51.100.1");
	must_mention(why, "username");
	assert_int_equal(ice_servers_add(&l, "turn:198.51.100.1", "u", NULL,
					 why, sizeof(why)), NP_EINVAL);
	assert_int_equal(l.n, 0);
}

static void test_add_rejects_overlong_credentials(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "", user[ICE_CRED_MAX + 2];

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	assert_int_equal(ice_servers_add(&l, "turn:198.51.100.1", user, "p",
					 why, sizeof(why)), NP_EINVAL);
	must_mention(why, "username longer than 256");
	user[ICE_CRED_MAX] = '\0'; /* exactly the cap is fine */
	assert_int_equal(ice_servers_add(&l, "turn:198.51.100.1", user, "p",
					 why, sizeof(why)), 0);
	assert_int_equal(strlen(l.s[0].user), ICE_CRED_MAX);
}

static void test_add_stops_at_the_cap(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";
	int i;

	for (i = 0; i < ICE_MAX_SERVERS; i++)
		assert_int_equal(ice_servers_add(&l, "stun:203.0.113.1", NULL,
						 NULL, why, sizeof(why)), 0);
	assert_int_equal(ice_servers_add(&l, "stun:203.0.113.99", NULL, NULL,
					 why, sizeof(why)), NP_EFULL);
	must_mention(why, "stun:203.0.113.99");
	must_mention(why, "16");
	assert_int_equal(l.n, ICE_MAX_SERVERS);
}

static void test_plain_array_gives_one_server_per_url(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";

	assert_int_equal(ice_servers_load_json(&l, FIX "valid_plain_array.json",
					       why, sizeof(why)), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.s[0].uri.scheme, STUN_SCHEME_STUN);
	assert_string_equal(l.s[0].uri.host, "203.0.113.10");
	assert_int_equal(l.s[1].uri.transport, NP_UDP);
	assert_int_equal(l.s[2].uri.scheme, STUN_SCHEME_TURN);
	assert_int_equal(l.s[2].uri.transport, NP_TCP);
	assert_int_equal(l.s[3].uri.scheme, STUN_SCHEME_TURNS);
	assert_int_equal(l.s[3].uri.port, 443);
	assert_string_equal(l.s[3].user, "alice");
	assert_string_equal(l.s[3].password, "s3cret");
}

static void test_browser_configuration_object_is_accepted(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";

	assert_int_equal(ice_servers_load_json(&l,
		FIX "valid_browser_config.json", why, sizeof(why)), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.s[0].uri.port, 19302);
	assert_string_equal(l.s[1].uri.host, "2001:db8::1");
	assert_int_equal(l.s[2].uri.scheme, STUN_SCHEME_TURN);
	assert_string_equal(l.s[2].user, "1733461200:alice");
	assert_string_equal(l.s[2].password,
			    "dGhpcyBpcyBub3QgYSByZWFsIGtleQ==");
}

static void test_json_appends_after_cli_servers(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";

	assert_int_equal(ice_servers_add(&l, "stun:192.0.2.1", NULL, NULL, why,
					 sizeof(why)), 0);
	assert_int_equal(ice_servers_load_json(&l, FIX "valid_legacy_url.json",
					       why, sizeof(why)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.s[0].uri.host, "192.0.2.1");
	assert_string_equal(l.s[1].uri.host, "198.51.100.7");
	assert_int_equal(ice_servers_load_json(&l, FIX "valid_empty.json", why,
					       sizeof(why)), 0);
	assert_int_equal(l.n, 2);
}

struct bad_case {
	const char *file;
	int rc;
	const char *mentions[3];
};

static const struct bad_case bad_cases[] = {
	{ "malform_urls_number.json", NP_EINVAL,
	  { "malform_urls_number.json: entry 2: \"urls\" must be a string or an array of strings" } },
	{ "malform_urls_array_item.json", NP_EINVAL,
	  { "entry 0", "\"urls\"[1] is not a string" } },
	{ "malform_urls_empty_array.json", NP_EINVAL,
	  { "entry 0: \"urls\" must be a string or an array" } },
	{ "malform_urls_missing.json", NP_EINVAL,
	  { "entry 0: \"urls\" is missing" } },
	{ "malform_uri.json", NP_EBADURI,
	  { "entry 1: \"urls\"[1]", "http://turn.example.org/" } },
	{ "malform_turn_no_credentials.json", NP_EINVAL,
	  { "entry 1", "turns:turn.example.org:443",
	    "\"username\" and \"credential\" are required" } },
	{ "malform_username_type.json", NP_EINVAL,
	  { "entry 0: \"username\" must be a string" } },
	{ "malform_credential_type_oauth.json", NP_EINVAL,
	  { "entry 0", "\"credentialType\" \"oauth\"" } },
	{ "malform_entry_not_object.json", NP_EINVAL,
	  { "entry 0: must be an object" } },
	{ "malform_top_level.json", NP_EINVAL, { "\"iceServers\"" } },
	{ "malform_top_level_string.json", NP_EINVAL, { "expected an array" } },
	{ "malform_syntax.json", NP_EJSON, { "malform_syntax.json: line 1" } },
	{ "malform_duplicate_key.json", NP_EJSON, { "duplicate" } },
	{ "malform_too_many.json", NP_EFULL,
	  /* one CLI server is already in the list, so entry 15 overflows */
	  { "entry 15", "stun:203.0.113.15", "at most 16" } },
};

static void test_each_broken_file_names_file_entry_and_field(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct ice_server_list l = { 0 };
		char path[256], why[512] = "";
		int rc;

		/* One server already there: a failed load must keep it. */
		assert_int_equal(ice_servers_add(&l, "stun:192.0.2.1", NULL,
						 NULL, why, sizeof(why)), 0);
		snprintf(path, sizeof(path), FIX "%s", c->file);
		rc = ice_servers_load_json(&l, path, why, sizeof(why));
		if (rc != c->rc)
			fail_msg("%s: rc %s, want %s (%s)", c->file,
				 np_errname(rc), np_errname(c->rc), why);
		must_mention(why, c->file);
		for (k = 0; k < 3 && c->mentions[k]; k++)
			must_mention(why, c->mentions[k]);
		if (l.n != 1 || strcmp(l.s[0].uri.host, "192.0.2.1"))
			fail_msg("%s: the list changed on error (n=%zu)",
				 c->file, l.n);
	}
}

static void test_unreadable_file_names_errno_text(void **state)
{
	struct ice_server_list l = { 0 };
	char why[256] = "";

	assert_int_equal(ice_servers_load_json(&l, FIX "no_such_file.json", why,
					       sizeof(why)), -ENOENT);
	must_mention(why, "no_such_file.json");
	must_mention(why, strerror(ENOENT));
	assert_int_equal(ice_servers_load_json(&l, FIX, why, sizeof(why)),
			 -EISDIR);
	must_mention(why, "fixtures/iceservers/");
	must_mention(why, strerror(EISDIR));
	assert_int_equal(l.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_keeps_uri_and_credentials),
		cmocka_unit_test(test_add_rejects_bad_uri_quoting_it),
		cmocka_unit_test(test_add_rejects_turn_without_credentials),
		cmocka_unit_test(test_add_rejects_overlong_credentials),
		cmocka_unit_test(test_add_stops_at_the_cap),
		cmocka_unit_test(test_plain_array_gives_one_server_per_url),
		cmocka_unit_test(test_browser_configuration_object_is_accepted),
		cmocka_unit_test(test_json_appends_after_cli_servers),
		cmocka_unit_test(test_each_broken_file_names_file_entry_and_field),
		cmocka_unit_test(test_unreadable_file_names_errno_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
