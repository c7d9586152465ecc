/*
 * The one template dialect of mailav (tmpl.h): mail-notify's notices and
 * mail-strip's removed*.txt.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistr.h>

#include "tmpl.h"

static int
is_namechar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Line number of offset off in text, counting from line0. */
static int
line_of(const char *text, size_t off, int line0)
{
	size_t i;
	int l = line0;

	for (i = 0; i < off; i++)
		if (text[i] == '\n')
			l++;
	return l;
}

/* Check {placeholder} syntax; vars NULL = syntax only. */
static int
fill(struct buf *out, const char *text, const struct tmpl_var *vars,
    size_t nvars, const char *where, int line0, struct errbuf *e)
{
	size_t i, j, k;

	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == '{' && text[i + 1] == '{') {
			if (out != NULL && buf_addc(out, '{') == -1)
				goto nomem;
			i++;
			continue;
		}
		if (text[i] == '}' && text[i + 1] == '}') {
			if (out != NULL && buf_addc(out, '}') == -1)
				goto nomem;
			i++;
			continue;
		}
		if (text[i] == '}') {
			errset(e, "%s%s%d: a lone `}' (write `}}' for a "
			    "brace)", where, line0 ? ":" : " line ",
			    line_of(text, i, line0 ? line0 : 1));
			return -1;
		}
		if (text[i] != '{') {
			if (out != NULL && buf_addc(out, text[i]) == -1)
				goto nomem;
			continue;
		}
		for (j = i + 1; is_namechar((unsigned char)text[j]); j++)
			;
		if (text[j] != '}' || j == i + 1) {
			errset(e, "%s%s%d: `{' does not start a {name} "
			    "placeholder (write `{{' for a brace)", where,
			    line0 ? ":" : " line ",
			    line_of(text, i, line0 ? line0 : 1));
			return -1;
		}
		if (vars != NULL) {
			for (k = 0; k < nvars; k++)
				if (strlen(vars[k].name) == j - i - 1 &&
				    strncmp(vars[k].name, text + i + 1,
				    j - i - 1) == 0)
					break;
			if (k == nvars) {
				errset(e, "%s%s%d: unknown placeholder "
				    "{%.*s}", where, line0 ? ":" : " line ",
				    line_of(text, i, line0 ? line0 : 1),
				    (int)(j - i - 1), text + i + 1);
				return -1;
			}
			if (out != NULL && vars[k].value != NULL &&
			    buf_adds(out, vars[k].value) == -1)
				goto nomem;
		}
		i = j;
	}
	return 0;
nomem:
	errset(e, "%s: out of memory", where);
	return -1;
}

int
tmpl_fill(struct buf *out, const char *text, const struct tmpl_var *vars,
    size_t nvars, const char *where, int line, struct errbuf *e)
{
	return fill(out, text, vars, nvars, where, line, e);
}

static int
dir_allowed(const char *name, const char *const *allowed)
{
	size_t n;

	for (; *allowed != NULL; allowed++) {
		n = strlen(*allowed);
		if (n > 0 && (*allowed)[n - 1] == '-') {
			if (strncasecmp(name, *allowed, n) == 0 &&
			    name[n] != '\0')
				return 1;
		} else if (strcasecmp(name, *allowed) == 0)
			return 1;
	}
	return 0;
}

static int
tmpl_add(struct tmpl *t, const char *name, size_t nn, const char *v,
    size_t vn)
{
	struct tmpl_dir *nd;

	nd = realloc(t->dir, (t->ndir + 1) * sizeof(*nd));
	if (nd == NULL)
		return -1;
	t->dir = nd;
	nd = &t->dir[t->ndir];
	nd->name = strndup(name, nn);
	nd->value = strndup(v, vn);
	if (nd->name == NULL || nd->value == NULL) {
		free(nd->name);
		free(nd->value);
		return -1;
	}
	t->ndir++;
	return 0;
}

int
tmpl_load(const char *path, const char *const *allowed, struct tmpl *t,
    struct errbuf *e)
{
	struct buf b = { 0 }, v = { 0 };
	const uint8_t *bad;
	const char *p, *eol, *c;
	size_t i;
	int line = 0, body_line = 0;
	char where[600];

	memset(t, 0, sizeof(*t));
	if (read_file(path, &b, 256 * 1024, e) == -1)
		return -1;
	if ((t->path = strdup(path)) == NULL)
		goto nomem;
	if (memchr(b.p, '\0', b.len) != NULL) {
		errset(e, "%s: template holds a NUL byte", path);
		goto fail;
	}
	if ((bad = u8_check((const uint8_t *)b.p, b.len)) != NULL) {
		errset(e, "%s:%d: template is not valid UTF-8", path,
		    line_of(b.p, (size_t)((const char *)bad - b.p), 1));
		goto fail;
	}
	p = b.p;
	if (b.len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* a byte order mark some editors add */
	for (;;) {
		line++;
		if (*p == '\0') {
			errset(e, "%s: no blank line between the directives "
			    "and the body", path);
			goto fail;
		}
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		i = (size_t)(eol - p);
		if (i > 0 && p[i - 1] == '\r')
			i--;
		if (i == 0) {
			body_line = line + 1;
			p = *eol ? eol + 1 : eol;
			break;
		}
		if (*p == '#') {
			p = *eol ? eol + 1 : eol;
			continue;
		}
		if ((*p == ' ' || *p == '\t') && t->ndir > 0) {
			/* continuation of the previous directive */
			struct tmpl_dir *d = &t->dir[t->ndir - 1];

			v.len = 0;
			for (c = p; c < p + i && (*c == ' ' || *c == '\t'); c++)
				;
			if (buf_adds(&v, d->value) == -1 ||
			    buf_addc(&v, ' ') == -1 ||
			    buf_add(&v, c, i - (size_t)(c - p)) == -1)
				goto nomem;
			free(d->value);
			if ((d->value = strdup(v.p)) == NULL)
				goto nomem;
			p = *eol ? eol + 1 : eol;
			continue;
		}
		for (c = p; c < p + i && is_namechar((unsigned char)*c); c++)
			;
		if (c == p || c == p + i || *c != ':') {
			errset(e, "%s:%d: expected `Name: text', a `#' comment "
			    "or the blank line before the body", path, line);
			goto fail;
		}
		if (tmpl_add(t, p, (size_t)(c - p), "", 0) == -1)
			goto nomem;
		if (!dir_allowed(t->dir[t->ndir - 1].name, allowed)) {
			errset(e, "%s:%d: unknown directive `%s'", path, line,
			    t->dir[t->ndir - 1].name);
			goto fail;
		}
		/* one blank after the colon; more are the text's indent */
		c++;
		if (c < p + i && (*c == ' ' || *c == '\t'))
			c++;
		free(t->dir[t->ndir - 1].value);
		t->dir[t->ndir - 1].value = strndup(c, i - (size_t)(c - p));
		if (t->dir[t->ndir - 1].value == NULL)
			goto nomem;
		p = *eol ? eol + 1 : eol;
	}
	for (i = 0; i < t->ndir; i++) {
		snprintf(where, sizeof(where), "%s (%s)", path,
		    t->dir[i].name);
		if (fill(NULL, t->dir[i].value, NULL, 0, where, 0, e) == -1)
			goto fail;
	}
	if (tmpl_get(t, "Subject") == NULL) {
		errset(e, "%s: no `Subject:' directive", path);
		goto fail;
	}
	if ((t->body = strdup(p)) == NULL)
		goto nomem;
	if (fill(NULL, t->body, NULL, 0, path, body_line, e) == -1)
		goto fail;
	for (c = t->body; *c == '\n' || *c == '\r' || *c == ' '; c++)
		;
	if (*c == '\0') {
		errset(e, "%s: the body is empty", path);
		goto fail;
	}
	t->body_line = body_line;
	buf_free(&b);
	buf_free(&v);
	return 0;
nomem:
	errset(e, "%s: out of memory", path);
fail:
	buf_free(&b);
	buf_free(&v);
	tmpl_free(t);
	return -1;
}

const char *
tmpl_get(const struct tmpl *t, const char *name)
{
	size_t i;

	for (i = t->ndir; i > 0; i--)
		if (strcasecmp(t->dir[i - 1].name, name) == 0)
			return t->dir[i - 1].value;
	return NULL;
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	for (i = 0; i < t->ndir; i++) {
		free(t->dir[i].name);
		free(t->dir[i].value);
	}
	free(t->dir);
	free(t->path);
	free(t->body);
	memset(t, 0, sizeof(*t));
}

int
tmpl_check(const char *text, const char *const *names, const char *where,
    int line, struct errbuf *e)
{
	struct tmpl_var v[TMPL_MAXVARS];
	size_t n;

	for (n = 0; names[n] != NULL && n < TMPL_MAXVARS; n++) {
		v[n].name = names[n];
		v[n].value = "";
	}
	return fill(NULL, text, v, n, where, line, e);
}

int
tmpl_load_text(const char *path, const char *const *names, struct buf *b,
    struct errbuf *e)
{
	const uint8_t *bad;

	b->len = 0;
	if (read_file(path, b, 64 * 1024, e) == -1)
		return -1;
	if (b->p == NULL && buf_add(b, "", 0) == -1) {
		errset(e, "%s: out of memory", path);
		return -1;
	}
	if (memchr(b->p, '\0', b->len) != NULL) {
		errset(e, "%s: template holds a NUL byte", path);
		return -1;
	}
	if ((bad = u8_check((const uint8_t *)b->p, b->len)) != NULL) {
		errset(e, "%s:%d: template is not valid UTF-8", path,
		    line_of(b->p, (size_t)((const char *)bad - b->p), 1));
		return -1;
	}
	return tmpl_check(b->p, names, path, 1, e);
}
