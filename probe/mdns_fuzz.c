/*
 * mdns_fuzz.c - libFuzzer target for the mDNS answer parser
 * (mdns_wire.c): any bytes, looked up for a fixed name and for the name
 * carried in the input's first label, must not crash or overread.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage a;
	char why[128], name[80];
	uint8_t q[600];

	mdns_answer_parse(data, size, "x.local", &a, why, sizeof(why));
	if (size > 13 && data[12] > 0 && data[12] < 60 &&
	    (size_t)data[12] + 13 <= size) {
		memcpy(name, data + 13, data[12]);
		memcpy(name + data[12], ".local", 7);
		mdns_answer_parse(data, size, name, &a, why, sizeof(why));
		mdns_query_encode(q, sizeof(q), name);
	}
	return 0;
}
