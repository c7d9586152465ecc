/*
 * libFuzzer target for the verdict reader (common/verdict_parse.c), which
 * mail-strip -v and mail-notify -v run on mail-scan's JSON (mailav(7)).
 * Every input must be refused with a reason or read; a verdict that is read
 * must
 *
 *   - have every field mail-strip needs (part, type) and a known class,
 *   - be written again by verdict_json (fails only on ENOMEM),
 *   - read back from that to the same verdict, written the same bytes.
 *
 * Anything else aborts.  See fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailav.h"
#include "verdict.h"

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
same(const struct verdict *a, const struct verdict *b)
{
	size_t i;

	if (a->class != b->class || a->deletable != b->deletable ||
	    a->nparts != b->nparts || a->nviruses != b->nviruses ||
	    a->limits != b->limits || !streq(a->file, b->file) ||
	    !streq(a->backstop, b->backstop))
		abort();
	for (i = 0; i < a->nviruses; i++)
		if (!streq(a->viruses[i], b->viruses[i]))
			abort();
	for (i = 0; i < a->nparts; i++) {
		const struct vpart *p = &a->parts[i], *q = &b->parts[i];

		if (!streq(p->part, q->part) || p->role != q->role ||
		    !streq(p->type, q->type) ||
		    !streq(p->filename, q->filename) || p->size != q->size ||
		    !streq(p->virus, q->virus) ||
		    p->deletable != q->deletable || !streq(p->how, q->how))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict v, w;
	struct errbuf e;
	struct buf j1 = { 0 }, j2 = { 0 };
	size_t i;

	memset(&v, 0, sizeof(v));
	memset(&w, 0, sizeof(w));
	e.msg[0] = '\0';
	if (verdict_parse((const char *)data, size, &v, &e) == -1) {
		if (e.msg[0] == '\0')
			abort();	/* refused without a reason */
		verdict_free(&v);
		return 0;
	}
	if (vclass_name(v.class) == NULL)
		abort();
	for (i = 0; i < v.nparts; i++)
		if (v.parts[i].part == NULL || v.parts[i].type == NULL)
			abort();
	if (verdict_json(&v, &j1) == -1)
		abort();
	if (j1.len == 0 || j1.p[j1.len - 1] != '\n' ||
	    memchr(j1.p, '\n', j1.len - 1) != NULL)
		abort();	/* one line */
	if (verdict_parse(j1.p, j1.len, &w, &e) == -1) {
		fprintf(stderr, "re-read: %s\n%.*s", e.msg, (int)j1.len, j1.p);
		abort();
	}
	same(&v, &w);
	if (verdict_json(&w, &j2) == -1 || j1.len != j2.len ||
	    memcmp(j1.p, j2.p, j1.len) != 0)
		abort();
	buf_free(&j1);
	buf_free(&j2);
	verdict_free(&v);
	verdict_free(&w);
	return 0;
}
