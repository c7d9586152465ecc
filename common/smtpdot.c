/* SMTP dot-stuffing, see smtpdot.h. */
#include <string.h>

#include "smtpdot.h"

size_t
smtp_unstuff(char *p, size_t len)
{
	size_t r = 0, w = 0, n;
	const char *nl;

	while (r < len) {
		/* RFC 5321 4.5.2: the first character of the line is a
		 * period: delete it. */
		if (p[r] == '.')
			r++;
		nl = memchr(p + r, '\n', len - r);
		n = nl ? (size_t)(nl - (p + r)) + 1 : len - r;
		if (w != r)
			memmove(p + w, p + r, n);
		w += n;
		r += n;
	}
	if (w < len)
		p[w] = '\0';
	return w;
}
