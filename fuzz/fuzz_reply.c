/*
 * fuzz_reply.c: libFuzzer target for the incremental SMTP reply parser
 * (lib/reply.c, RFC 5321 §4.2).
 *
 * The input's first four bytes seed the way the rest is split into feeds
 * (1 byte to a few KiB, as a network delivers them); the rest is what a
 * server sends.  The same bytes are parsed twice, in one feed and in the
 * random split, reading reply after reply (reply_reset() between them, as
 * a pipelining client does) until an error or the end.  Checked:
 *  - no crash, leak or undefined behaviour (ASan, UBSan);
 *  - the split never changes the verdict: same replies, codes, lines,
 *    texts and error (bytes are judged as they arrive, so where a packet
 *    boundary falls cannot matter);
 *  - a finished reply obeys the bounds (code 100..599, 1..REPLY_MAX_LINES
 *    lines of at most REPLY_MAX_LINE octets, at most REPLY_MAX_BYTES fed)
 *    and its text is sanitised (valid UTF-8, no control character, no
 *    '|') even truncated into a small buffer;
 *  - feeding after DONE or ERROR consumes nothing and repeats the status.
 */
#include "fuzz_util.h"
#include "smtpprobe.h"
#include "reply.h"

#define FUZZ_MAX_REPLIES	256

struct fuzz_rec {
	int		status;
	int		code;
	size_t		nlines;
	size_t		end;		/* input offset where the reply ended */
	uint64_t	hash;		/* FNV-1a of the lines */
};

struct fuzz_run {
	struct fuzz_rec	rec[FUZZ_MAX_REPLIES];
	size_t		nrec;
	int		final;		/* status when the input ran out */
	const char	*error;
};

static uint64_t
fnv(uint64_t h, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint32_t
xorshift(uint32_t *s)
{
	uint32_t	x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Check a finished reply and return its record. */
static struct fuzz_rec
judge_done(const struct reply *r, size_t end)
{
	struct fuzz_rec	 rec;
	char		 text[512], small[7];
	const char	*line;
	size_t		 i, len;

	rec.status = REPLY_DONE;
	rec.code = r->code;
	rec.nlines = r->nlines;
	rec.end = end;
	rec.hash = 0xcbf29ce484222325ULL;
	FUZZ_CHECK(r->code >= 100 && r->code <= 599, "code out of range");
	FUZZ_CHECK(r->nlines >= 1 && r->nlines <= REPLY_MAX_LINES,
	    "line count out of bounds");
	FUZZ_CHECK(r->fed <= REPLY_MAX_BYTES, "fed beyond REPLY_MAX_BYTES");
	for (i = 0; i < r->nlines; i++) {
		line = reply_line(r, i);
		FUZZ_CHECK(line != NULL, "reply_line NULL for a line");
		len = strlen(line);
		FUZZ_CHECK(len <= REPLY_MAX_LINE, "line longer than the bound");
		rec.hash = fnv(rec.hash, line, len + 1);
	}
	FUZZ_CHECK(reply_text(r, text, sizeof(text)) == text,
	    "reply_text return");
	FUZZ_CHECK(fuzz_terminated(text, sizeof(text)), "text unterminated");
	FUZZ_CHECK(fuzz_text_clean(text), "reply_text not sanitised");
	reply_text(r, small, sizeof(small));
	FUZZ_CHECK(fuzz_terminated(small, sizeof(small)),
	    "small text unterminated");
	FUZZ_CHECK(fuzz_text_clean(small), "truncated text not sanitised");
	return rec;
}

/*
 * Parse data[0..len-1] reply after reply.  seed == 0: one feed per
 * reply; else split by the PRNG.
 */
static void
parse(const char *data, size_t len, uint32_t seed, struct fuzz_run *run)
{
	struct reply		r;
	enum reply_status	st, again;
	size_t			off = 0, chunk, used, used2;

	memset(run, 0, sizeof(*run));
	run->final = REPLY_MORE;
	reply_init(&r);
	while (off < len && run->nrec < FUZZ_MAX_REPLIES) {
		chunk = len - off;
		if (seed != 0) {
			uint32_t x = xorshift(&seed);
			size_t max = (x & 0x300) == 0x300 ? 4096 : 16;
			if ((x % max) + 1 < chunk)
				chunk = (x % max) + 1;
		}
		used = (size_t)-1;
		st = reply_feed(&r, data + off, chunk, &used);
		switch (st) {
		case REPLY_MORE:
			off += chunk;
			break;
		case REPLY_DONE:
			FUZZ_CHECK(used > 0 && used <= chunk,
			    "DONE with a bad used count");
			used2 = (size_t)-1;
			again = reply_feed(&r, "250 x\r\n", 7, &used2);
			FUZZ_CHECK(again == REPLY_DONE,
			    "feed after DONE changed the status");
			FUZZ_CHECK(used2 == 0 || used2 == (size_t)-1,
			    "feed after DONE consumed bytes");
			off += used;
			run->rec[run->nrec++] = judge_done(&r, off);
			reply_reset(&r);
			break;
		case REPLY_ERROR:
			FUZZ_CHECK(reply_error(&r) != NULL,
			    "ERROR without a reason");
			run->error = reply_error(&r);
			again = reply_feed(&r, "250 x\r\n", 7, &used2);
			FUZZ_CHECK(again == REPLY_ERROR,
			    "feed after ERROR changed the status");
			run->final = REPLY_ERROR;
			reply_free(&r);
			return;
		default:
			FUZZ_CHECK(0, "unknown status");
		}
	}
	reply_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_run	one, split;
	uint32_t		seed;
	size_t			i;

	if (size < 4)
		return 0;
	seed = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
	    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
	seed |= 1;			/* xorshift needs a non-zero state */
	data += 4;
	size -= 4;
	parse((const char *)data, size, 0, &one);
	parse((const char *)data, size, seed, &split);
	FUZZ_CHECK(one.nrec == split.nrec, "split changed the reply count");
	FUZZ_CHECK(one.final == split.final, "split changed the verdict");
	for (i = 0; i < one.nrec; i++) {
		FUZZ_CHECK(one.rec[i].code == split.rec[i].code,
		    "split changed a code");
		FUZZ_CHECK(one.rec[i].nlines == split.rec[i].nlines,
		    "split changed a line count");
		FUZZ_CHECK(one.rec[i].end == split.rec[i].end,
		    "split changed where a reply ends");
		FUZZ_CHECK(one.rec[i].hash == split.rec[i].hash,
		    "split changed a line's text");
	}
	if (one.error != NULL)
		FUZZ_CHECK(split.error != NULL &&
		    strcmp(one.error, split.error) == 0,
		    "split changed the error");
	return 0;
}
