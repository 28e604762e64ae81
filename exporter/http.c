/*
 * http.c: the exporter's HTTP endpoints on libmicrohttpd 0.9.75 with a
 * small pool of internal epoll threads (one per CPU, 2 to 4), so that a
 * slow request (a /metrics rendering, a bcrypt check) on one thread
 * does not hold up the others.  Nothing here blocks a thread on a
 * probe: /probe suspends its connection, hands the job to the prober,
 * and the prober's done callback (on a worker thread) writes the answer
 * and resumes the connection.  /metrics is served from a rendering at
 * most HTTP_METRICS_TTL_US old (a reload invalidates it), so that many
 * concurrent scrapers cost one rendering, not one each.  Every request
 * gets its context from the URI log callback, which also keeps the raw
 * query string (MHD hands the access handler a decoded path only).
 * The web config (users, certificate) is looked up afresh for every
 * request and every TLS handshake, so a reload changes it for the next
 * request and the next connection without a restart.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <microhttpd.h>

#include "app.h"
#include "html.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "probe_metrics.h"
#include "query.h"
#include "selfmetrics.h"
#include "strbuf.h"

#define HTTP_REALM		"smtp_ports_exporter"
#define HTTP_TEXT		"text/plain; charset=utf-8"
#define HTTP_HTML		"text/html; charset=utf-8"
#define HTTP_MAX_BODY		(64 * 1024)
#define HTTP_METRICS_TTL_US	250000	/* a /metrics rendering's life */
#define HTTP_THREADS_MIN	2
/* Per-connection memory (request line, headers, response headers):
 * plenty for Prometheus's GETs; a larger request gets MHD's 414 / 431.
 * Above 32 KiB on purpose: libmicrohttpd mmap()s a larger pool on its
 * own and munmap()s it at close, and only the pages a request touches
 * (two or three for a GET) are resident.  A pool of 32 KiB or less is
 * malloc()ed, and glibc puts such a block in the heap whenever a free
 * chunk fits (M_MMAP_THRESHOLD only counts when the heap must grow):
 * with 16 KiB pools, 1,000 idle clients that the idle timeout closes
 * and that reconnect grew the heap by 0.5-2 MB per 15 s cycle
 * (bench/loadtest; mallinfo2: the pools in use, in the heap). */
#define HTTP_CONN_MEMORY	(36 * 1024)
#define HTTP_THREADS_MAX	4

struct http {
	struct MHD_Daemon	*mhd;
};

/* One request, from the URI log callback to the completed callback. */
struct http_req {
	struct MHD_Connection	*conn;
	char			*uri;		/* raw, with the query */
	int			 seen;		/* headers handled */
	int			 suspended;
	int			 done;		/* answer ready (set by the
						   prober thread) */
	unsigned		 status;
	char			*body;		/* malloc'ed; MHD frees */
	size_t			 len;
	const char		*ctype;
	size_t			 body_bytes;	/* uploaded, discarded */
	enum selfmetrics_endpoint ep;
	int			 debug;
};

static void *
http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_req	*r;

	(void)cls;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->conn = conn;
	r->uri = strdup(uri != NULL ? uri : "");
	r->ep = SELFMETRICS_EP_OTHER;
	return r;
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req	*r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	free(r->uri);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void	http_mhd_log(void *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 msg[512];
	size_t	 n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_msg(LOG_LEVEL_WARN, "libmicrohttpd", "err", msg, NULL);
}

/* Queue body (malloc'ed, taken over) with status and content type. */
static enum MHD_Result
http_send(struct http_req *r, unsigned status, const char *ctype,
    char *body, size_t len, const char *allow)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	if (body == NULL) {
		status = 500;
		ctype = HTTP_TEXT;
		len = 0;
	}
	resp = MHD_create_response_from_buffer(len, body != NULL ? body :
	    (void *)(uintptr_t)"", body != NULL ? MHD_RESPMEM_MUST_FREE :
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	selfmetrics_request(r->ep, status);
	return ret;
}

static enum MHD_Result
http_text(struct http_req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A one-line text answer (errors, health). */
static enum MHD_Result
http_text(struct http_req *r, unsigned status, const char *fmt, ...)
{
	char	 line[512], *body;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if ((body = malloc((size_t)n + 2)) != NULL) {
		memcpy(body, line, (size_t)n);
		body[n] = '\n';
		body[n + 1] = '\0';
	}
	return http_send(r, status, HTTP_TEXT, body, (size_t)n + 1, NULL);
}

static enum MHD_Result
http_405(struct http_req *r, const char *allow)
{
	char	*body = strdup("method not allowed\n");

	return http_send(r, 405, HTTP_TEXT, body, body != NULL ?
	    strlen(body) : 0, allow);
}

static enum MHD_Result
http_buf(struct http_req *r, unsigned status, const char *ctype,
    struct strbuf *b)
{
	size_t	 len = b->len;
	char	*s = strbuf_steal(b);

	strbuf_free(b);
	return http_send(r, status, ctype, s, len, NULL);
}

/* --- /probe ------------------------------------------------------------- */

/* Runs on a prober thread: write the answer, then resume. */
static void
http_probe_done(struct prober_job *job, void *arg)
{
	struct http_req			*r = arg;
	struct probe_metrics_entry	 e[PROBER_MAX_ITEMS];
	struct strbuf			 b;
	size_t				 i;
	char				 ps[48];

	strbuf_init(&b);
	switch (job->status) {
	case PROBER_STATUS_DENIED:
		r->status = 403;
		strbuf_printf(&b, "target not allowed by allow_targets\n");
		r->ctype = HTTP_TEXT;
		break;
	case PROBER_STATUS_CANCELLED:
		r->status = 503;
		strbuf_printf(&b, "shutting down\n");
		r->ctype = HTTP_TEXT;
		break;
	case PROBER_STATUS_DONE:
	case PROBER_STATUS_COUNT:
	default:
		for (i = 0; i < job->nitems; i++) {
			e[i].r = &job->items[i].res;
			e[i].policy = job->items[i].policy;
			e[i].target = NULL;
			e[i].with_address = job->multi_address;
		}
		r->status = 200;
		r->ctype = METRICS_CONTENT_TYPE;
		if (r->debug) {
			r->ctype = HTTP_TEXT;
			for (i = 0; i < job->nitems; i++) {
				const struct smtpprobe_result *res = e[i].r;

				smtpprobe_portspec_format(
				    &(struct smtpprobe_portspec){ res->port,
				    res->mode, e[i].policy }, ps, sizeof(ps));
				strbuf_printf(&b, "=== %s %s [%s]: %s in %s%s%s"
				    "\n", job->host, ps, res->address,
				    smtpprobe_outcome_name(res->outcome),
				    smtpprobe_phase_name(res->phase),
				    res->detail[0] != '\0' ? ": " : "",
				    res->detail);
				if (res->transcript != NULL)
					strbuf_puts(&b, res->transcript);
				if (b.len > 0 && b.data[b.len - 1] != '\n')
					strbuf_putc(&b, '\n');
			}
			strbuf_puts(&b, "\n=== metrics\n");
		}
		probe_metrics_write_probe(&b, e, job->nitems,
		    job->duration_us);
		break;
	}
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char	 code[8], ms[32], np[16];

		snprintf(code, sizeof(code), "%u", r->status);
		snprintf(ms, sizeof(ms), "%.3f", (double)job->duration_us / 1e3);
		snprintf(np, sizeof(np), "%zu", job->nitems);
		log_msg(LOG_LEVEL_DEBUG, "probe done", "target", job->host,
		    "code", code, "probes", np, "duration_ms", ms, NULL);
	}
	r->len = b.len;
	r->body = strbuf_steal(&b);
	strbuf_free(&b);
	r->done = 1;
	MHD_resume_connection(r->conn);
}

static enum MHD_Result
http_probe(struct http_req *r)
{
	const struct app		*a = app_get();
	const struct config_module	*m;
	struct prober_request		 req;
	struct config			*cfg;
	struct query			 q;
	const char			*qs, *hdr;
	char				 err[256];
	int64_t				 timeout;
	enum MHD_Result			 ret;
	int				 rc;

	qs = strchr(r->uri, '?');
	if (query_parse(qs != NULL ? qs + 1 : NULL, &q, err,
	    sizeof(err)) == -1)
		return http_text(r, 400, "%s", err);
	cfg = app_config();
	if ((m = config_module(cfg, q.module)) == NULL) {
		ret = http_text(r, 400, "unknown module \"%s\"", q.module);
		goto out;
	}
	if (q.have_ports && !m->allow_port_override) {
		ret = http_text(r, 400, "module \"%s\" does not allow ports=",
		    m->name);
		goto out;
	}
	hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "X-Prometheus-Scrape-Timeout-Seconds");
	if (query_timeout(hdr, a->timeout_offset_us, m->timeout_us, &timeout,
	    err, sizeof(err)) == -1) {
		ret = http_text(r, 400, "%s", err);
		goto out;
	}
	/* denied without DNS whenever the rules allow it: no packet */
	if (allow_check(&cfg->allow, q.target) == ALLOW_VERDICT_NO) {
		log_msg(LOG_LEVEL_DEBUG, "target denied", "target", q.target,
		    NULL);
		ret = http_text(r, 403, "target \"%s\" not allowed by "
		    "allow_targets", q.target);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.cfg = cfg;
	req.module = m;
	req.host = q.target;
	req.ports = q.have_ports ? q.ports : m->ports;
	req.nports = q.have_ports ? q.nports : m->nports;
	req.timeout_us = timeout;
	req.trace = q.debug;
	req.check_allow = 1;
	req.limited = 1;
	req.done = http_probe_done;
	req.arg = r;
	r->debug = q.debug;
	/* suspend first: the answer may be ready before submit returns */
	MHD_suspend_connection(r->conn);
	r->suspended = 1;
	if ((rc = prober_submit(a->prober, &req)) != 0) {
		if (rc == PROBER_NO_RESOLVER)
			snprintf(err, sizeof(err), "no probe thread for this "
			    "probe's resolver: at most %d distinct dns_server "
			    "settings in the exporter's life (see the log)\n",
			    PROBER_MAX_RESOLVERS);
		else
			snprintf(err, sizeof(err), "too many probes in "
			    "progress, or shutting down\n");
		r->status = 503;
		r->ctype = HTTP_TEXT;
		r->body = strdup(err);
		r->len = r->body != NULL ? strlen(r->body) : 0;
		r->done = 1;
		MHD_resume_connection(r->conn);
	}
	ret = MHD_YES;
out:
	config_unref(cfg);
	return ret;
}

/* --- the other endpoints ------------------------------------------------ */

/*
 * The latest /metrics rendering, shared by the HTTP threads as one MHD
 * response (MHD counts its references: every connection it is queued on
 * holds one, so it outlives its replacement as long as needed; no copy
 * per scrape).  Fresh: younger than HTTP_METRICS_TTL_US and of the
 * current reload generation.  While one thread renders, the others
 * serve the previous rendering of the same generation instead of
 * rendering too.
 */
static struct {
	pthread_mutex_t		 mu;
	struct MHD_Response	*resp;		/* NULL: none yet */
	int64_t			 at_us;		/* monotonic, start of
						   rendering */
	unsigned		 gen;		/* selfmetrics_generation() */
	int			 rendering;
} http_mc = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0 };

static int64_t
http_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Queue the cached rendering on r if it may be served (1, *ret set);
 * else 0, with *mine set if the caller is now the one to render.
 */
static int
http_metrics_cached(struct http_req *r, int64_t now, unsigned gen,
    int *mine, enum MHD_Result *ret)
{
	int	 served = 0;

	*mine = 0;
	pthread_mutex_lock(&http_mc.mu);
	if (http_mc.resp != NULL && http_mc.gen == gen &&
	    (now - http_mc.at_us < HTTP_METRICS_TTL_US || http_mc.rendering)) {
		/* MHD takes its own reference */
		*ret = MHD_queue_response(r->conn, 200, http_mc.resp);
		served = 1;
	} else if (!http_mc.rendering)
		http_mc.rendering = *mine = 1;
	pthread_mutex_unlock(&http_mc.mu);
	if (served)
		selfmetrics_request(r->ep, 200);
	return served;
}

/* Keep resp (a rendering started at "at") unless a newer one is kept. */
static void
http_metrics_keep(struct MHD_Response *resp, int64_t at, unsigned gen,
    int mine)
{
	struct MHD_Response	*old = resp;

	pthread_mutex_lock(&http_mc.mu);
	if (mine)
		http_mc.rendering = 0;
	if (resp != NULL && (http_mc.resp == NULL || at > http_mc.at_us)) {
		old = http_mc.resp;
		http_mc.resp = resp;
		http_mc.at_us = at;
		http_mc.gen = gen;
	}
	pthread_mutex_unlock(&http_mc.mu);
	if (old != NULL)
		MHD_destroy_response(old);
}

static enum MHD_Result
http_metrics(struct http_req *r)
{
	const struct app	*a = app_get();
	struct MHD_Response	*resp;
	struct strbuf		 b;
	int64_t			 now = http_now_us();
	unsigned		 gen = selfmetrics_generation();
	size_t			 len;
	char			*body;
	enum MHD_Result		 ret = MHD_NO;
	int			 mine;

	if (http_metrics_cached(r, now, gen, &mine, &ret))
		return ret;
	strbuf_init(&b);
	selfmetrics_write(&b, a->prober != NULL ?
	    prober_inflight(a->prober) : 0);
	if (a->sched != NULL)
		scheduler_write_metrics(a->sched, &b);
	len = b.len;
	body = strbuf_steal(&b);
	strbuf_free(&b);
	if (body == NULL) {
		http_metrics_keep(NULL, now, gen, mine);
		return http_send(r, 500, HTTP_TEXT, NULL, 0, NULL);
	}
	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		http_metrics_keep(NULL, now, gen, mine);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    METRICS_CONTENT_TYPE);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(r->conn, 200, resp);
	selfmetrics_request(r->ep, 200);
	/* the cache's reference is the creator's */
	http_metrics_keep(resp, now, gen, mine);
	return ret;
}

static enum MHD_Result
http_root(struct http_req *r)
{
	const struct app	*a = app_get();
	struct config		*cfg = app_config();
	struct strbuf		 b;
	char			 ps[48];
	size_t			 i, k;

	strbuf_init(&b);
	strbuf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>SMTP Ports Exporter</title></head><body>\n"
	    "<h1>SMTP Ports Exporter</h1>\n<p>Version ");
	html_escape(&b, smtpprobe_version());
	strbuf_puts(&b, ", ");
	html_escape(&b, smtpprobe_openssl_version());
	strbuf_puts(&b, ". Configuration ");
	html_escape(&b, cfg->path != NULL ? cfg->path : "(built-in)");
	strbuf_puts(&b, selfmetrics_reload_ok() ? "" :
	    " (<b>last reload failed</b>)");
	strbuf_puts(&b, ".</p>\n<ul><li><a href=\"metrics\">Metrics</a></li>"
	    "<li><a href=\"probe?target=localhost&amp;debug=true\">Probe "
	    "localhost (debug)</a></li><li><a href=\"-/healthy\">Health</a>"
	    "</li></ul>\n<h2>Modules</h2>\n<table border=\"1\"><tr><th>name"
	    "</th><th>ports</th><th>timeout</th></tr>\n");
	for (i = 0; i < cfg->nmodules; i++) {
		const struct config_module *m = &cfg->modules[i];

		strbuf_puts(&b, "<tr><td>");
		html_escape(&b, m->name);
		strbuf_puts(&b, "</td><td>");
		for (k = 0; k < m->nports; k++) {
			if (k > 0)
				strbuf_puts(&b, ", ");
			html_escape(&b, smtpprobe_portspec_format(&m->ports[k],
			    ps, sizeof(ps)));
		}
		strbuf_printf(&b, "</td><td>%.3fs</td></tr>\n",
		    (double)m->timeout_us / 1e6);
	}
	strbuf_puts(&b, "</table>\n<h2>Scheduled targets</h2>\n<table "
	    "border=\"1\"><tr><th>name</th><th>host</th><th>module</th>"
	    "<th>last result</th></tr>\n");
	if (a->sched != NULL)
		scheduler_write_html(a->sched, &b);
	strbuf_puts(&b, "</table>\n</body></html>\n");
	config_unref(cfg);
	return http_buf(r, 200, HTTP_HTML, &b);
}

static enum MHD_Result
http_reload(struct http_req *r)
{
	char	 err[512];

	if (app_reload(err, sizeof(err)) == -1)
		return http_text(r, 500, "failed to reload config: %s", err);
	return http_text(r, 200, "OK");
}

static int
http_is(const char *method, const char *m)
{
	return strcmp(method, m) == 0;
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_req		*r = *con_cls;
	struct webconfig	*wc;
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	char			*user, *pass = NULL;
	int			 get, ok;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (r == NULL)
		return MHD_NO;	/* out of memory in http_uri_log */
	if (r->done) {
		/* resumed by the prober: the answer is ready */
		char *body = r->body;

		r->body = NULL;
		r->done = 0;
		return http_send(r, r->status, r->ctype, body, r->len, NULL);
	}
	if (r->suspended)
		return MHD_YES;
	if (!r->seen) {
		r->seen = 1;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/* no endpoint takes a body: count and drop it */
		r->body_bytes += *upload_data_size;
		*upload_data_size = 0;
		return r->body_bytes > HTTP_MAX_BODY ? MHD_NO : MHD_YES;
	}

	if (strcmp(url, "/probe") == 0)
		r->ep = SELFMETRICS_EP_PROBE;
	else if (strcmp(url, "/metrics") == 0)
		r->ep = SELFMETRICS_EP_METRICS;
	else if (strcmp(url, "/") == 0)
		r->ep = SELFMETRICS_EP_ROOT;
	else if (strcmp(url, "/-/healthy") == 0)
		r->ep = SELFMETRICS_EP_HEALTHY;
	else if (strcmp(url, "/-/ready") == 0)
		r->ep = SELFMETRICS_EP_READY;
	else if (strcmp(url, "/-/reload") == 0)
		r->ep = SELFMETRICS_EP_RELOAD;

	/* the users of this moment: a reload may swap them meanwhile */
	wc = app_webconfig();
	ok = !webconfig_has_users(wc);
	if (!ok) {
		user = MHD_basic_auth_get_username_password(conn, &pass);
		ok = user != NULL && webconfig_check(wc, user, pass);
		if (user != NULL)
			MHD_free(user);
		if (pass != NULL)
			MHD_free(pass);
	}
	webconfig_unref(wc);
	if (!ok) {
		resp = MHD_create_response_from_buffer(strlen("Unauthorized\n"),
		    (void *)(uintptr_t)"Unauthorized\n", MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    HTTP_TEXT);
		ret = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM,
		    resp);
		MHD_destroy_response(resp);
		selfmetrics_request(r->ep, 401);
		return ret;
	}

	get = http_is(method, MHD_HTTP_METHOD_GET) ||
	    http_is(method, MHD_HTTP_METHOD_HEAD);
	switch (r->ep) {
	case SELFMETRICS_EP_PROBE:
		return get ? http_probe(r) : http_405(r, "GET, HEAD");
	case SELFMETRICS_EP_METRICS:
		return get ? http_metrics(r) : http_405(r, "GET, HEAD");
	case SELFMETRICS_EP_ROOT:
		return get ? http_root(r) : http_405(r, "GET, HEAD");
	case SELFMETRICS_EP_HEALTHY:
		return get ? http_text(r, 200, "Healthy") :
		    http_405(r, "GET, HEAD");
	case SELFMETRICS_EP_READY:
		return get ? http_text(r, 200, "Ready") :
		    http_405(r, "GET, HEAD");
	case SELFMETRICS_EP_RELOAD:
		return http_is(method, MHD_HTTP_METHOD_POST) ||
		    http_is(method, MHD_HTTP_METHOD_PUT) ? http_reload(r) :
		    http_405(r, "POST, PUT");
	case SELFMETRICS_EP_OTHER:
	case SELFMETRICS_EP_COUNT:
	default:
		return http_text(r, 404, "not found");
	}
}

/*
 * GnuTLS's certificate callback (gnutls_certificate_retrieve_function3,
 * MHD_OPTION_HTTPS_CERT_CALLBACK2), called in every handshake: a fresh
 * copy of the current web config's chain and key, which GnuTLS frees
 * with the session, so a reload never frees what a session still uses.
 */
static int
http_cert(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
    gnutls_pcert_st **certs, unsigned int *ncerts, gnutls_ocsp_data_st **ocsp,
    unsigned int *nocsp, gnutls_privkey_t *key, unsigned int *flags)
{
	struct webconfig	*wc = app_webconfig();
	int			 rc;

	(void)session;
	(void)info;
	*ocsp = NULL;
	*nocsp = 0;
	rc = webconfig_tls_get(wc, certs, ncerts, key);
	webconfig_unref(wc);
	if (rc == -1) {
		log_msg(LOG_LEVEL_WARN, "TLS handshake without a certificate "
		    "(out of memory?)", NULL);
		return -1;
	}
	*flags = GNUTLS_CERT_RETR_DEINIT_ALL;
	return 0;
}

struct http *
http_start(const struct http_params *hp, char *err, size_t errlen)
{
	const struct app	*a = app_get();
	struct http		*h;
	unsigned int		 flags, threads;
	long			 ncpu;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_SUSPEND_RESUME;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	threads = ncpu < HTTP_THREADS_MIN ? HTTP_THREADS_MIN :
	    ncpu > HTTP_THREADS_MAX ? HTTP_THREADS_MAX : (unsigned)ncpu;
	if (hp->threads > 0)
		threads = hp->threads;
	if (a->tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK2)
		    != MHD_YES) {
			snprintf(err, errlen, "this libmicrohttpd cannot take "
			    "a certificate callback (GnuTLS 3.6.3 or later)");
			free(h);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_access, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)hp->listen_fd,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)hp->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)hp->connection_timeout,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)hp->per_ip_limit,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
	    a->tls ? MHD_OPTION_HTTPS_CERT_CALLBACK2 : MHD_OPTION_END,
	    http_cert, MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server (see the "
		    "libmicrohttpd message above)");
		free(h);
		return NULL;
	}
	return h;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
	pthread_mutex_lock(&http_mc.mu);
	if (http_mc.resp != NULL)
		MHD_destroy_response(http_mc.resp);
	http_mc.resp = NULL;
	pthread_mutex_unlock(&http_mc.mu);
}
