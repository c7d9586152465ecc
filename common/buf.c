/* Growable buffers and the error buffer used across common/. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailav.h"

void
errset(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

int
buf_grow(struct buf *b, size_t extra)
{
	size_t need, ncap;
	char *np;

	if (extra > SIZE_MAX - b->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	np = realloc(b->p, ncap);
	if (np == NULL)
		return -1;
	/*
	 * Keep the promise of mailav.h even when nothing is added after the
	 * grow (a decoder that reserves room and finds no data): fuzzing
	 * found empty decoded parts with an unterminated buffer.
	 */
	np[b->len] = '\0';
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_add(b, &ch, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
span_ieq(struct span s, const char *c)
{
	size_t n = strlen(c);

	return s.len == n && strncasecmp(s.p, c, n) == 0;
}

int
span_iprefix(struct span s, const char *c)
{
	size_t n = strlen(c);

	return s.len >= n && strncasecmp(s.p, c, n) == 0;
}
