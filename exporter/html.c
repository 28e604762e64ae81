/*
 * html.c: escapes text for the HTML landing page, so that a hostile
 * banner, certificate subject or target name cannot inject markup.
 */
#include "html.h"

void
html_escape(struct strbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			strbuf_puts(b, "&amp;");
			break;
		case '<':
			strbuf_puts(b, "&lt;");
			break;
		case '>':
			strbuf_puts(b, "&gt;");
			break;
		case '"':
			strbuf_puts(b, "&quot;");
			break;
		case '\'':
			strbuf_puts(b, "&#39;");
			break;
		default:
			strbuf_putc(b, *s);
		}
	}
}
