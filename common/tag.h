/*
 * Tagging a clean message: the X-Virus-Scanned and X-Virus-Status fields
 * added as mail-strip adds them when it removes nothing (common/strip.c
 * writes the fields, common/rewrite.c the bytes), without a program start:
 * mail-scan's pipeline mode does it itself (--tag, mail-scan(1)).
 */
#ifndef TAG_H
#define TAG_H

#include "mailav.h"

/*
 * The message in file in, tagged as scanned on host, into file out (made
 * or truncated; mode 0600 when made).  The whole output is assembled
 * before the first byte is written.  0, or -1 with the reason in e.
 */
int tag_clean_file(const char *in, const char *out, const char *host,
    struct errbuf *e);

#endif
