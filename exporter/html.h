/*
 * html.h: HTML escaping for the landing page: every byte of server or
 * config text goes through here.
 */
#ifndef EXPORTER_HTML_H
#define EXPORTER_HTML_H

#include "strbuf.h"

/* Append s with & < > " ' escaped as entities. */
void	 html_escape(struct strbuf *, const char *s);

#endif
