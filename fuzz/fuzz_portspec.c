/*
 * fuzz_portspec.c: libFuzzer target for the port list parser
 * (smtpprobe_portspec_parse, lib/portspec.c), "PORT[/MODE][:POLICY],...".
 *
 * Checked: no crash or undefined behaviour; on success 1..max entries,
 * ports 1..65535 and unique, mode and policy in range, and the list
 * formatted back with smtpprobe_portspec_format() parses to the same
 * entries (round trip); on failure a terminated, non-empty, sanitised
 * reason and *n == 0; a too-small max fails rather than overflowing.
 */
#include "fuzz_util.h"
#include "smtpprobe.h"

#define FUZZ_MAX_PORTS	16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpprobe_portspec	 out[FUZZ_MAX_PORTS + 1],
					 again[FUZZ_MAX_PORTS + 1];
	char				*s, err[128], item[64];
	char				 list[FUZZ_MAX_PORTS * 64];
	size_t				 n = 99, n2 = 99, i, j, max;
	int				 rc;

	if (size > 4096 || size < 1)
		return 0;
	max = data[0] % (FUZZ_MAX_PORTS + 1);
	data++;
	size--;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(err, 'X', sizeof(err));
	/* A canary after max entries: the parser must not write there. */
	memset(out, 0xa5, sizeof(out));
	rc = smtpprobe_portspec_parse(s, out, max, &n, err, sizeof(err));
	FUZZ_CHECK(((unsigned char *)&out[max])[0] == 0xa5,
	    "wrote past max entries");
	if (rc == -1) {
		FUZZ_CHECK(n == 0, "failure with a count");
		FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0] != '\0',
		    "failure without a reason");
		FUZZ_CHECK(fuzz_text_clean(err), "reason not sanitised");
		free(s);
		return 0;
	}
	FUZZ_CHECK(rc == 0, "return value");
	FUZZ_CHECK(n >= 1 && n <= max, "count out of range");
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(out[i].port >= 1, "port 0 accepted");
		FUZZ_CHECK((unsigned)out[i].mode < SMTPPROBE_MODE_COUNT,
		    "mode out of range");
		FUZZ_CHECK((unsigned)out[i].policy < SMTPPROBE_POLICY_COUNT,
		    "policy out of range");
		for (j = 0; j < i; j++)
			FUZZ_CHECK(out[i].port != out[j].port,
			    "duplicate port accepted");
		smtpprobe_portspec_format(&out[i], item, sizeof(item));
		if (i > 0)
			strncat(list, ",", sizeof(list) - strlen(list) - 1);
		strncat(list, item, sizeof(list) - strlen(list) - 1);
	}
	rc = smtpprobe_portspec_parse(list, again, max, &n2, err, sizeof(err));
	FUZZ_CHECK(rc == 0 && n2 == n, "formatted list does not parse back");
	for (i = 0; i < n; i++)
		FUZZ_CHECK(again[i].port == out[i].port &&
		    again[i].mode == out[i].mode &&
		    again[i].policy == out[i].policy, "round trip differs");
	free(s);
	return 0;
}
