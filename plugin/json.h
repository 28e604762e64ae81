/*
 * json.h: --output-format json, the same facts as the Nagios text with
 * stable field names (documented in docs/plugin.md, "JSON output").
 * Output is one JSON object and a line end; strings are escaped, bytes
 * that are not valid UTF-8 become the text "\xHH".
 */
#ifndef PLUGIN_JSON_H
#define PLUGIN_JSON_H

#include "buf.h"
#include "config.h"
#include "report.h"

void		 json_report(const struct plugin_config *,
		    const struct report *, struct buf *out);

/* Append s as a JSON string (with the quotes). */
void		 json_string(struct buf *out, const char *s);

#endif
