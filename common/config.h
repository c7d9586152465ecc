/*
 * mailav.conf(5): one `key = value` a line, `#` starts a comment line,
 * blank lines ignored.  The reader knows no keys: it keeps a generic list
 * and each program asks for the keys it documents, so adding a key never
 * touches this file.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include "mailav.h"

#define CONFIG_FILE	MAILAV_SYSCONFDIR "/mailav.conf"

struct config_ent {
	char *key;		/* as written; lookups are case-insensitive */
	char *value;		/* leading/trailing white space trimmed */
	int line;
};

struct config {
	char *path;		/* for messages; NULL when parsed from memory */
	struct config_ent *ent;
	size_t n, cap;
};

/*
 * The file to read: $MAILAV_CONF when set and not empty, else CONFIG_FILE.
 * Programs let a -c option override both.
 */
const char *config_path(void);

/*
 * Read path into *c (zeroed first).  -1 with a reason on a syntax error
 * (the line number is in the reason), I/O error or ENOMEM; when the file
 * does not exist, -1 with errno == ENOENT so a caller reading the default
 * path may go on with an empty configuration.
 */
int config_load(const char *path, struct config *c, struct errbuf *e);
/* The same from len bytes in memory; name is used in messages. */
int config_parse(const char *name, const char *p, size_t len,
    struct config *c, struct errbuf *e);
/* The value of key (case-insensitive; the last one wins), or NULL. */
const char *config_get(const struct config *c, const char *key);
/* The value as a yes/no switch: 1, 0, def when absent, -1 when invalid. */
int config_bool(const struct config *c, const char *key, int def);
void config_free(struct config *c);

/*
 * The configuration a program runs with: path (its -C option) or, when
 * NULL, config_path().  The rule of mailav.conf(5) in one place: a missing
 * default file ($MAILAV_CONF or the built-in path, not -C) is an empty
 * configuration; any other that cannot be read is an error (-1, reason).
 */
int config_open(const char *path, struct config *c, struct errbuf *e);

/*
 * A number (a duration in seconds, a count) from min to max: *v is left
 * alone when key is absent.  -1 when the value is not one, the reason
 * naming file, line and key only.
 */
int config_number(const struct config *c, const char *key, long min,
    long max, long *v, struct errbuf *e);
/* config_bool() with such a reason for a value that is not yes or no. */
int config_flag(const struct config *c, const char *key, int def, int *v,
    struct errbuf *e);

/*
 * The host name written into X-Virus-Scanned and the notices: the
 * `hostname' key, else Postfix's myhostname (`postconf -h myhostname')
 * when postconf is installed, else gethostname(2); host name characters
 * only, "localhost" when nothing usable is found.  -1 (reason in e) only
 * when the key holds something that is not a host name.
 */
int config_hostname(const struct config *c, char *h, size_t n,
    struct errbuf *e);

#endif
