/*
 * mime-walk: the part of mail-scan that is not libclamav, for bench/run.sh
 * and bench/mime-walk.sh.  Each file is read as mail-scan reads it and
 * taken through one of three walks; nothing is scanned.
 *   (default) scan_message() of common/scanmsg.c, the very code mail-scan
 *	runs, with a scanner that answers "clean" to every buffer without
 *	looking at it: every reading, every decode, copy and hash mail-scan
 *	makes, and nothing else.  -c: as with clamd (mail-scan -c), whose
 *	scanner takes a large part in pieces as it is decoded.
 *   -1	the default reading alone: parsed once, every leaf decoded,
 *	uuencoded files in text too.  What one reading costs.
 *   -a	every reading scanmsg.c parses, each decoding every leaf as -1
 *	does: what the readings would cost if they shared nothing.
 * Prints the number of messages, parts (or buffers) and decoded bytes, so
 * a peer's parse-and-extract time can be set beside the MIME engine's own,
 * and the CPU time of the walks alone (reading the files left out: on a
 * busy machine their page faults vary more than the walks cost) and of
 * the whole process so far, to the microsecond.
 * Not installed.
 */
#include <sys/resource.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mime.h"
#include "scanmsg.h"

/* The readings common/scanmsg.c parses: keep in step with its alt[]. */
static const struct mime_reading readings[] = {
	{ 0 },
	{ .last = 1, .b64_stop = 1 },
	{ .strict_header = 1, .cte_strict = 1 },
	{ .loose_boundary = 1, .name_comments = 1 },
};

static unsigned long long nparts, nbytes;

/*
 * The scanner of scan.h, standing in for libclamav and clamd: the linker
 * takes these and not common/scan.c's.  Buffers count as scanned clean;
 * a streamed one is pulled through to its end, since that is where it is
 * decoded.
 */
struct scanner {
	long tickets;
	int stream;
};

int
scanner_begin(struct scanner *s, struct errbuf *e)
{
	s->tickets = 0;
	return 0;
}

long
scanner_submit(struct scanner *s, const void *p, size_t n, int backstop,
    struct errbuf *e)
{
	if (!backstop) {
		nparts++;
		nbytes += n;
	}
	return s->tickets++;
}

int
scanner_can_stream(const struct scanner *s, size_t max)
{
	return s->stream;
}

long
scanner_submit_stream(struct scanner *s,
    int (*next)(void *, const char **, size_t *, struct errbuf *), void *arg,
    struct errbuf *e)
{
	const char *p;
	size_t n;

	nparts++;
	do {
		if (next(arg, &p, &n, e) == -1)
			return -1;
		nbytes += n;
	} while (n > 0);
	return s->tickets++;
}

int
scanner_wait(struct scanner *s, struct errbuf *e)
{
	return 0;
}

int
scanner_result(const struct scanner *s, long t, const char **virus)
{
	*virus = NULL;
	return 0;
}

int
scanner_retry(struct scanner *s, struct errbuf *e)
{
	return 0;
}

void
scanner_end(struct scanner *s)
{
}

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
	struct scanner sc = { 0 };
	struct timespec t0, t1;
	double cpu = 0;
	size_t nrd = 0;
	unsigned long nmsg = 0;
	int ch;

	while ((ch = getopt(argc, argv, "1ac")) != -1) {
		switch (ch) {
		case '1':
			nrd = 1;
			break;
		case 'a':
			nrd = sizeof(readings) / sizeof(readings[0]);
			break;
		case 'c':
			sc.stream = 1;
			break;
		default:
			fprintf(stderr, "usage: mime-walk [-1 | -a | -c] "
			    "file ...\n");
			return 64;
		}
	}
	for (int i = optind; i < argc; i++) {
		struct buf msg = { 0 };
		struct verdict v;
		struct errbuf e;

		if (read_message(argv[i], &msg, &e) == -1)
			errx(75, "%s", e.msg);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		for (size_t r = 0; r < nrd; r++)
			walk(msg.p ? msg.p : "", msg.len, &readings[r]);
		if (nrd == 0) {
			if (scan_message(&sc, msg.p ? msg.p : "", msg.len,
			    NULL, &v, &e) == -1)
				errx(75, "%s: %s", argv[i], e.msg);
			verdict_free(&v);
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		cpu += (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		message_free(&msg);
		nmsg++;
	}
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		err(70, "getrusage");
	printf("%lu messages, %llu %s, %llu bytes decoded, %.4f s CPU in all,"
	    " %.4f s CPU in the walks\n", nmsg, nparts,
	    nrd ? "parts" : "buffers", nbytes,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, cpu);
	return 0;
}
