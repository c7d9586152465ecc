/*
 * Header fields, MIME parameters and encoded words.  Everything here reads
 * spans of the original message and allocates its results, so the message
 * bytes stay untouched for a rewriter.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uniconv.h>
#include <unistr.h>

#include "hdr.h"
#include "mime.h"

/* Bound on the work done for one parameter list (hostile headers). */
#define MAX_PARAMS	256
#define MAX_SECTIONS	64

static char *decode_words(const char *, size_t, int);
static char *unlabelled_to_utf8(const char *, size_t);

int
hdr_next(struct span hdr, size_t *pos, struct hdr_field *f)
{
	const char *s = hdr.p, *e = hdr.p + hdr.len, *p, *nl, *colon;

	if (*pos >= hdr.len)
		return 0;
	p = s + *pos;
	/* The field runs to the first EOL not followed by folding white space. */
	nl = p;
	for (;;) {
		nl = memchr(nl, '\n', (size_t)(e - nl));
		if (nl == NULL) {
			nl = e;
			break;
		}
		nl++;
		if (nl >= e || (*nl != ' ' && *nl != '\t'))
			break;
	}
	f->raw.p = p;
	f->raw.len = (size_t)(nl - p);
	*pos = (size_t)(nl - s);

	/*
	 * The name ends at the colon.  A first line without one, or a name with
	 * characters RFC 5322 section 3.6.8 does not allow, is not a field;
	 * WSP before the colon is the obsolete syntax of section 4.5.3.
	 */
	colon = NULL;
	for (const char *q = p; q < nl && *q != '\n'; q++) {
		if (*q == ':') {
			colon = q;
			break;
		}
		if ((unsigned char)*q <= ' ' && *q != ' ' && *q != '\t')
			break;
		if ((unsigned char)*q > 126)
			break;
	}
	if (colon == NULL || colon == p) {
		f->name.p = p;
		f->name.len = 0;
		f->value.p = p;
		f->value.len = 0;
		return 1;
	}
	f->name.p = p;
	f->name.len = (size_t)(colon - p);
	while (f->name.len > 0 && (p[f->name.len - 1] == ' ' ||
	    p[f->name.len - 1] == '\t'))
		f->name.len--;
	f->value.p = colon + 1;
	f->value.len = (size_t)(nl - colon - 1);
	/* Drop the final EOL from the value. */
	if (f->value.len > 0 && f->value.p[f->value.len - 1] == '\n')
		f->value.len--;
	if (f->value.len > 0 && f->value.p[f->value.len - 1] == '\r')
		f->value.len--;
	return 1;
}

int
hdr_find(struct span hdr, const char *name, struct hdr_field *f)
{
	size_t pos = 0;

	while (hdr_next(hdr, &pos, f))
		if (f->name.len > 0 && span_ieq(f->name, name))
			return 1;
	return 0;
}

int
hdr_count(struct span hdr, const char *name)
{
	struct hdr_field f;
	size_t pos = 0;
	int n = 0;

	while (hdr_next(hdr, &pos, &f))
		if (f.name.len > 0 && span_ieq(f.name, name))
			n++;
	return n;
}

char *
hdr_unfold(struct span v)
{
	char *out, *o;
	size_t i;

	if ((out = malloc(v.len + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		/* RFC 5322 section 2.2.3: unfolding removes the CRLF only. */
		if (c == '\r' || c == '\n')
			continue;
		/* No control byte may leave here to start or break a line. */
		if (c < ' ' && c != '\t')
			c = ' ';
		if (c == 127)
			c = ' ';
		*o++ = (char)c;
	}
	*o = '\0';
	/* Trim. */
	while (o > out && (o[-1] == ' ' || o[-1] == '\t'))
		*--o = '\0';
	o = out;
	while (*o == ' ' || *o == '\t')
		o++;
	if (o != out)
		memmove(out, o, strlen(o) + 1);
	return out;
}

/* Skip white space and RFC 5322 comments (nested, bounded). */
static const char *
skip_cfws(const char *p, const char *e)
{
	int depth;

	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		if (p >= e || *p != '(')
			return p;
		depth = 0;
		while (p < e) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
			p++;
		}
	}
}

char *
hdr_token(struct span v)
{
	const char *p = v.p, *e = v.p + v.len, *t;
	char *out;
	size_t n, i;

	p = skip_cfws(p, e);
	t = p;
	while (p < e && *p != ';' && *p != ' ' && *p != '\t' && *p != '(' &&
	    *p != '\r' && *p != '\n' && *p != '"')
		p++;
	n = (size_t)(p - t);
	/* "text / plain" with spaces around the slash (seen in the wild). */
	if (p < e && n > 0 && t[n - 1] != '/') {
		const char *q = skip_cfws(p, e);
		if (q < e && *q == '/') {
			/* Rebuild without the white space. */
			const char *r = skip_cfws(q + 1, e), *rs = r;
			while (r < e && *r != ';' && *r != ' ' && *r != '\t' &&
			    *r != '(' && *r != '\r' && *r != '\n')
				r++;
			if ((out = malloc(n + 1 + (size_t)(r - rs) + 1)) == NULL)
				return NULL;
			memcpy(out, t, n);
			out[n] = '/';
			memcpy(out + n + 1, rs, (size_t)(r - rs));
			n = n + 1 + (size_t)(r - rs);
			out[n] = '\0';
			goto lower;
		}
	}
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, t, n);
	out[n] = '\0';
lower:
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return out;
}

/* One attribute=value pair of a parameter list. */
struct param {
	const char *attr;
	size_t alen;
	char *val;		/* unquoted, malloc */
	size_t vlen;
	const char *rawv;	/* the value as written, quotes left out */
	size_t rawlen;
	int quoted;
};

/*
 * Split "type/sub; a=b; c="d"" into pairs.  Lenient: values may be bare
 * words with junk, quoted strings may be unterminated, white space may
 * surround '='.  Returns the number of pairs or -1 on ENOMEM.
 */
static int
split_params(const char *p, const char *e, struct param *ps, int max)
{
	int n = 0;

	/* Skip the type, honouring quotes (a ';' inside is not a separator). */
	while (p < e && *p != ';') {
		if (*p == '"') {
			p++;
			while (p < e && *p != '"') {
				if (*p == '\\' && p + 1 < e)
					p++;
				p++;
			}
		}
		if (p < e)
			p++;
	}
	while (p < e && n < max) {
		const char *a, *ae;
		struct buf v = { 0 };

		if (*p == ';')
			p++;
		p = skip_cfws(p, e);
		a = p;
		while (p < e && *p != '=' && *p != ';' && *p != ' ' &&
		    *p != '\t' && *p != '(' && *p != '"')
			p++;
		ae = p;
		p = skip_cfws(p, e);
		if (p >= e || *p != '=') {
			/* Not a pair: skip to the next ';'. */
			while (p < e && *p != ';')
				p++;
			continue;
		}
		p = skip_cfws(p + 1, e);
		ps[n].quoted = p < e && *p == '"';
		ps[n].rawv = p + ps[n].quoted;
		if (p < e && *p == '"') {
			p++;
			while (p < e && *p != '"') {
				if (*p == '\\' && p + 1 < e)
					p++;
				if (*p != '\r' && *p != '\n' &&
				    buf_addc(&v, *p) == -1)
					goto nomem;
				p++;
			}
			ps[n].rawlen = (size_t)(p - ps[n].rawv);
			if (p < e)
				p++;
			while (p < e && *p != ';')
				p++;
		} else {
			const char *vs = p;
			while (p < e && *p != ';')
				p++;
			/* Trim trailing white space and a trailing comment. */
			const char *ve = p;
			while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t' ||
			    ve[-1] == '\r' || ve[-1] == '\n'))
				ve--;
			if (buf_add(&v, vs, (size_t)(ve - vs)) == -1)
				goto nomem;
			ps[n].rawlen = (size_t)(ve - vs);
		}
		if (ae == a) {
			buf_free(&v);
			continue;
		}
		if (v.p == NULL && buf_add(&v, "", 0) == -1)
			goto nomem;
		ps[n].attr = a;
		ps[n].alen = (size_t)(ae - a);
		ps[n].val = v.p;
		ps[n].vlen = v.len;
		n++;
		continue;
nomem:
		buf_free(&v);
		for (int i = 0; i < n; i++)
			free(ps[i].val);
		return -1;
	}
	return n;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Octets escaped as <esc>XX: RFC 2231 section 4 ('%') and the RFC 2047
 * "Q" encoding ('=', where '_' is also a space, section 4.2).  A malformed
 * escape is kept as it stands.
 */
static int
hex_unescape(const char *s, size_t n, int esc, int underscore,
    struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int h, l, r;

		if (s[i] == esc && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			r = buf_addc(out, h * 16 + l);
			i += 2;
		} else
			r = buf_addc(out, underscore && s[i] == '_' ? ' ' :
			    s[i]);
		if (r == -1)
			return -1;
	}
	return 0;
}

static int
pct_decode(const char *s, size_t n, struct buf *out)
{
	return hex_unescape(s, n, '%', 0, out);
}

char *
hdr_param(struct span value, const char *name, int which)
{
	struct param ps[MAX_PARAMS];
	struct span sec[MAX_SECTIONS];
	int secext[MAX_SECTIONS];
	char *unf, *res = NULL;
	size_t nlen = strlen(name);
	int n, i, plain = -1, ext = -1, nsec = 0;
	char charset[64] = "";

	if ((unf = hdr_unfold(value)) == NULL)
		return NULL;
	n = split_params(unf, unf + strlen(unf), ps, MAX_PARAMS);
	if (n < 0) {
		free(unf);
		return NULL;
	}
	memset(sec, 0, sizeof(sec));
	memset(secext, 0, sizeof(secext));
	for (i = 0; i < n; i++) {
		const char *a = ps[i].attr;
		size_t al = ps[i].alen;

		if (al < nlen || strncasecmp(a, name, nlen) != 0)
			continue;
		if (al == nlen) {
			if (plain == -1 || which == 1)
				plain = i;
		} else if (a[nlen] == '*' && al == nlen + 1) {
			if (ext == -1 || which == 1)
				ext = i;
		} else if (a[nlen] == '*' && isdigit((unsigned char)a[nlen + 1])) {
			/* name*N or name*N*: a continuation (section 3). */
			long k = strtol(a + nlen + 1, NULL, 10);
			int star = a[al - 1] == '*';

			if (k >= 0 && k < MAX_SECTIONS &&
			    (sec[k].p == NULL || which == 1)) {
				sec[k].p = ps[i].val;
				sec[k].len = ps[i].vlen;
				secext[k] = star;
				if (k + 1 > nsec)
					nsec = (int)k + 1;
			}
		}
	}

	if (ext >= 0 || (nsec > 0 && sec[0].p != NULL)) {
		/* RFC 2231: charset'language'octets, then continuations. */
		struct buf raw = { 0 };
		const char *v;
		size_t vl;
		int first_ext;

		if (ext >= 0) {
			v = ps[ext].val;
			vl = ps[ext].vlen;
			first_ext = 1;
		} else {
			v = sec[0].p;
			vl = sec[0].len;
			first_ext = secext[0];
		}
		if (first_ext) {
			const char *q1 = memchr(v, '\'', vl), *q2;
			if (q1 != NULL &&
			    (q2 = memchr(q1 + 1, '\'', vl - (size_t)(q1 + 1 - v)))
			    != NULL) {
				size_t cl = (size_t)(q1 - v);
				if (cl >= sizeof(charset))
					cl = sizeof(charset) - 1;
				memcpy(charset, v, cl);
				charset[cl] = '\0';
				vl -= (size_t)(q2 + 1 - v);
				v = q2 + 1;
			}
			if (pct_decode(v, vl, &raw) == -1)
				goto out;
		} else if (buf_add(&raw, v, vl) == -1)
			goto out;
		if (ext < 0) {
			for (i = 1; i < nsec && sec[i].p != NULL; i++) {
				int r = secext[i] ?
				    pct_decode(sec[i].p, sec[i].len, &raw) :
				    buf_add(&raw, sec[i].p, sec[i].len);
				if (r == -1) {
					buf_free(&raw);
					goto out;
				}
			}
		}
		if (raw.p == NULL && buf_add(&raw, "", 0) == -1)
			goto out;
		if (charset[0] != '\0')
			res = charset_to_utf8(charset, raw.p, raw.len);
		else
			res = unlabelled_to_utf8(raw.p, raw.len);
		buf_free(&raw);
	} else if (plain >= 0) {
		/* Not allowed by RFC 2047 section 5, yet what mailers send. */
		res = decode_words(ps[plain].val, ps[plain].vlen, 1);
	}
out:
	for (i = 0; i < n; i++)
		free(ps[i].val);
	free(unf);
	return res;
}

/* Is attribute a, with backslashes and (comments) left out, name? */
static int
attr_is_loosely(const char *a, size_t al, const char *name)
{
	size_t j = 0, nl = strlen(name);
	int depth = 0;

	for (size_t i = 0; i < al; i++) {
		if (a[i] == '(')
			depth++;
		else if (a[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && a[i] != '\\') {
			if (j >= nl || tolower((unsigned char)a[i]) != name[j])
				return 0;
			j++;
		}
	}
	return j == nl;
}

/* Add the n bytes at s to the list unless empty or there already. */
static int
add_variant(char **out, int *k, int max, const char *s, size_t n)
{
	char *d;

	if (s == NULL || n == 0 || *k >= max)
		return 0;
	for (int i = 0; i < *k; i++)
		if (strlen(out[i]) == n && memcmp(out[i], s, n) == 0)
			return 0;
	if ((d = malloc(n + 1)) == NULL)
		return -1;
	memcpy(d, s, n);
	d[n] = '\0';
	out[(*k)++] = d;
	return 0;
}

/*
 * The readings of one bare or quoted value: as the parser unquotes it;
 * as written (backslashes kept); trimmed; without (comments); up to its
 * first white space; without any white space (a fold inside the value).
 */
static int
value_variants(const struct param *pp, char **out, int *k, int max)
{
	const char *v = pp->val, *e = v + pp->vlen, *q;
	struct buf b = { 0 };
	int r = 0;

	if (add_variant(out, k, max, v, pp->vlen) == -1 ||
	    add_variant(out, k, max, pp->rawv, pp->rawlen) == -1)
		return -1;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (add_variant(out, k, max, v, (size_t)(e - v)) == -1)
		return -1;
	for (q = v; q < e && *q != ' ' && *q != '\t' && *q != '('; q++)
		;
	if (add_variant(out, k, max, v, (size_t)(q - v)) == -1)
		return -1;
	for (int pass = 0; pass < 2 && r == 0; pass++) {
		int depth = 0;

		b.len = 0;
		for (q = v; q < e && r == 0; q++) {
			if (pass == 0 && *q == '(')
				depth++;
			else if (pass == 0 && *q == ')' && depth > 0)
				depth--;
			else if (depth == 0 && (pass == 0 ||
			    (*q != ' ' && *q != '\t')))
				r = buf_addc(&b, *q);
		}
		if (r == 0 && b.len > 0) {
			const char *t = b.p, *te = b.p + b.len;

			while (t < te && (*t == ' ' || *t == '\t'))
				t++;
			while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
				te--;
			r = add_variant(out, k, max, t, (size_t)(te - t));
		}
	}
	buf_free(&b);
	return r;
}

int
hdr_param_all(struct span value, const char *name, char **out, int max)
{
	struct param ps[MAX_PARAMS];
	char *unf, *v;
	int n, k = 0, r = 0;

	if ((unf = hdr_unfold(value)) == NULL)
		return -1;
	n = split_params(unf, unf + strlen(unf), ps, MAX_PARAMS);
	if (n < 0) {
		free(unf);
		return -1;
	}
	/* RFC 2231 and RFC 2047 decoded, the first and the last. */
	for (int which = 0; which < 2 && r == 0; which++) {
		if ((v = hdr_param(value, name, which)) != NULL) {
			r = add_variant(out, &k, max, v, strlen(v));
			free(v);
		}
	}
	for (int i = 0; i < n && r == 0; i++)
		if (attr_is_loosely(ps[i].attr, ps[i].alen, name))
			r = value_variants(&ps[i], out, &k, max);
	for (int i = 0; i < n; i++)
		free(ps[i].val);
	free(unf);
	if (r == -1) {
		while (k > 0)
			free(out[--k]);
		return -1;
	}
	return k;
}

/* Valid UTF-8 is kept; every other byte becomes \xNN, visible, not lost. */
static int
utf8_escape(const char *s, size_t n, struct buf *out)
{
	const uint8_t *p = (const uint8_t *)s, *e = p + n;

	while (p < e) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, p, (size_t)(e - p));

		if (l > 0 && uc != 0) {
			if (buf_add(out, p, (size_t)l) == -1)
				return -1;
			p += l;
		} else {
			if (buf_printf(out, "\\x%02X", *p) == -1)
				return -1;
			p++;
		}
	}
	return 0;
}

/* Names mail uses that iconv(3) does not know, or knows under another. */
static const char *
charset_alias(const char *cs)
{
	static const struct {
		const char *from, *to;
	} al[] = {
		{ "x-sjis", "SHIFT_JIS" }, { "shift-jis", "SHIFT_JIS" },
		{ "sjis", "SHIFT_JIS" }, { "x-euc-jp", "EUC-JP" },
		{ "ks_c_5601-1987", "CP949" }, { "gb2312", "GB18030" },
		{ "gbk", "GB18030" }, { "x-gbk", "GB18030" },
		{ "utf8", "UTF-8" }, { "x-unicode-2-0-utf-8", "UTF-8" },
		{ "iso-8859-8-i", "ISO-8859-8" }, { "cp-850", "CP850" },
		{ "windows-874", "CP874" }, { "ansi_x3.4-1968", "ASCII" },
	};

	for (size_t i = 0; i < sizeof(al) / sizeof(al[0]); i++)
		if (strcasecmp(cs, al[i].from) == 0)
			return al[i].to;
	return cs;
}

static int
is_utf8_name(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "us-ascii") == 0
	    || strcasecmp(cs, "ascii") == 0 || strcasecmp(cs, "utf8") == 0;
}

static int
conv_append(const char *charset, const char *s, size_t n, struct buf *out)
{
	const char *cs;
	uint8_t *u;
	size_t ul = 0;

	if (n == 0)
		return 0;
	if (charset == NULL || *charset == '\0' || is_utf8_name(charset))
		return utf8_escape(s, n, out);
	/* A pure ASCII run needs no converter (and ISO-2022-JP is ASCII). */
	cs = charset_alias(charset);
	u = u8_conv_from_encoding(cs, iconveh_error, s, n, NULL, NULL, &ul);
	if (u == NULL) {
		if (errno == ENOMEM)
			return -1;
		/* Unknown charset or bad bytes: keep them visible instead. */
		return utf8_escape(s, n, out);
	}
	/* The converter's output is UTF-8 but may contain U+0000. */
	int r = utf8_escape((const char *)u, ul, out);
	free(u);
	return r;
}

/* The C string in b after an append that returned r; NULL on ENOMEM. */
static char *
buf_cstring(int r, struct buf *b)
{
	if (r == -1 || buf_add(b, "", 0) == -1) {
		buf_free(b);
		return NULL;
	}
	return b->p;
}

char *
charset_to_utf8(const char *charset, const char *s, size_t n)
{
	struct buf b = { 0 };

	return buf_cstring(conv_append(charset, s, n, &b), &b);
}

/*
 * Unlabelled 8-bit text of a parameter.  RFC 2045 section 5.1 allows only
 * ASCII there (RFC 2231 and RFC 2047 are the labelled ways), yet Japanese
 * mailers put filenames in raw Shift_JIS (on Windows: CP932) or EUC-JP,
 * and mailav serves a Japanese service.  Valid UTF-8 is taken as it is.
 * Otherwise the bytes are converted strictly from CP932 and from EUC-JP,
 * and a reading counts only when every byte converts and it holds no C1
 * control or private-use character (CP932 maps its user-defined area
 * there: no name a reader could type).  When both count, the one with
 * fewer halfwidth katakana (U+FF61..U+FF9F) wins and a tie goes to CP932:
 * every byte of an EUC-JP name (A1..FE) is a halfwidth katakana when read
 * as single Shift_JIS bytes, which names rarely use, and raw 8-bit names
 * come mostly from Windows mailers.  When neither counts the bytes stay
 * visible as \xNN.  Documented in mailav(7).
 */
static int
jp_reading(const char *cs, const char *s, size_t n, uint8_t **u, size_t *ul,
    size_t *kana)
{
	const uint8_t *p, *e;
	ucs4_t uc;
	int l;

	*ul = 0;
	*u = u8_conv_from_encoding(cs, iconveh_error, s, n, NULL, NULL, ul);
	if (*u == NULL)
		return errno == ENOMEM ? -1 : 0;
	*kana = 0;
	for (p = *u, e = *u + *ul; p < e; p += l) {
		if ((l = u8_mbtouc(&uc, p, (size_t)(e - p))) < 1)
			l = 1;
		if ((uc >= 0x80 && uc <= 0x9f) ||
		    (uc >= 0xe000 && uc <= 0xf8ff)) {
			free(*u);
			*u = NULL;
			return 0;
		}
		if (uc >= 0xff61 && uc <= 0xff9f)
			(*kana)++;
	}
	return 1;
}

static int
unlabelled_append(const char *s, size_t n, struct buf *out)
{
	uint8_t *sj = NULL, *ej = NULL;
	size_t sjl, ejl, sjk = 0, ejk = 0;
	int r, rs, re;

	if (n == 0 || u8_check((const uint8_t *)s, n) == NULL)
		return utf8_escape(s, n, out);
	if ((rs = jp_reading("CP932", s, n, &sj, &sjl, &sjk)) == -1)
		return -1;
	if ((re = jp_reading("EUC-JP", s, n, &ej, &ejl, &ejk)) == -1) {
		free(sj);
		return -1;
	}
	if (rs == 1 && (re == 0 || sjk <= ejk))
		r = utf8_escape((const char *)sj, sjl, out);
	else if (re == 1)
		r = utf8_escape((const char *)ej, ejl, out);
	else
		r = utf8_escape(s, n, out);
	free(sj);
	free(ej);
	return r;
}

/*
 * Parse one RFC 2047 encoded word at p: "=?charset?X?text?=".  On success
 * returns a pointer past it and fills the pieces; NULL when it is not one.
 */
static const char *
parse_word(const char *p, const char *e, struct span *cs, int *enc,
    struct span *text)
{
	const char *q, *r, *end;

	if (e - p < 8 || p[0] != '=' || p[1] != '?')
		return NULL;
	q = memchr(p + 2, '?', (size_t)(e - p - 2));
	if (q == NULL || q == p + 2 || e - q < 4 || q[2] != '?')
		return NULL;
	if (q[1] != 'B' && q[1] != 'b' && q[1] != 'Q' && q[1] != 'q')
		return NULL;
	r = q + 3;
	end = NULL;
	for (const char *t = r; t + 1 < e; t++) {
		if (t[0] == '?' && t[1] == '=') {
			end = t;
			break;
		}
		/* Encoded words contain no white space (section 5). */
		if (*t == ' ' || *t == '\t')
			break;
	}
	if (end == NULL)
		return NULL;
	cs->p = p + 2;
	cs->len = (size_t)(q - p - 2);
	/* RFC 2231 section 5: charset*language. */
	const char *star = memchr(cs->p, '*', cs->len);
	if (star != NULL)
		cs->len = (size_t)(star - cs->p);
	*enc = (q[1] == 'B' || q[1] == 'b') ? 'B' : 'Q';
	text->p = r;
	text->len = (size_t)(end - r);
	return end + 2;
}

static int
decode_q(const char *s, size_t n, struct buf *out)
{
	return hex_unescape(s, n, '=', 1, out);
}

static char *
unlabelled_to_utf8(const char *s, size_t n)
{
	struct buf b = { 0 };

	return buf_cstring(unlabelled_append(s, n, &b), &b);
}

/*
 * Literal text between (or without) encoded words: unlabelled, so raw
 * 8-bit bytes are kept as \xNN, or with guess read as a parameter's
 * (unlabelled_append).
 */
static int
literal_append(const char *s, size_t n, int guess, struct buf *out)
{
	return guess ? unlabelled_append(s, n, out) :
	    conv_append(NULL, s, n, out);
}

static char *
decode_words(const char *s, size_t n, int guess)
{
	struct buf out = { 0 }, run = { 0 };
	const char *p = s, *e = s + n, *lit = s, *after_word = NULL;
	char runcs[64] = "";

	while (p < e) {
		struct span cs, text;
		int enc;
		const char *nx;

		if (p[0] != '=' || p + 1 >= e || p[1] != '?' ||
		    (nx = parse_word(p, e, &cs, &enc, &text)) == NULL) {
			p++;
			continue;
		}
		/*
		 * Literal text before this word.  White space between two
		 * encoded words is dropped (section 6.2).
		 */
		int only_ws = after_word != NULL && lit == after_word;
		for (const char *t = lit; only_ws && t < p; t++)
			if (*t != ' ' && *t != '\t')
				only_ws = 0;
		char csname[64];
		size_t cl = cs.len < sizeof(csname) - 1 ? cs.len :
		    sizeof(csname) - 1;
		memcpy(csname, cs.p, cl);
		csname[cl] = '\0';
		if (!only_ws || strcasecmp(csname, runcs) != 0) {
			/* Flush the pending run of same-charset words. */
			if (conv_append(runcs, run.p, run.len, &out) == -1)
				goto nomem;
			run.len = 0;
			if (!only_ws && literal_append(lit,
			    (size_t)(p - lit), guess, &out) == -1)
				goto nomem;
			memcpy(runcs, csname, cl + 1);
		}
		/*
		 * Words of one charset are joined before conversion: a
		 * multibyte character may be split across two words.
		 */
		if ((enc == 'B' ? decode_base64(text.p, text.len, &run) :
		    decode_q(text.p, text.len, &run)) == -1)
			goto nomem;
		p = lit = after_word = nx;
	}
	if (conv_append(runcs, run.p, run.len, &out) == -1 ||
	    literal_append(lit, (size_t)(e - lit), guess, &out) == -1 ||
	    buf_add(&out, "", 0) == -1)
		goto nomem;
	buf_free(&run);
	return out.p;
nomem:
	buf_free(&run);
	buf_free(&out);
	return NULL;
}

char *
rfc2047_decode(const char *s, size_t n)
{
	return decode_words(s, n, 0);
}
