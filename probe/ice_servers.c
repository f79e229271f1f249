/*
 * ice_servers.c - build the STUN/TURN server list from CLI options and
 * from a browser RTCIceServer JSON file (W3C webrtc-pc §4.2.4).
 *
 * The JSON file is configuration, not peer input, but it is still read
 * with a size cap and every field is type-checked before use, so a wrong
 * file gives one sentence naming the entry and field instead of a
 * half-built list.
 */
#include "ice_servers.h"
#include "np_err.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_turn(const struct stun_uri *u)
{
	return u->scheme == STUN_SCHEME_TURN || u->scheme == STUN_SCHEME_TURNS;
}

int ice_servers_add(struct ice_server_list *l, const char *uri,
		    const char *user, const char *password, char *why,
		    size_t wlen)
{
	struct ice_server *s;
	struct stun_uri u;
	int rc;

	if (!l || !uri)
		return np_say(why, wlen, NP_EINVAL, "no server URI given");
	rc = stun_uri_parse(uri, &u, why, wlen);
	if (rc)
		return rc;
	if (l->n >= ICE_MAX_SERVERS)
		return np_say(why, wlen, NP_EFULL,
			   "\"%s\": too many ICE servers (at most %d)", uri,
			   ICE_MAX_SERVERS);
	if (is_turn(&u) && (!user || !*user || !password))
		return np_say(why, wlen, NP_EINVAL,
			   "\"%s\": a TURN server needs a username and a password",
			   uri);
	if (user && strlen(user) > ICE_CRED_MAX)
		return np_say(why, wlen, NP_EINVAL,
			   "\"%s\": username longer than %d bytes", uri,
			   ICE_CRED_MAX);
	if (password && strlen(password) > ICE_CRED_MAX)
		return np_say(why, wlen, NP_EINVAL,
			   "\"%s\": password longer than %d bytes", uri,
			   ICE_CRED_MAX);
	s = &l->s[l->n];
	memset(s, 0, sizeof(*s));
	s->uri = u;
	if (user)
		memcpy(s->user, user, strlen(user) + 1);
	if (password)
		memcpy(s->password, password, strlen(password) + 1);
	l->n++;
	return 0;
}

/* Reads at most ICE_SERVERS_FILE_MAX bytes of path into a new buffer. */
static int read_file(const char *path, char **out, size_t *len, char *why,
		     size_t wlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int rc = 0;

	if (!f)
		return np_say(why, wlen, -errno, "%s: %s", path, strerror(errno));
	buf = malloc(ICE_SERVERS_FILE_MAX + 1);
	if (!buf) {
		rc = np_say(why, wlen, NP_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	errno = 0;
	n = fread(buf, 1, ICE_SERVERS_FILE_MAX + 1, f);
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		rc = np_say(why, wlen, -e, "%s: %s", path, strerror(e));
		goto out;
	}
	if (n > ICE_SERVERS_FILE_MAX) {
		rc = np_say(why, wlen, NP_EINVAL,
			 "%s: larger than %d bytes; not an ice-servers file?",
			 path, ICE_SERVERS_FILE_MAX);
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* An optional string member; 0 if absent (*v = NULL), NP_EINVAL if not a
 * string. */
static int opt_string(json_t *e, const char *key, const char **v,
		      const char *path, size_t idx, char *why, size_t wlen)
{
	json_t *j = json_object_get(e, key);

	*v = NULL;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_string(j))
		return np_say(why, wlen, NP_EINVAL,
			   "%s: entry %zu: \"%s\" must be a string", path, idx,
			   key);
	*v = json_string_value(j);
	return 0;
}

static int add_url(struct ice_server_list *l, json_t *url, const char *field,
		   const char *user, const char *cred, const char *path,
		   size_t idx, char *why, size_t wlen)
{
	char inner[512];
	const char *s = json_string_value(url);
	struct stun_uri u;
	int rc;

	/* Check the TURN credential rule here to name the JSON fields. */
	if (stun_uri_parse(s, &u, inner, sizeof(inner)) == 0 && is_turn(&u) &&
	    (!user || !*user || !cred))
		return np_say(why, wlen, NP_EINVAL,
			   "%s: entry %zu: %s \"%s\" is TURN: \"username\" and \"credential\" are required",
			   path, idx, field, s);
	rc = ice_servers_add(l, s, user, cred, inner, sizeof(inner));
	if (rc)
		return np_say(why, wlen, rc, "%s: entry %zu: %s: %s", path, idx,
			   field, inner);
	return 0;
}

static int add_entry(struct ice_server_list *l, json_t *e, const char *path,
		     size_t idx, char *why, size_t wlen)
{
	const char *user, *cred, *ctype, *ukey = "urls";
	json_t *urls, *u;
	size_t i;
	int rc;

	if (!json_is_object(e))
		return np_say(why, wlen, NP_EINVAL,
			   "%s: entry %zu: must be an object {\"urls\": ...}",
			   path, idx);
	urls = json_object_get(e, "urls");
	if (!urls && (urls = json_object_get(e, "url")))
		ukey = "url"; /* pre-2014 browsers' spelling */
	if (!urls)
		return np_say(why, wlen, NP_EINVAL,
			   "%s: entry %zu: \"urls\" is missing", path, idx);
	if ((rc = opt_string(e, "username", &user, path, idx, why, wlen)) ||
	    (rc = opt_string(e, "credential", &cred, path, idx, why, wlen)) ||
	    (rc = opt_string(e, "credentialType", &ctype, path, idx, why,
			     wlen)))
		return rc;
	if (ctype && strcmp(ctype, "password") != 0)
		return np_say(why, wlen, NP_EINVAL,
			   "%s: entry %zu: \"credentialType\" \"%s\" is not supported (only \"password\")",
			   path, idx, ctype);
	if (json_is_string(urls)) {
		char field[32];

		snprintf(field, sizeof(field), "\"%s\"", ukey);
		return add_url(l, urls, field, user, cred, path, idx, why,
			       wlen);
	}
	if (!json_is_array(urls) || json_array_size(urls) == 0)
		return np_say(why, wlen, NP_EINVAL,
			   "%s: entry %zu: \"%s\" must be a string or an array of strings",
			   path, idx, ukey);
	json_array_foreach(urls, i, u) {
		char field[48];

		snprintf(field, sizeof(field), "\"%s\"[%zu]", ukey, i);
		if (!json_is_string(u))
			return np_say(why, wlen, NP_EINVAL,
				   "%s: entry %zu: \"%s\" must be a string or an array of strings (%s is not a string)",
				   path, idx, ukey, field);
		rc = add_url(l, u, field, user, cred, path, idx, why, wlen);
		if (rc)
			return rc;
	}
	return 0;
}

int ice_servers_load_json(struct ice_server_list *l, const char *path,
			  char *why, size_t wlen)
{
	size_t n0, len = 0, i;
	json_t *root = NULL, *list, *e;
	json_error_t jerr;
	char *text = NULL;
	int rc;

	if (!l || !path)
		return np_say(why, wlen, NP_EINVAL, "no ice-servers file given");
	n0 = l->n;
	rc = read_file(path, &text, &len, why, wlen);
	if (rc)
		return rc;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			  &jerr);
	if (!root) {
		rc = np_say(why, wlen, NP_EJSON, "%s: line %d column %d: %s", path,
			 jerr.line, jerr.column, jerr.text);
		goto out;
	}
	list = root;
	if (json_is_object(root)) {
		list = json_object_get(root, "iceServers");
		if (!list) {
			rc = np_say(why, wlen, NP_EINVAL,
				 "%s: an object must have an \"iceServers\" array",
				 path);
			goto out;
		}
	}
	if (!json_is_array(list)) {
		rc = np_say(why, wlen, NP_EINVAL,
			 "%s: expected an array of RTCIceServer objects (or {\"iceServers\": [...]})",
			 path);
		goto out;
	}
	json_array_foreach(list, i, e) {
		rc = add_entry(l, e, path, i, why, wlen);
		if (rc)
			goto out;
	}
out:
	if (rc)
		l->n = n0; /* all or nothing */
	json_decref(root);
	free(text);
	return rc;
}
