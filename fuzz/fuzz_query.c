/*
 * fuzz_query.c: libFuzzer target for the exporter's /probe request
 * parsing (exporter/query.c): the query string, percent-decoding, and
 * the timeout from X-Prometheus-Scrape-Timeout-Seconds.  All three take
 * bytes straight from an HTTP client.
 *
 * The input is "QUERY\nHEADER" (the header optional).  Checked: no crash
 * or undefined behaviour; on failure a terminated, non-empty reason; on
 * success a terminated, non-empty target and module, at most
 * QUERY_MAX_PORTS valid unique ports, debug 0 or 1; query_decode() never
 * writes past dstlen, terminates, and yields no NUL; the timeout is
 * min(module, max(QUERY_MIN_TIMEOUT_US, header - offset)) or an error.
 */
#include "fuzz_util.h"
#include "exporter/query.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query	 q;
	char		*qs, *hdr, *nl, err[256], small[17];
	size_t		 i, j, len;
	int64_t		 out, module = 10 * 1000000LL;

	if (size > QUERY_MAX_LEN + 256)
		return 0;
	if ((qs = malloc(size + 1)) == NULL)
		return 0;
	memcpy(qs, data, size);
	qs[size] = '\0';
	hdr = NULL;
	if ((nl = memchr(qs, '\n', size)) != NULL) {
		*nl = '\0';
		hdr = nl + 1;
	}
	len = strlen(qs);
	memset(err, 'X', sizeof(err));
	if (query_parse(qs, &q, err, sizeof(err)) == -1) {
		FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0] != '\0',
		    "failure without a reason");
	} else {
		FUZZ_CHECK(fuzz_terminated(q.target, sizeof(q.target)) &&
		    q.target[0] != '\0', "target");
		FUZZ_CHECK(fuzz_terminated(q.module, sizeof(q.module)) &&
		    q.module[0] != '\0', "module");
		FUZZ_CHECK(q.debug == 0 || q.debug == 1, "debug flag");
		FUZZ_CHECK(q.nports <= QUERY_MAX_PORTS, "port count");
		FUZZ_CHECK(q.have_ports || q.nports == 0, "ports without key");
		for (i = 0; i < q.nports; i++) {
			FUZZ_CHECK(q.ports[i].port >= 1, "port 0");
			for (j = 0; j < i; j++)
				FUZZ_CHECK(q.ports[i].port != q.ports[j].port,
				    "duplicate port");
		}
	}
	/* Decoding into a small buffer: bounded, terminated, no NUL. */
	small[sizeof(small) - 1] = 0x5a;
	if (query_decode(qs, len, small, sizeof(small) - 1) == 0) {
		FUZZ_CHECK(fuzz_terminated(small, sizeof(small) - 1),
		    "decoded text unterminated");
	}
	FUZZ_CHECK(small[sizeof(small) - 1] == 0x5a, "decode wrote past dstlen");
	/* The scrape timeout header. */
	if (hdr != NULL) {
		out = -7;
		if (query_timeout(hdr, QUERY_DEFAULT_OFFSET_US, module, &out,
		    err, sizeof(err)) == 0) {
			FUZZ_CHECK(out >= QUERY_MIN_TIMEOUT_US && out <= module,
			    "timeout outside [min, module]");
		} else
			FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) &&
			    err[0] != '\0', "timeout failure without reason");
		out = -7;
		if (query_timeout(hdr, QUERY_DEFAULT_OFFSET_US, 50000, &out,
		    err, sizeof(err)) == 0)
			FUZZ_CHECK(out == 50000,
			    "timeout above a module below the minimum");
	}
	free(qs);
	return 0;
}
