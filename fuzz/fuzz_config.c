/*
 * libFuzzer target for the configuration reader (common/config.c), which
 * every program runs on mailav.conf(5).  Every input must be refused with a
 * reason naming a line, or read; what is read must
 *
 *   - hold keys of key characters only and values without NUL, LF or blank
 *     at either end, with line numbers that grow,
 *   - answer config_get with the last value of a key whatever its case,
 *     and config_bool with 1, 0, the default or -1,
 *   - read back to the same entries from "key = value" lines written from
 *     it.
 *
 * Anything else aborts.  See fuzz/README.md.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mailav.h"

static int
keychar(int c)
{
	return isascii(c) && (isalnum(c) || c == '_' || c == '-' || c == '.');
}

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, d;
	struct errbuf e;
	struct buf out = { 0 };
	size_t i, k, n;
	const char *v;
	char up[256];
	int b;

	e.msg[0] = '\0';
	if (config_parse("fuzz", (const char *)data, size, &c, &e) == -1) {
		if (strncmp(e.msg, "fuzz", 4) != 0)
			abort();	/* no reason, or no name in it */
		return 0;
	}
	for (i = 0; i < c.n; i++) {
		const char *key = c.ent[i].key, *val = c.ent[i].value;

		n = strlen(val);
		if (key[0] == '\0' || strchr(val, '\n') != NULL ||
		    (n > 0 && (blank(val[0]) || blank(val[n - 1]))))
			abort();
		for (k = 0; key[k] != '\0'; k++)
			if (!keychar((unsigned char)key[k]))
				abort();
		if (i > 0 && c.ent[i].line <= c.ent[i - 1].line)
			abort();
		/* the last one wins, whatever the case of the key */
		for (k = c.n; k-- > 0;)
			if (strcasecmp(c.ent[k].key, key) == 0)
				break;
		snprintf(up, sizeof(up), "%s", key);
		for (n = 0; up[n] != '\0'; n++)
			up[n] = (char)toupper((unsigned char)up[n]);
		if (strlen(key) < sizeof(up) &&
		    ((v = config_get(&c, up)) == NULL ||
		    strcmp(v, c.ent[k].value) != 0))
			abort();
		b = config_bool(&c, key, 7);
		if (b != 0 && b != 1 && b != -1 &&
		    !(b == 7 && c.ent[k].value[0] == '\0'))
			abort();
		if (buf_printf(&out, "%s = %s\n", key, val) == -1)
			abort();
	}
	if (config_parse(NULL, out.p, out.len, &d, &e) == -1 || d.n != c.n)
		abort();
	for (i = 0; i < c.n; i++)
		if (strcmp(c.ent[i].key, d.ent[i].key) != 0 ||
		    strcmp(c.ent[i].value, d.ent[i].value) != 0)
			abort();
	buf_free(&out);
	config_free(&c);
	config_free(&d);
	return 0;
}
