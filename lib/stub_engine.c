/*
 * stub_engine.c: TEMPORARY stubs so the library links while the engine
 * (context, probe, loop) is written.  Owned by the "core-engine" work; each
 * function is deleted from here as its real implementation lands, and this
 * file with the last one.
 */
#include <stdint.h>
#include <string.h>

#include "smtpprobe.h"

static void
stub_err(char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		strncpy(err, "not implemented yet", errlen - 1);
}

struct smtpprobe_ctx *smtpprobe_ctx_new(char *err, size_t errlen) { stub_err(err, errlen); return NULL; }
void smtpprobe_ctx_free(struct smtpprobe_ctx *c) { (void)c; }
struct smtpprobe *smtpprobe_new(struct smtpprobe_ctx *c, const struct smtpprobe_params *p, char *err, size_t errlen) { (void)c; (void)p; stub_err(err, errlen); return NULL; }
void smtpprobe_free(struct smtpprobe *p) { (void)p; }
int smtpprobe_step(struct smtpprobe *p, int64_t now) { (void)p; (void)now; return SMTPPROBE_ERROR; }
size_t smtpprobe_pollfds(const struct smtpprobe *p, struct pollfd *f, size_t n) { (void)p; (void)f; (void)n; return 0; }
int64_t smtpprobe_next_timeout(const struct smtpprobe *p) { (void)p; return INT64_MAX; }
int smtpprobe_set_addresses(struct smtpprobe *p, const char *const *a, size_t n, int64_t us, enum smtpprobe_outcome o, const char *d) { (void)p; (void)a; (void)n; (void)us; (void)o; (void)d; return -1; }
void smtpprobe_cancel(struct smtpprobe *p, int64_t now) { (void)p; (void)now; }
const struct smtpprobe_result *smtpprobe_result(const struct smtpprobe *p) { (void)p; return NULL; }
const char *smtpprobe_error(const struct smtpprobe *p) { (void)p; return "not implemented yet"; }
struct smtpprobe_loop *smtpprobe_loop_new(struct smtpprobe_ctx *c, const struct smtpprobe_loop_params *p, char *err, size_t errlen) { (void)c; (void)p; stub_err(err, errlen); return NULL; }
void smtpprobe_loop_free(struct smtpprobe_loop *l) { (void)l; }
int smtpprobe_loop_add(struct smtpprobe_loop *l, struct smtpprobe *p, smtpprobe_probe_done_fn *d, void *a) { (void)l; (void)p; (void)d; (void)a; return -1; }
int smtpprobe_loop_lookup(struct smtpprobe_loop *l, const char *n, unsigned w, int f, int64_t dl, smtpprobe_lookup_done_fn *d, void *a) { (void)l; (void)n; (void)w; (void)f; (void)dl; (void)d; (void)a; return -1; }
int smtpprobe_loop_run(struct smtpprobe_loop *l, int t) { (void)l; (void)t; return -1; }
void smtpprobe_loop_wakeup(struct smtpprobe_loop *l) { (void)l; }
size_t smtpprobe_loop_pending(const struct smtpprobe_loop *l) { (void)l; return 0; }
const char *smtpprobe_loop_error(const struct smtpprobe_loop *l) { (void)l; return "not implemented yet"; }
