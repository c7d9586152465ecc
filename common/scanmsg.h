/*
 * Scanning one message: every part of every reasonable reading of its MIME
 * structure, decoded, then the whole message once more through libclamav's
 * own mail parser as a backstop.  The result is a struct verdict.
 */
#ifndef SCANMSG_H
#define SCANMSG_H

#include "mime.h"
#include "scan.h"
#include "verdict.h"

/*
 * Fill *v (zeroed first; v->file is left NULL).  0 clean, 1 infected, -1
 * when no trustworthy verdict can be given (reason in errbuf; *v freed).
 */
int scan_message(struct scanner *, const char *, size_t,
    const struct mime_limits *, struct verdict *, struct errbuf *);

#endif
