/* Shared text rules (text.h). */
#include <stdlib.h>
#include <string.h>

#include "text.h"

int
text_list_add(struct buf *b, const char *v)
{
	const char *s;
	size_t n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strlen(v);
	/* a whole name: after the start or ", ", before "," or the end */
	for (s = b->p; s != NULL && (s = strstr(s, v)) != NULL; s += n)
		if ((s == b->p || (s - b->p >= 2 && s[-2] == ',' &&
		    s[-1] == ' ')) && (s[n] == ',' || s[n] == '\0'))
			return 0;
	if ((b->len > 0 && buf_adds(b, ", ") == -1) || buf_adds(b, v) == -1)
		return -1;
	return 0;
}

int
text_list_merge(struct buf *b, const char *list)
{
	char *copy, *s, *t;
	int r = 0;

	if (list == NULL)
		return 0;
	if ((copy = strdup(list)) == NULL)
		return -1;
	for (s = copy; s != NULL && r == 0; s = t) {
		if ((t = strstr(s, ", ")) != NULL) {
			*t = '\0';
			t += 2;
		}
		r = text_list_add(b, s);
	}
	free(copy);
	return r;
}

const char *
text_locale_lang(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v;
	size_t i;

	for (i = 0; i < 3; i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return strncmp(v, "ja", 2) == 0 ? "ja" : "en";
	return "en";
}

/* The code point of the UTF-8 sequence at p (n bytes), or -1 if invalid. */
static long
utf8_at(const unsigned char *p, int *n)
{
	unsigned long cp;
	int i;

	if (*p < 0x80) {
		*n = 1;
		return *p;
	} else if (*p >= 0xc2 && *p <= 0xdf) {
		cp = *p & 0x1f;
		*n = 2;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		cp = *p & 0x0f;
		*n = 3;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		cp = *p & 0x07;
		*n = 4;
	} else
		return -1;
	for (i = 1; i < *n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF. */
	if ((*n == 3 && cp < 0x800) || (*n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	return (long)cp;
}

int
text_show(struct buf *o, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = o->len;
	long cp;
	int n, r;

	/* Never NULL afterwards, even for "". */
	if (buf_add(o, "", 0) == -1)
		return -1;
	while (*p != '\0') {
		if (o->len - start > max)
			return buf_adds(o, "...");
		if ((cp = utf8_at(p, &n)) == -1) {
			r = buf_printf(o, "\\x%02X", *p);
			n = 1;
		} else if (cp < 0x20 || cp == 0x7f)
			r = buf_printf(o, "\\x%02lX", (unsigned long)cp);
		else if ((cp >= 0x80 && cp <= 0x9f) ||
		    (cp >= 0x200e && cp <= 0x200f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			r = buf_printf(o, "<U+%04lX>", (unsigned long)cp);
		else
			r = buf_add(o, p, (size_t)n);
		if (r == -1)
			return -1;
		p += n;
	}
	return 0;
}
