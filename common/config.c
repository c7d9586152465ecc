/*
 * mailav.conf(5) reader.  The format is deliberately small: an
 * administrator edits it with any editor and a mistake names its line.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

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
	return config_switch(v);
}

int
config_switch(const char *v)
{
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

int
config_open(const char *path, struct config *c, struct errbuf *e)
{
	const char *p = path != NULL ? path : config_path();

	/*
	 * mailav.conf(5): a missing default file ($MAILAV_CONF or the
	 * built-in path) is an empty one; a file named with -C must be there.
	 */
	errno = 0;
	if (config_load(p, c, e) == 0)
		return 0;
	if (path == NULL && errno == ENOENT) {
		memset(c, 0, sizeof(*c));
		return 0;
	}
	return -1;
}

static const struct config_ent *
find(const struct config *c, const char *key)
{
	size_t i;

	for (i = c->n; i > 0; i--)
		if (strcasecmp(c->ent[i - 1].key, key) == 0)
			return &c->ent[i - 1];
	return NULL;
}

/* "file:line: key" for a message about the value of key. */
static void
where(const struct config *c, const char *key, struct errbuf *e,
    const char *what)
{
	const struct config_ent *ce = find(c, key);

	errset(e, "%s:%d: %s: %s", c->path ? c->path : "config",
	    ce ? ce->line : 0, key, what);
}

int
config_number(const struct config *c, const char *key, long min, long max,
    long *v, struct errbuf *e)
{
	const char *s = config_get(c, key);
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < min || n > max) {
		char what[80];

		snprintf(what, sizeof(what), "not a number from %ld to %ld",
		    min, max);
		where(c, key, e, what);
		return -1;
	}
	*v = n;
	return 0;
}

int
config_flag(const struct config *c, const char *key, int def, int *v,
    struct errbuf *e)
{
	if ((*v = config_bool(c, key, def)) == -1) {
		where(c, key, e, "not yes or no");
		return -1;
	}
	return 0;
}

/* Host name characters only, at most 253 of them (config.h). */
int
config_host_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return i > 0 && i < 254;
}

/* Postfix's myhostname, by `postconf -h myhostname', into h (or ""). */
/*
 * myhostname as main.cf sets it, when it is a literal: 1, else 0 (no
 * main.cf, no such line, or a value with $ that only Postfix expands).
 * Debian's postfix writes a literal one, so a filter run usually learns
 * the name without starting postconf (about 20 ms).  main.cf syntax
 * (postconf(5)): `name = value`, the last one wins, a line that starts
 * with white space continues the one before, # starts a comment line.
 */
static int
maincf_hostname(char *h, size_t n)
{
	const char *dir = getenv("MAIL_CONFIG");
	char path[4096], line[1024];
	FILE *fp;
	int found = 0, ours = 0;

	h[0] = '\0';
	if (dir == NULL || *dir == '\0')
		dir = "/etc/postfix";
	if ((size_t)snprintf(path, sizeof(path), "%s/main.cf", dir) >=
	    sizeof(path) || (fp = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = line, *v;
		size_t len;

		if (strchr(line, '\n') == NULL && !feof(fp)) {
			/* a line too long for us: read no name from it */
			int ch;

			while ((ch = getc(fp)) != EOF && ch != '\n')
				;
			ours = 0;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			/* a continuation of myhostname: not a plain literal */
			if (ours && p[strspn(p, " \t\r\n")] != '\0')
				found = -1;
			continue;
		}
		ours = 0;
		if (*p == '#' || strncmp(p, "myhostname", 10) != 0)
			continue;
		p += 10;
		p += strspn(p, " \t");
		if (*p++ != '=')
			continue;
		p += strspn(p, " \t");
		v = p;
		len = strcspn(v, " \t\r\n");
		ours = 1;
		if (len == 0 || len >= n || memchr(v, '$', len) != NULL ||
		    v[len + strspn(v + len, " \t\r\n")] != '\0') {
			found = -1;
			continue;
		}
		memcpy(h, v, len);
		h[len] = '\0';
		found = 1;
	}
	fclose(fp);
	if (found != 1 || !config_host_ok(h)) {
		h[0] = '\0';
		return 0;
	}
	return 1;
}

static void
postfix_hostname(char *h, size_t n)
{
	static const char *const cmd[] = { "/usr/sbin/postconf",
	    "/usr/bin/postconf", "/usr/local/sbin/postconf" };
	char *argv[] = { "postconf", "-h", "myhostname", NULL };
	posix_spawn_file_actions_t fa;
	size_t i, len = 0;
	ssize_t r;
	pid_t pid = -1;
	int fd[2], st;

	h[0] = '\0';
	for (i = 0; i < sizeof(cmd) / sizeof(cmd[0]); i++)
		if (access(cmd[i], X_OK) == 0)
			break;
	if (i == sizeof(cmd) / sizeof(cmd[0]) || pipe2(fd, O_CLOEXEC) == -1)
		return;
	if (posix_spawn_file_actions_init(&fa) == 0) {
		posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
		    0);
		if (posix_spawn(&pid, cmd[i], &fa, NULL, argv, environ) != 0)
			pid = -1;
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fd[1]);
	while (pid != -1 && len < n - 1 && ((r = read(fd[0], h + len,
	    n - 1 - len)) > 0 || (r == -1 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	close(fd[0]);
	h[len] = '\0';
	h[strcspn(h, "\r\n")] = '\0';
	if (pid != -1)
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
	if (pid == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    !config_host_ok(h))
		h[0] = '\0';
}

int
config_hostname(const struct config *c, char *h, size_t n, struct errbuf *e)
{
	const char *s = config_get(c, "hostname");

	if (s != NULL && *s != '\0') {
		if (!config_host_ok(s) || strlen(s) >= n) {
			where(c, "hostname", e, "not a host name");
			return -1;
		}
		snprintf(h, n, "%s", s);
		return 0;
	}
	/* The pipelines look Postfix's name up once (mail-scan keeps it
	 * for an hour) and hand it to every tool: no postconf per tool. */
	s = getenv("MAILAV_HOSTNAME");
	if (s != NULL && config_host_ok(s) && strlen(s) < n) {
		snprintf(h, n, "%s", s);
		return 0;
	}
	if (maincf_hostname(h, n))
		return 0;
	postfix_hostname(h, n);
	if (h[0] != '\0')
		return 0;
	if (gethostname(h, n - 1) == -1)
		h[0] = '\0';
	h[n - 1] = '\0';
	if (!config_host_ok(h))
		snprintf(h, n, "localhost");
	return 0;
}
