/*
 * A clean message tagged into a file (tag.h), the way mail-strip tags one
 * when it has nothing to remove: the message is parsed with the default
 * limits only to find the end of its top-level header, the old
 * X-Virus-Scanned / X-Virus-Status fields go and the new ones are put
 * there; every other byte is the input's (common/rewrite.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mailav.h"
#include "mime.h"
#include "rewrite.h"
#include "strip.h"
#include "tag.h"

int
tag_clean_file(const char *in, const char *out, const char *host,
    struct errbuf *e)
{
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct strip_plan pl = { 0 };
	struct buf msg = { 0 }, hdrs = { 0 };
	struct rw_out rw = { 0 };
	int fd = -1, r = -1;

	if (read_message(in, &msg, e) == -1)
		return -1;
	if ((pl.m = mime_parse(msg.p, msg.len, &lim, e)) == NULL ||
	    strip_fields(&pl, host, 0, &hdrs, e) == -1 ||
	    rw_message(pl.m, NULL, 0, hdrs.p, &rw, e) == -1)
		goto out;
	/* (no O_NOFOLLOW: the filters name their open files /dev/fd/N) */
	if ((fd = open_empty(out, O_CREAT, 0600)) == -1 ||
	    rw_write(&rw, fd) == -1) {
		errset(e, "%s: %s", out, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		errset(e, "%s: %s", out, strerror(errno));
		goto out;
	}
	fd = -1;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	rw_free(&rw);
	buf_free(&hdrs);
	if (pl.m != NULL)
		mime_free(pl.m);
	message_free(&msg);
	return r;
}
