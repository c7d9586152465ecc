/*
 * mailav.conf(5) reader.  The format is deliberately small: an
 * administrator edits it with any editor and a mistake names its line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

const char *
config_path(void)
{
	const char *s = getenv("MAILAV_CONF");

	return s != NULL && *s != '\0' ? s : CONFIG_FILE;
}

static int
iskeychar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int
isblank_(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
add(struct config *c, const char *k, size_t klen, const char *v,
    size_t vlen, int line)
{
	struct config_ent *ne;
	size_t ncap;

	if (c->n == c->cap) {
		ncap = c->cap ? c->cap * 2 : 16;
		ne = realloc(c->ent, ncap * sizeof(*ne));
		if (ne == NULL)
			return -1;
		c->ent = ne;
		c->cap = ncap;
	}
	ne = &c->ent[c->n];
	ne->key = strndup(k, klen);
	ne->value = strndup(v, vlen);
	ne->line = line;
	if (ne->key == NULL || ne->value == NULL) {
		free(ne->key);
		free(ne->value);
		return -1;
	}
	c->n++;
	return 0;
}

int
config_parse(const char *name, const char *p, size_t len, struct config *c,
    struct errbuf *e)
{
	size_t i = 0, ks, ke, vs, ve, eol;
	int line = 0;

	memset(c, 0, sizeof(*c));
	if (name != NULL && (c->path = strdup(name)) == NULL)
		goto nomem;
	if (name == NULL)
		name = "config";
	while (i < len) {
		line++;
		for (eol = i; eol < len && p[eol] != '\n'; eol++)
			;
		if (memchr(p + i, '\0', eol - i) != NULL) {
			errset(e, "%s:%d: NUL byte", name, line);
			goto fail;
		}
		while (i < eol && isblank_((unsigned char)p[i]))
			i++;
		if (i == eol || p[i] == '#') {
			i = eol + 1;
			continue;
		}
		ks = i;
		while (i < eol && iskeychar((unsigned char)p[i]))
			i++;
		ke = i;
		while (i < eol && isblank_((unsigned char)p[i]))
			i++;
		if (ke == ks || i == eol || p[i] != '=') {
			errset(e, "%s:%d: expected `key = value'", name, line);
			goto fail;
		}
		i++;
		while (i < eol && isblank_((unsigned char)p[i]))
			i++;
		vs = i;
		ve = eol;
		while (ve > vs && isblank_((unsigned char)p[ve - 1]))
			ve--;
		if (add(c, p + ks, ke - ks, p + vs, ve - vs, line) == -1)
			goto nomem;
		i = eol + 1;
	}
	return 0;
nomem:
	errset(e, "%s: out of memory", name ? name : "config");
fail:
	config_free(c);
	return -1;
}

int
config_load(const char *path, struct config *c, struct errbuf *e)
{
	struct buf b = { 0 };
	int r, saved;

	memset(c, 0, sizeof(*c));
	if (read_file(path, &b, 1024 * 1024, e) == -1) {
		saved = errno;
		buf_free(&b);
		errno = saved;
		return -1;
	}
	r = config_parse(path, b.p, b.len, c, e);
	buf_free(&b);
	return r;
}

const char *
config_get(const struct config *c, const char *key)
{
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = c->n; i > 0; i--)
		if (strcasecmp(c->ent[i - 1].key, key) == 0)
			return c->ent[i - 1].value;
	return NULL;
}

int
config_bool(const struct config *c, const char *key, int def)
{
	const char *v = config_get(c, key);

	if (v == NULL || *v == '\0')
		return def;
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

void
config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->ent[i].key);
		free(c->ent[i].value);
	}
	free(c->ent);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
