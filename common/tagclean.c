/*
 * The tagging of a clean message, as mail-strip does it with nothing to
 * remove (mail-strip(1)): forged X-Virus-Scanned and X-Virus-Status fields
 * dropped, ours added at the end of the header, every other byte as it
 * came.  mail-scan's pipeline mode calls it (--tagger -) instead of
 * starting mail-strip for every clean message: on a virtual machine a
 * program start costs more CPU than the tagging itself.
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "mailav.h"
#include "mime.h"
#include "rewrite.h"
#include "strip.h"
#include "tagclean.h"

int
tag_clean(const struct config *cf, const char *path, int fd,
    struct errbuf *e)
{
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct strip_plan pl = { 0 };
	struct buf in = { 0 }, hdrs = { 0 };
	struct rw_out out = { 0 };
	const char *lang;
	char host[256];
	int r = -1;

	/* the configuration as mail-strip reads it: a strip_lang it could
	 * not use is an error there, so it is one here too */
	if ((lang = config_get(cf, "strip_lang")) != NULL &&
	    strip_lang(lang) == NULL) {
		errset(e, "strip_lang = %s: not ja or en", lang);
		return -1;
	}
	if (config_hostname(cf, host, sizeof(host), e) == -1 ||
	    read_message(path, &in, e) == -1)
		return -1;
	if ((pl.m = mime_parse(in.p, in.len, &lim, e)) == NULL)
		goto out;
	if (strip_fields(&pl, host, 0, &hdrs, e) == -1 ||
	    rw_message(pl.m, NULL, 0, hdrs.p, &out, e) == -1)
		goto out;
	if (rw_write(&out, fd) == -1) {
		errset(e, "write: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	rw_free(&out);
	mime_free(pl.m);
	buf_free(&hdrs);
	message_free(&in);
	return r;
}
