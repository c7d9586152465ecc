/*
 * decode-speed: the base64 and quoted-printable decoders of common/decode.c
 * on one core, in MB of encoded input a second (issue 16: 1 GB/s or more).
 *
 *	cc -O2 -std=c99 -D_DEFAULT_SOURCE -Icommon -o decode-speed \
 *	    bench/decode-speed.c build/libmailav.a -lunistring
 *	./decode-speed [MiB]
 *
 * Input made here: random bytes as base64 in 76-character CRLF lines (what
 * a mailer writes for an attachment; mailav's compose_base64()), and a
 * quoted-printable text of 76-character lines with soft breaks and an
 * escape every 40 characters.
 * Each is decoded 5 times into a buffer that already has the room (as
 * scanmsg.c reuses one), and the best time is printed.  Not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose.h"
#include "mime.h"

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
best(int (*fn)(const char *, size_t, struct buf *), const char *s, size_t n,
    struct buf *b)
{
	double t, bt = 1e9;

	for (int r = 0; r < 5; r++) {
		b->len = 0;
		t = now();
		if (fn(s, n, b) == -1) {
			fprintf(stderr, "decode-speed: out of memory\n");
			exit(1);
		}
		t = now() - t;
		if (t < bt)
			bt = t;
	}
	return bt;
}

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 50;
	size_t n = mib << 20, k = 0, i;
	unsigned char *raw;
	char *enc, *qp;
	struct buf b = { 0 }, eb = { 0 };
	double t;

	n -= n % 57;
	raw = malloc(n);
	qp = malloc(n);
	if (raw == NULL || qp == NULL)
		return 1;
	srand(1);
	for (i = 0; i < n; i++)
		raw[i] = (unsigned char)(rand() >> 7);
	/* mailav's own encoder (compose.c): 76 characters and CRLF a line */
	if (compose_base64(&eb, raw, n, "\r\n") == -1)
		return 1;
	enc = eb.p;
	k = eb.len;
	for (i = 0; i < n; i++)
		qp[i] = i % 77 == 76 ? '\n' : i % 77 == 75 ? '=' :
		    (char)('a' + i % 26);
	for (i = 40; i + 2 < n; i += 40)
		if (qp[i] != '\n' && qp[i + 1] != '\n' && qp[i + 2] != '\n' &&
		    qp[i - 1] != '=') {
			qp[i] = '=';
			qp[i + 1] = '3';
			qp[i + 2] = 'D';
		}
	t = best(decode_base64, enc, k, &b);
	if (b.len != n || memcmp(b.p, raw, n) != 0) {
		fprintf(stderr, "decode-speed: base64 decoded wrong\n");
		return 1;
	}
	printf("base64\t%zu MiB\t%.3f s\t%.0f MB/s\n", k >> 20, t, k / 1e6 / t);
	t = best(decode_qp, qp, n, &b);
	printf("quoted-printable\t%zu MiB\t%.3f s\t%.0f MB/s\n", n >> 20, t,
	    n / 1e6 / t);
	buf_free(&b);
	free(raw);
	buf_free(&eb);
	free(qp);
	return 0;
}
