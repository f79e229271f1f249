/*
 * dcep_fuzz.c - libFuzzer over the DCEP parser (probe/dcep.c): any bytes
 * must parse or be refused without reading past the end, and what parses
 * must encode back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcep_open o;
	uint8_t type;
	size_t n;

	(void)dcep_type(data, size, &type);
	(void)dcep_ack_parse(data, size);
	if (dcep_open_parse(data, size, &o) == 0) {
		uint8_t *out = malloc(size);

		if (!out)
			return 0;
		if (dcep_open_encode(&o, out, size, &n) != 0 || n != size ||
		    memcmp(out, data, size) != 0)
			abort();
		free(out);
	}
	return 0;
}
