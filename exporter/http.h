/*
 * http.h: the HTTP side of the exporter on libmicrohttpd (a pool of
 * internal epoll threads, suspend/resume for /probe): /probe, /metrics,
 * /, /-/healthy, /-/ready, /-/reload.
 */
#ifndef EXPORTER_HTTP_H
#define EXPORTER_HTTP_H

#include <stddef.h>

struct http;

struct http_params {
	int		 listen_fd;		/* bound and listening; MHD
						   owns it from now on */
	unsigned	 max_connections;	/* MHD_OPTION_CONNECTION_LIMIT */
	unsigned	 connection_timeout;	/* seconds idle before close */
	unsigned	 per_ip_limit;		/* 0: none */
	unsigned	 threads;		/* HTTP threads; 0: one per
						   CPU, 2 to 4 */
};

/* Start serving; uses app_get() for config, prober, scheduler, web
 * config.  NULL with a reason on failure. */
struct http	*http_start(const struct http_params *, char *err,
		    size_t errlen);
/*
 * Stop serving.  Call after prober_stop(): by then every /probe
 * connection has been resumed (MHD refuses to stop with suspended
 * connections).
 */
void		 http_stop(struct http *);

#endif
