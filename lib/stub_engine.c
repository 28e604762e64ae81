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

struct smtpprobe_loop *smtpprobe_loop_new(struct smtpprobe_ctx *c, const struct smtpprobe_loop_params *p, char *err, size_t errlen) { (void)c; (void)p; stub_err(err, errlen); return NULL; }
void smtpprobe_loop_free(struct smtpprobe_loop *l) { (void)l; }
int smtpprobe_loop_add(struct smtpprobe_loop *l, struct smtpprobe *p, smtpprobe_probe_done_fn *d, void *a) { (void)l; (void)p; (void)d; (void)a; return -1; }
int smtpprobe_loop_lookup(struct smtpprobe_loop *l, const char *n, unsigned w, int f, int64_t dl, smtpprobe_lookup_done_fn *d, void *a) { (void)l; (void)n; (void)w; (void)f; (void)dl; (void)d; (void)a; return -1; }
int smtpprobe_loop_run(struct smtpprobe_loop *l, int t) { (void)l; (void)t; return -1; }
void smtpprobe_loop_wakeup(struct smtpprobe_loop *l) { (void)l; }
size_t smtpprobe_loop_pending(const struct smtpprobe_loop *l) { (void)l; return 0; }
const char *smtpprobe_loop_error(const struct smtpprobe_loop *l) { (void)l; return "not implemented yet"; }
