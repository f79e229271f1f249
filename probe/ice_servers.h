/*
 * ice_servers.h - the STUN/TURN servers an ICE run gathers from.
 *
 * Servers come from repeated command-line options (--stun URI, --turn URI
 * --user U --password P) and from a browser-style RTCIceServer list in a
 * JSON file (W3C webrtc-pc §4.2.4 RTCIceServer):
 *
 *   [{"urls": "stun:stun.example.org"},
 *    {"urls": ["turn:t.example.org?transport=tcp", "turns:t.example.org"],
 *     "username": "u", "credential": "p"}]
 *
 * or the same list as {"iceServers": [...]} (an RTCConfiguration). Every
 * URL is parsed by stun_uri_parse (RFC 7064/7065). One entry with several
 * URLs becomes one ice_server per URL, each with the entry's credentials.
 */
#ifndef ICE_SERVERS_H
#define ICE_SERVERS_H

#include <stddef.h>

#include "stun_uri.h"

#define ICE_MAX_SERVERS 16
/* Longest username / password we keep (RFC 8489 §14.3 allows < 513 bytes
 * of username; real TURN REST usernames are well under 256). */
#define ICE_CRED_MAX 256
/* Largest ice-servers JSON file we read. */
#define ICE_SERVERS_FILE_MAX (64 * 1024)

struct ice_server {
	struct stun_uri uri;
	char user[ICE_CRED_MAX + 1];     /* "" when none */
	char password[ICE_CRED_MAX + 1]; /* "" when none */
};

struct ice_server_list {
	size_t n;
	struct ice_server s[ICE_MAX_SERVERS];
};

/*
 * Appends one server. user/password may be NULL (= none). A turn:/turns:
 * URI needs both a non-empty user and a password (webrtc-pc §4.2.4 step
 * "InvalidAccessError"); stun:/stuns: keep whatever is given, unused.
 * Errors, with a sentence in why that quotes the URI; the list is
 * unchanged on error:
 *   NP_EBADURI  the URI does not parse (stun_uri_parse's sentence)
 *   NP_EFULL    already ICE_MAX_SERVERS servers
 *   NP_EINVAL   NULL uri, TURN without credentials, credential too long
 */
int ice_servers_add(struct ice_server_list *l, const char *uri,
		    const char *user, const char *password, char *why,
		    size_t wlen);

/*
 * Appends every server of a browser RTCIceServer JSON file. Each error
 * sentence names the file as given, the entry (0-based, as in
 * iceServers[i]) and the field, e.g.
 *   ice.json: entry 2: "urls" must be a string or an array of strings
 * An unreadable file gives -errno and "ice.json: <strerror>"; malformed
 * JSON gives NP_EJSON with jansson's line and column; a bad entry gives
 * NP_EBADURI / NP_EINVAL / NP_EFULL as ice_servers_add. On any error the
 * list is left as it was before the call (all or nothing).
 * Accepted per entry: "urls" (string or non-empty array of strings; the
 * legacy "url" when "urls" is absent), "username", "credential",
 * "credentialType" (only "password"); other members are ignored.
 */
int ice_servers_load_json(struct ice_server_list *l, const char *path,
			  char *why, size_t wlen);

#endif
