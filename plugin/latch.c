/*
 * latch.c: state file <-> report (see latch.h).
 */
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "latch.h"

char *
latch_key(const struct plugin_config *cfg, const struct report *rep,
    const struct report_item *it, char *buf, size_t len)
{
	const char	*host = it->host < rep->nhosts ?
	    rep->hosts[it->host].name : cfg->host;
	const char	*addr = NULL;

	if (cfg->all_addresses && it->r != NULL)
		addr = it->r->address;
	return statefile_key(buf, len, host, it->spec.port, addr);
}

void
latch_prepare(const struct plugin_config *cfg, struct report *rep,
    const struct statefile *sf)
{
	const struct statefile_entry	*e;
	char				 key[STATEFILE_KEY_MAX];
	size_t				 i;

	for (i = 0; i < rep->nitems; i++) {
		struct report_item *it = &rep->items[i];

		it->prev_starttls = it->prev_answered = 0;
		if (cfg->state_reset || sf == NULL)
			continue;
		e = statefile_find(sf, latch_key(cfg, rep, it, key,
		    sizeof(key)));
		if (e == NULL)
			continue;
		it->prev_starttls = e->last_starttls;
		it->prev_answered = e->last_answered;
	}
}

struct statefile_update *
latch_updates(const struct plugin_config *cfg, const struct report *rep,
    int64_t wall_now, size_t *n)
{
	struct statefile_update	*u;
	size_t			 i;
	int			 offered;

	*n = 0;
	if ((u = calloc(rep->nitems + 1, sizeof(*u))) == NULL)
		return NULL;
	for (i = 0; i < rep->nitems; i++) {
		const struct report_item *it = &rep->items[i];

		latch_key(cfg, rep, it, u[i].key, sizeof(u[i].key));
		u[i].reset = cfg->state_reset;
		if (it->r == NULL)
			continue;
		if (evaluate_starttls_seen(it->r, &offered) && offered)
			u[i].starttls_seen = wall_now;
		if (evaluate_answered(it->r))
			u[i].answered = wall_now;
	}
	*n = rep->nitems;
	return u;
}
