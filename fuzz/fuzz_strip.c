/*
 * libFuzzer target for mail-strip's planner and rewriter (common/strip.c,
 * common/rewrite.c): the first 8 bytes of an input pick a set of parts,
 * the rest is the message.  The picked parts go to the same planner
 * mail-strip -p uses (strip_add_part, promoted to the attached message
 * around them; strip_check drops nested ones and refuses what
 * part_removable() refuses), and when the plan is accepted the output must
 *
 *   - be produced (rw_message() fails only on ENOMEM),
 *   - parse again, with exactly one X-Virus-Status field at the top (or
 *     none visible, for a message with no header block that starts with
 *     white space: the fields go after those lines, see rewrite.c),
 *   - hold the raw bytes of every part that was not cut and holds no cut
 *     part, unchanged,
 *   - hold no notice text when nothing was cut, and be the input plus the
 *     two fields then.
 *
 * A refused plan must have been refused as "cannot delete".  Anything else
 * aborts.  See fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "mailav.h"
#include "mime.h"
#include "part.h"
#include "rewrite.h"
#include "strip.h"

#define MAXCUTS		64
#define MAXCHECK	256	/* kept parts looked for in the output */

static const char notice[] = "removed {filename}\n\xe6\x97\xa5\n";

static int
inside(const struct mime_part *p, const struct mime_part *const *cut,
    size_t n)
{
	const struct mime_part *q;
	size_t i;

	for (q = p; q != NULL; q = q->parent)
		for (i = 0; i < n; i++)
			if (cut[i] == q)
				return 1;
	return 0;
}

/* Does p hold one of the cuts (so its bytes changed)? */
static int
holds(const struct mime_part *p, const struct mime_part *const *cut,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cut[i]->raw.p >= p->raw.p &&
		    cut[i]->raw.p < p->raw.p + p->raw.len)
			return 1;
	return 0;
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_strip: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	const struct mime_part *cut[MAXCUTS], *p;
	struct rw_cut *cuts = NULL;
	struct strip_plan pl = { 0 };
	struct buf addhdr = { 0 };
	struct rw_out out = { 0 };
	struct mime_msg *m, *m2;
	struct buf o = { 0 };
	struct errbuf e;
	const char *msg;
	size_t len, i, n = 0, idx = 0, checked = 0;
	uint64_t sel = 0;

	if (size < 8 || size > (1u << 20))
		return 0;
	for (i = 0; i < 8; i++)
		sel = sel << 8 | data[i];
	/* The message in its own allocation so ASan sees reads past it. */
	len = size - 8;
	if ((msg = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy((char *)msg, data + 8, len);
	/* Small limits now and then, so flat parts are cut too. */
	if (sel >> 63) {
		lim.max_depth = 4;
		lim.max_parts = 30;
		lim.max_header = 4096;
	}
	if ((m = mime_parse(msg, len, &lim, &e)) == NULL) {
		free((char *)msg);
		return 0;
	}
	pl.m = m;
	for (p = m->root; p != NULL && n < MAXCUTS;
	    p = mime_walk(m->root, p), idx++) {
		if (!(sel >> (idx % 63) & 1))
			continue;
		check(strip_add_part(&pl, p, p->id, p->filename, "Fuzz.Test",
		    p->role == ROLE_BODY, &e) == 0, e.msg);
		n++;
	}
	if (strip_check(&pl, NULL, &e) == -1) {
		check(pl.status == EXIT_NODELETE, e.msg);
		n = 0;
		goto done;
	}
	check(strip_cuts(&pl, "en", notice, notice, &cuts, &n, &e) == 0,
	    e.msg);
	check(strip_fields(&pl, "localhost", n, &addhdr, &e) == 0, e.msg);
	for (i = 0; i < n; i++)
		cut[i] = cuts[i].part;
	/* Only the message itself is cut alone (a single body part). */
	for (i = 0; i < n; i++)
		check(cut[i] != m->root || n == 1, "the message and a part");
	check(rw_message(m, cuts, n, addhdr.p, &out, &e) == 0, e.msg);
	for (i = 0; i < out.n; i++)
		check(buf_add(&o, out.seg[i].p, out.seg[i].len) == 0, "ENOMEM");
	check(o.len == out.total, "total");

	/* Every part not cut is in the output byte for byte. */
	for (p = m->root; p != NULL && checked < MAXCHECK;
	    p = mime_walk(m->root, p)) {
		if (p == m->root || p->raw.len == 0 || inside(p, cut, n) ||
		    holds(p, cut, n))
			continue;
		checked++;
		check(memmem(o.p, o.len, p->raw.p, p->raw.len) != NULL,
		    "a kept part is not in the output");
	}
	if (n == 0) {
		/* Nothing cut: at most the two fields and a line end added. */
		check(o.len <= len + addhdr.len + 8,
		    "tagging grew the message by more than the fields");
		check(memmem(o.p, o.len, "removed {filename}", 18) == NULL ||
		    memmem(msg, len, "removed {filename}", 18) != NULL,
		    "notice text without a cut");
	}

	/* The output parses, and its header has our field once. */
	if ((m2 = mime_parse(o.p, o.len, &lim, &e)) != NULL) {
		if (!(m2->root->flags & MP_FLAT) && (m->root->hdr.len > 0 ||
		    n > 0 || len == 0 || (msg[0] != ' ' && msg[0] != '\t')))
			check(hdr_count(m2->root->hdr, "X-Virus-Status") == 1,
			    "X-Virus-Status not exactly once");
		mime_free(m2);
	}
	rw_free(&out);
	buf_free(&o);
done:
	strip_free_cuts(cuts, n);
	strip_free(&pl);
	buf_free(&addhdr);
	mime_free(m);
	free((char *)msg);
	return 0;
}
