/*
 * libFuzzer target for the MIME engine, the transfer decoders and the
 * header parameter code: everything common/scanmsg.c does to a message
 * before libclamav sees the bytes, without libclamav (far too slow for a
 * fuzz loop).  Built by `make fuzz` into build-fuzz/fuzz_mime; run with
 * fuzz/run.sh.  Besides the sanitizers, the checks below abort on broken
 * engine invariants (a span outside the message, a walk that does not end).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "mime.h"
#include "part.h"

/* The largest input looked at (run.sh also passes -max_len). */
#define MAX_INPUT	(1024 * 1024)
/* Encoded message/rfc822 inside encoded message/rfc822: as scanmsg.c. */
#define MAX_NEST	4

/*
 * The readings common/scanmsg.c parses besides the default one; keep in
 * step with its alt[].
 */
static const struct mime_reading readings[] = {
	{ 0 },
	{ .last = 1, .b64_stop = 1 },
	{ .strict_header = 1, .cte_strict = 1 },
	{ .loose_boundary = 1, .name_comments = 1 },
};

static volatile unsigned sink;
/*
 * Header fields go through the same code whatever the reading, so their
 * parameters are taken apart in the first parse only: doing it in all six
 * made the target several times slower for no new paths.
 */
static int with_fields;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_mime: %s:%d: check failed: %s\n", \
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* Read every byte, so ASan sees any result pointing outside its buffer. */
static void
touch(const char *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += (unsigned char)p[i];
	sink += s;
}

static void
touch_str(const char *s)
{
	if (s != NULL)
		touch(s, strlen(s));
}

static int
inside(struct span outer, struct span s)
{
	if (s.len == 0)
		return 1;
	return s.p >= outer.p && s.len <= outer.len &&
	    (size_t)(s.p - outer.p) <= outer.len - s.len;
}

static int
uu_cb(void *arg, const char *name, const char *p, size_t n)
{
	touch_str(name);
	touch(p, n);
	return 0;
}

static int
b64_cb(void *arg, const char *p, size_t n)
{
	touch(p, n);
	return 0;
}

/* What scanmsg.c's scan_flat does with bytes outside any part. */
static void
flat(struct span s)
{
	/* scanmsg.c looks only at spans with something in them. */
	if (s.len == 0)
		return;
	CHECK(uu_blocks(s.p, s.len, uu_cb, NULL) >= 0);
	CHECK(b64_blocks(s.p, s.len, b64_cb, NULL) >= 0);
}

/* Every field of a header block: names, tokens, parameters, words. */
static void
fields(struct span hdr)
{
	static const char *const params[] = {
		"name", "filename", "charset", "boundary",
	};
	struct hdr_field f;
	size_t pos = 0, last = 0;
	int n = 0;

	while (hdr_next(hdr, &pos, &f)) {
		/* Each call makes progress and stays inside the block. */
		CHECK(pos > last || hdr.len == 0);
		CHECK(pos <= hdr.len);
		last = pos;
		CHECK(inside(hdr, f.raw));
		CHECK(inside(hdr, f.name));
		CHECK(inside(hdr, f.value));
		if (++n > 64)
			continue;	/* a bounded share of the time */
		char *u = hdr_unfold(f.value);
		CHECK(u != NULL);
		CHECK(strchr(u, '\n') == NULL && strchr(u, '\r') == NULL);
		char *w = rfc2047_decode(u, strlen(u));
		CHECK(w != NULL);
		touch_str(w);
		free(w);
		free(u);
		char *t = hdr_token(f.value);
		CHECK(t != NULL);
		touch_str(t);
		free(t);
		for (size_t i = 0; i < sizeof(params) / sizeof(params[0]);
		    i++)
			for (int which = 0; which < 2; which++) {
				char *v = hdr_param(f.value, params[i], which);
				touch_str(v);
				free(v);
			}
	}
	if (hdr.len > 0) {
		struct hdr_field g;
		if (hdr_find(hdr, "Content-Type", &g))
			CHECK(inside(hdr, g.value));
		CHECK(hdr_count(hdr, "Content-Type") >= 0);
	}
}

static void parse(const char *, size_t, const struct mime_limits *,
    const struct mime_reading *, int);
static void other(struct mime_part *, struct buf *);

/* scanmsg.c's scan_leaf_other: the other readings of one encoding. */
static void
other(struct mime_part *p, struct buf *d)
{
	struct buf a = { 0 };
	struct errbuf e;
	size_t last;

	CHECK(decode_base64_mode(p->body.p, p->body.len, &a, B64_SKIP) == 0);
	CHECK(a.len <= p->body.len / 4 * 3 + 3);
	a.len = 0;
	if (b64_lines_differ(p->body.p, p->body.len)) {
		CHECK(decode_base64_lines(p->body.p, p->body.len, &a,
		    &last) == 0);
		CHECK(last <= a.len && a.len <= p->body.len);
		CHECK(a.p[a.len] == '\0');
		touch(a.p, a.len);
		a.len = 0;
	}
	if (qp_has_invalid(p->body.p, p->body.len)) {
		CHECK(decode_qp_mode(p->body.p, p->body.len, &a, 1) == 0);
		CHECK(a.len <= p->body.len);
		a.len = 0;
	}
	if (p->cte_alt != NULL) {
		struct mime_part alt = *p;

		CHECK(cte_kind(p->cte_alt) != XFER_UNKNOWN &&
		    !cte_identity(p->cte_alt));
		alt.cte = p->cte_alt;
		CHECK(mime_decode(&alt, &a, &e) == 0);
		a.len = 0;
	}
	if (d->len > 0) {
		CHECK(decode_binhex(d->p, d->len, &a) == 0);
		CHECK(a.len <= d->len * 8 + (1u << 20) + 256);
	}
	buf_free(&a);
}

/* What scanmsg.c's scan_leaf does: decode, look for files inside. */
static void
leaf(struct mime_msg *m, struct mime_part *p, int nest)
{
	struct buf d = { 0 };
	struct errbuf e;

	CHECK(mime_decode(p, &d, &e) == 0);
	if (d.p != NULL) {
		CHECK(d.p[d.len] == '\0');
		touch(d.p, d.len);
	}
	if (strncmp(p->type, "text/", 5) == 0 || p->flags & MP_FLAT) {
		CHECK(uu_blocks(d.p ? d.p : "", d.len, uu_cb, NULL) >= 0);
		CHECK(yenc_blocks(d.p ? d.p : "", d.len, uu_cb, NULL) >= 0);
	}
	other(p, &d);
	if (p->flags & MP_FLAT)
		flat(p->body);
	if (!cte_identity(p->cte) && strcmp(p->cte, "base64") != 0 &&
	    strcmp(p->cte, "quoted-printable") != 0) {
		/* scanmsg.c tries an unknown encoding as both of these. */
		struct buf a = { 0 };
		CHECK(decode_base64(p->body.p, p->body.len, &a) == 0);
		a.len = 0;
		CHECK(decode_qp(p->body.p, p->body.len, &a) == 0);
		buf_free(&a);
	}
	if (with_fields && strncmp(p->type, "text/", 5) == 0 && d.len > 0) {
		/* A bounded slice through the converter (first parse). */
		char *u = charset_to_utf8(p->charset, d.p,
		    d.len < 4096 ? d.len : 4096);
		CHECK(u != NULL);
		touch_str(u);
		free(u);
	}
	/* scanmsg.c's scan_encoded_multipart: header over decoded body. */
	if (strncmp(p->type, "multipart/", 10) == 0 && p->flags & MP_FLAT &&
	    !cte_identity(p->cte) && p->hdr.len > 0 && nest < MAX_NEST) {
		struct buf h = { 0 };

		CHECK(buf_add(&h, p->hdr.p, p->hdr.len) == 0);
		CHECK(buf_add(&h, "\n", 1) == 0);
		CHECK(buf_add(&h, d.p ? d.p : "", d.len) == 0);
		parse(h.p, h.len, NULL, &m->rd, nest + 1);
		buf_free(&h);
	}
	if (part_is_message_type(p->type) && !cte_identity(p->cte) && nest < MAX_NEST)
		parse(d.p ? d.p : "", d.len, NULL, &m->rd, nest + 1);
	buf_free(&d);
}

static void
walk(struct mime_msg *m, int nest)
{
	struct span all = { m->p, m->len };
	size_t n = 0;

	for (struct mime_part *p = m->root; p != NULL;
	    p = mime_walk(m->root, p)) {
		CHECK(++n <= m->nparts);
		CHECK(p->type != NULL && p->cte != NULL);
		CHECK(inside(all, p->raw));
		CHECK(inside(p->raw, p->hdr));
		CHECK(inside(p->raw, p->body) || (p->flags & MP_FLAT));
		CHECK(inside(all, p->body));
		CHECK(inside(all, p->delim));
		CHECK(inside(all, p->preamble));
		CHECK(inside(all, p->epilogue));
		/*
		 * One level deeper than the parent, or the same level for
		 * the message a message/rfc822 part holds, but never twice
		 * in a row (mime.c, new_part): the depth limit must keep
		 * bounding the recursion.
		 */
		CHECK(p->parent == NULL ||
		    p->depth == p->parent->depth + 1 ||
		    (p->depth == p->parent->depth &&
		    (p->parent->parent == NULL ||
		    p->parent->depth != p->parent->parent->depth)));
		touch_str(p->filename);
		touch_str(p->charset);
		touch_str(p->boundary);
		if (with_fields)
			fields(p->hdr);
		if (!mime_is_leaf(p)) {
			CHECK(p->role == ROLE_CONTAINER ||
			    p->role == ROLE_ATTACHMENT);
			flat(p->preamble);
			flat(p->epilogue);
			continue;
		}
		leaf(m, p, nest);
	}
	/* scanmsg.c's scan_unclosed: an unclosed multipart read to the end. */
	if (nest == 0 && m->rd.last == 0) {
		int k = 0;
		for (struct mime_part *p = m->root; p != NULL && k < 2;
		    p = mime_walk(m->root, p))
			if (!mime_is_leaf(p) && p->flags & MP_NOCLOSE &&
			    p->parent != NULL) {
				k++;
				parse(p->raw.p, (size_t)(m->p + m->len -
				    p->raw.p), NULL, &m->rd, MAX_NEST);
			}
	}
	/* Look the last part up by its section number, as mail-strip does. */
	if (n > 0) {
		struct mime_part *p = m->root;
		for (struct mime_part *q = p; q != NULL;
		    q = mime_walk(m->root, q))
			p = q;
		CHECK(mime_find(m, p->id) != NULL);
	}
}

static void
parse(const char *s, size_t len, const struct mime_limits *lim,
    const struct mime_reading *rd, int nest)
{
	struct errbuf e;
	struct mime_msg *m;

	m = mime_parse_reading(s, len, lim, rd, &e);
	CHECK(m != NULL);
	CHECK(m->root != NULL);
	walk(m, nest);
	mime_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small limits, so the flat paths are reached with small inputs. */
	static const struct mime_limits small = { 6, 40, 2048 };
	const char *s = (const char *)data;
	struct buf b = { 0 };

	if (size > MAX_INPUT)
		return 0;
	for (size_t i = 0; i < sizeof(readings) / sizeof(readings[0]); i++) {
		with_fields = i == 0;
		parse(s, size, NULL, &readings[i], 0);
	}
	with_fields = 0;
	parse(s, size, &small, &readings[0], 0);
	/*
	 * One more reading picked by the input's length, so the flag
	 * combinations scanmsg.c does not use are not left untried.
	 */
	{
		unsigned k = (unsigned)size & 63;
		struct mime_reading r = {
			.last = k & 1, .strict_header = (k >> 1) & 1,
			.loose_boundary = (k >> 2) & 1,
			.b64_stop = (k >> 3) & 1, .cte_strict = (k >> 4) & 1,
			.name_comments = (k >> 5) & 1,
		};
		parse(s, size, &small, &r, 0);
	}

	/* The decoders on the raw bytes. */
	CHECK(decode_base64_mode(s, size, &b, 0) == 0);
	CHECK(b.len <= size / 4 * 3 + 3);
	b.len = 0;
	CHECK(decode_base64_mode(s, size, &b, 1) == 0);
	b.len = 0;
	CHECK(decode_qp(s, size, &b) == 0);
	CHECK(b.len <= size);
	b.len = 0;
	CHECK(decode_uu(s, size, &b) == 0);
	b.len = 0;
	CHECK(decode_yenc(s, size, &b) == 0);
	CHECK(b.len <= size);
	b.len = 0;
	CHECK(decode_binhex(s, size, &b) == 0);
	CHECK(b.len <= size * 8 + (1u << 20) + 256);
	b.len = 0;
	{
		size_t last;
		CHECK(decode_base64_lines(s, size, &b, &last) == 0);
		CHECK(last <= b.len && b.len <= size);
	}
	b.len = 0;
	CHECK(decode_qp_mode(s, size, &b, 1) == 0);
	CHECK(b.len <= size);
	buf_free(&b);
	flat((struct span){ s, size });

	/* The input as one header value. */
	{
		struct span v = { s, size < 65536 ? size : 65536 };
		char *w = rfc2047_decode(v.p, v.len);
		CHECK(w != NULL);
		free(w);
		for (int which = 0; which < 2; which++) {
			char *p = hdr_param(v, "filename", which);
			touch_str(p);
			free(p);
		}
		char *all[12];
		int n = hdr_param_all(v, "boundary", all, 12);
		CHECK(n >= 0 && n <= 12);
		for (int i = 0; i < n; i++) {
			CHECK(all[i][0] != '\0');
			touch_str(all[i]);
			free(all[i]);
		}
	}
	return 0;
}
