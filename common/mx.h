/* The MX rule of mail-notify -M (mail-notify(1), "The MX rule"). */
#ifndef MX_H
#define MX_H

#include "mailav.h"

struct mx_opts {
	const char *resolver;	/* "a.b.c.d[:port]" or NULL: resolv.conf */
	int timeout;		/* seconds per query */
	const char *locals;	/* list of this server's addresses or NULL */
};

/*
 * The MX rule of the service (*1): is a mail server of domain one of this
 * server's addresses?  1 yes (which one in e), 0 no (reason in e), -1 DNS
 * failure, -2 bad configuration (reason in e).
 */
int mx_rule(const char *domain, const struct mx_opts *, struct errbuf *e);

#endif
