/*
 * mime-walk: the part of mail-scan that is not libclamav, for bench/run.sh.
 * Each file is read, parsed in every reading mail-scan uses (or only the
 * default one with -1), and every leaf is decoded, uuencoded files in text
 * included; nothing is scanned.  Prints the number of messages, parts and
 * decoded bytes, so a peer's parse-and-extract time can be set beside the
 * MIME engine's own.  Not installed.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"

/* The readings common/scanmsg.c parses: keep in step with its alt[]. */
static const struct mime_reading readings[] = {
	{ 0 },
	{ .last = 1, .b64_stop = 1 },
	{ .strict_header = 1, .cte_strict = 1 },
	{ .loose_boundary = 1, .name_comments = 1 },
};

static unsigned long long nparts, nbytes;

static int
uu_cb(void *arg, const char *name, const char *p, size_t n)
{
	nbytes += n;
	return 0;
}

static void
walk(const char *s, size_t len, const struct mime_reading *rd)
{
	struct errbuf e;
	struct mime_msg *m;
	struct buf d = { 0 };

	if ((m = mime_parse_reading(s, len, NULL, rd, &e)) == NULL)
		errx(75, "%s", e.msg);
	for (struct mime_part *p = m->root; p != NULL;
	    p = mime_walk(m->root, p)) {
		if (!mime_is_leaf(p))
			continue;
		d.len = 0;
		if (mime_decode(p, &d, &e) == -1)
			errx(75, "%s", e.msg);
		nparts++;
		nbytes += d.len;
		if ((strncmp(p->type, "text/", 5) == 0 ||
		    p->flags & MP_FLAT) && d.len > 0 &&
		    uu_blocks(d.p, d.len, uu_cb, NULL) == -1)
			errx(75, "out of memory");
	}
	buf_free(&d);
	mime_free(m);
}

int
main(int argc, char *argv[])
{
	size_t nrd = sizeof(readings) / sizeof(readings[0]);
	unsigned long nmsg = 0;
	int ch;

	while ((ch = getopt(argc, argv, "1")) != -1) {
		switch (ch) {
		case '1':
			nrd = 1;
			break;
		default:
			fprintf(stderr, "usage: mime-walk [-1] file ...\n");
			return 64;
		}
	}
	for (int i = optind; i < argc; i++) {
		struct buf msg = { 0 };
		struct errbuf e;

		if (read_file(argv[i], &msg, 0, &e) == -1)
			errx(75, "%s", e.msg);
		for (size_t r = 0; r < nrd; r++)
			walk(msg.p ? msg.p : "", msg.len, &readings[r]);
		buf_free(&msg);
		nmsg++;
	}
	printf("%lu messages, %llu parts, %llu bytes decoded\n", nmsg,
	    nparts, nbytes);
	return 0;
}
