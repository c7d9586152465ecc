/*
 * libFuzzer target for the rewriter behind mail-strip (common/rewrite.c):
 * the first 8 bytes of an input pick a set of parts, the rest is the
 * message.  The picked parts are cut as mail-strip cuts them (promoted to
 * the attached message around them, refused when rw_removable() says no,
 * nested ones dropped), and the output must
 *
 *   - be produced (rw_message() fails only on ENOMEM),
 *   - parse again, with exactly one X-Virus-Status field at the top,
 *   - hold the raw bytes of every part that was not cut and holds no cut
 *     part, unchanged,
 *   - hold no notice text when nothing was cut, and be the input plus the
 *     two fields then.
 *
 * Anything else aborts.  See fuzz/README.md.
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

#define MAXCUTS		64
#define MAXCHECK	256	/* kept parts looked for in the output */

static const char notice[] = "removed {filename}\n\xe6\x97\xa5\n";
static const char addhdr[] =
    "X-Virus-Scanned: mailav fuzz on localhost\n"
    "X-Virus-Status: Infected (Fuzz.Test,\n Fuzz.Other); removed 1 part(s)";

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
	struct rw_cut cuts[MAXCUTS];
	struct rw_out out = { 0 };
	struct mime_msg *m, *m2;
	struct buf o = { 0 };
	struct errbuf e;
	const char *msg, *why;
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
	for (p = m->root; p != NULL && n < MAXCUTS;
	    p = mime_walk(m->root, p), idx++) {
		const struct mime_part *c;

		if (!(sel >> (idx % 63) & 1))
			continue;
		c = part_promote(p);
		if (part_removable(c, &why) == -1)
			continue;
		for (i = 0; i < n; i++)
			if (cut[i] == c)
				break;
		if (i < n)
			continue;
		cut[n++] = c;
	}
	/* Drop cuts inside other cuts, as mail-strip does. */
	for (i = 0; i < n;) {
		if (cut[i]->parent != NULL && inside(cut[i]->parent, cut, n)) {
			cut[i] = cut[--n];
			continue;
		}
		i++;
	}
	/* The message itself is cut alone (a single body part). */
	for (i = 0; i < n; i++)
		if (cut[i] == m->root) {
			cut[0] = m->root;
			n = 1;
		}
	for (i = 0; i < n; i++) {
		cuts[i].part = cut[i];
		cuts[i].text = notice;
		cuts[i].textlen = sizeof(notice) - 1;
	}
	check(rw_message(m, cuts, n, addhdr, &out, &e) == 0, e.msg);
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
		check(o.len <= len + sizeof(addhdr) + 8,
		    "tagging grew the message by more than the fields");
		check(memmem(o.p, o.len, "removed {filename}", 18) == NULL ||
		    memmem(msg, len, "removed {filename}", 18) != NULL,
		    "notice text without a cut");
	}

	/* The output parses, and its header has our field once. */
	if ((m2 = mime_parse(o.p, o.len, &lim, &e)) != NULL) {
		if (!(m2->root->flags & MP_FLAT))
			check(hdr_count(m2->root->hdr, "X-Virus-Status") == 1,
			    "X-Virus-Status not exactly once");
		mime_free(m2);
	}
	rw_free(&out);
	buf_free(&o);
	mime_free(m);
	free((char *)msg);
	return 0;
}
