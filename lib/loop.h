/*
 * loop.h: the event loop's internal side (for tests).  Internal.
 */
#ifndef LIB_LOOP_H
#define LIB_LOOP_H

#include <stddef.h>

#include "smtpprobe.h"

/* How many times the loop gave memory back to the system on going idle
 * after a burst of probes (malloc_trim). */
size_t		 loop_trims(const struct smtpprobe_loop *);

#endif
