/*
 * The MX rule for sender warnings: the sender is warned only when the
 * domain of the original From: address delivers its mail to this server.
 * MX records first; with none, the domain itself is the mail server
 * (RFC 5321 5.1, the "implicit MX"); a null MX (RFC 7505) accepts no mail.
 * DNS through libresolv so a test can point it at its own server.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "mx.h"

#define MAXADDRS	256
#define MAXHOSTS	16

struct addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char a[16];
};

struct addrs {
	struct addr v[MAXADDRS];
	size_t n;
};

static void
addrs_add(struct addrs *as, int family, const void *p)
{
	struct addr *a;

	if (as->n == MAXADDRS)
		return;
	a = &as->v[as->n];
	memset(a, 0, sizeof(*a));
	/* an IPv4-mapped IPv6 address is the IPv4 address */
	if (family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)p)) {
		family = AF_INET;
		p = (const unsigned char *)p + 12;
	}
	a->family = family;
	memcpy(a->a, p, family == AF_INET ? 4 : 16);
	as->n++;
}

/* 127.0.0.0/8 and ::1 (RFC 1122 3.2.1.3, RFC 4291 2.5.3). */
static int
loopback(const struct addr *x)
{
	static const unsigned char one[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (x->family == AF_INET)
		return x->a[0] == 127;
	return memcmp(x->a, one, 16) == 0 ||
	    (memcmp(x->a, mapped, 12) == 0 && x->a[12] == 127);
}

/*
 * Loopback never counts (issue 13 item 12): every host has it, so an MX
 * or a domain literal naming it is no proof that the domain is served here.
 */
static int
addrs_has(const struct addrs *as, const struct addr *x)
{
	size_t i;

	if (loopback(x))
		return 0;
	for (i = 0; i < as->n; i++)
		if (as->v[i].family == x->family &&
		    memcmp(as->v[i].a, x->a, x->family == AF_INET ? 4 : 16) == 0)
			return 1;
	return 0;
}

/* Parse "a, b c" into as; -1 on an entry that is no IP address. */
static int
parse_locals(const char *s, struct addrs *as, struct errbuf *e)
{
	char tok[INET6_ADDRSTRLEN + 8];
	unsigned char bin[16];
	size_t n;

	while (*s != '\0') {
		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (n == 0)
			break;
		if (n >= sizeof(tok)) {
			errset(e, "notify_local_addresses: `%.*s' is no IP "
			    "address", (int)n, s);
			return -1;
		}
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (inet_pton(AF_INET, tok, bin) == 1)
			addrs_add(as, AF_INET, bin);
		else if (inet_pton(AF_INET6, tok, bin) == 1)
			addrs_add(as, AF_INET6, bin);
		else {
			errset(e, "notify_local_addresses: `%s' is no IP "
			    "address", tok);
			return -1;
		}
		s += n;
	}
	return 0;
}

static int
local_addrs(const char *conf, struct addrs *as, struct errbuf *e)
{
	struct ifaddrs *ifa, *i;

	as->n = 0;
	if (conf != NULL && *conf != '\0')
		return parse_locals(conf, as, e);
	if (getifaddrs(&ifa) == -1) {
		errset(e, "getifaddrs: cannot list local addresses");
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			addrs_add(as, AF_INET,
			    &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			addrs_add(as, AF_INET6,
			    &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
	return 0;
}

/* Point the resolver at "a.b.c.d[:port]" (IPv4; see mail-notify(1)). */
static int
set_resolver(res_state st, const char *spec, struct errbuf *e)
{
	char host[INET_ADDRSTRLEN + 1];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	struct in_addr in;
	char *end;
	long port = 53;

	if (n >= sizeof(host)) {
		errset(e, "resolver `%s': expected an IPv4 address[:port]",
		    spec);
		return -1;
	}
	memcpy(host, spec, n);
	host[n] = '\0';
	if (colon != NULL)
		port = strtol(colon + 1, &end, 10);
	if (inet_pton(AF_INET, host, &in) != 1 || port < 1 || port > 65535 ||
	    (colon != NULL && (*end != '\0' || end == colon + 1))) {
		errset(e, "resolver `%s': expected an IPv4 address[:port]",
		    spec);
		return -1;
	}
	st->nscount = 1;
	memset(&st->nsaddr_list[0], 0, sizeof(st->nsaddr_list[0]));
	st->nsaddr_list[0].sin_family = AF_INET;
	st->nsaddr_list[0].sin_addr = in;
	st->nsaddr_list[0].sin_port = htons((unsigned short)port);
	return 0;
}

enum qres { Q_OK, Q_NXDOMAIN, Q_NODATA, Q_FAIL };

/* One query; the answer is in ans[0..*len). */
static enum qres
query(res_state st, const char *name, int type, unsigned char *ans,
    int *len)
{
	*len = res_nquery(st, name, ns_c_in, type, ans, NS_PACKETSZ * 4);
	if (*len >= 0)
		return Q_OK;
	switch (st->res_h_errno) {
	case HOST_NOT_FOUND:
		return Q_NXDOMAIN;
	case NO_DATA:
		return Q_NODATA;
	default:
		return Q_FAIL;
	}
}

/*
 * Addresses of host (A and AAAA): is any of them ours?  1 yes, 0 no,
 * -1 when a lookup failed and nothing matched.
 */
static int
host_is_ours(res_state st, const char *host, const struct addrs *locals,
    char *why, size_t whylen)
{
	static const int types[] = { ns_t_a, ns_t_aaaa };
	unsigned char ans[NS_PACKETSZ * 4];
	struct addr a;
	ns_msg msg;
	ns_rr rr;
	int len, i, k, fail = 0;
	char txt[INET6_ADDRSTRLEN];

	for (k = 0; k < 2; k++) {
		switch (query(st, host, types[k], ans, &len)) {
		case Q_OK:
			break;
		case Q_FAIL:
			fail = 1;
			/* FALLTHROUGH */
		default:
			continue;
		}
		if (ns_initparse(ans, len, &msg) == -1) {
			fail = 1;
			continue;
		}
		for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
			if (ns_parserr(&msg, ns_s_an, i, &rr) == -1)
				break;
			if ((int)ns_rr_type(rr) != types[k])
				continue;
			if (types[k] == ns_t_a && ns_rr_rdlen(rr) == 4)
				a.family = AF_INET;
			else if (types[k] == ns_t_aaaa && ns_rr_rdlen(rr) == 16)
				a.family = AF_INET6;
			else
				continue;
			memset(a.a, 0, sizeof(a.a));
			memcpy(a.a, ns_rr_rdata(rr), ns_rr_rdlen(rr));
			if (addrs_has(locals, &a)) {
				inet_ntop(a.family, a.a, txt, sizeof(txt));
				snprintf(why, whylen, "%.255s has %s", host, txt);
				return 1;
			}
		}
	}
	return fail ? -1 : 0;
}

int
mx_rule(const char *domain, const struct mx_opts *o, struct errbuf *e)
{
	struct __res_state st;
	struct addrs *locals;
	unsigned char ans[NS_PACKETSZ * 4];
	char hosts[MAXHOSTS][NS_MAXDNAME], why[NS_MAXDNAME + 64];
	unsigned char lit[16];
	struct addr la;
	ns_msg msg;
	ns_rr rr;
	int len, i, nh = 0, r = -1, fail = 0, nullmx = 0, x;
	size_t dl = strlen(domain);

	if ((locals = calloc(1, sizeof(*locals))) == NULL) {
		errset(e, "out of memory");
		return -1;
	}
	if (local_addrs(o->locals, locals, e) == -1) {
		r = -2;
		goto out;
	}
	/* A domain literal names the server itself (RFC 5321 4.1.3). */
	if (dl > 2 && domain[0] == '[' && domain[dl - 1] == ']') {
		char t[INET6_ADDRSTRLEN + 8];

		snprintf(t, sizeof(t), "%.*s", (int)(dl - 2), domain + 1);
		x = strncasecmp(t, "IPv6:", 5) == 0 ? 5 : 0;
		if (inet_pton(AF_INET, t + x, lit) == 1)
			la.family = AF_INET;
		else if (inet_pton(AF_INET6, t + x, lit) == 1)
			la.family = AF_INET6;
		else {
			errset(e, "domain literal %s is no address", domain);
			r = 0;
			goto out;
		}
		memset(la.a, 0, sizeof(la.a));
		memcpy(la.a, lit, la.family == AF_INET ? 4 : 16);
		r = addrs_has(locals, &la);
		if (r == 0)
			errset(e, "%s is not an address of this server",
			    domain);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) == -1) {
		errset(e, "resolver: cannot initialise");
		goto out;
	}
	if (o->resolver != NULL && *o->resolver != '\0' &&
	    set_resolver(&st, o->resolver, e) == -1) {
		res_nclose(&st);
		r = -2;
		goto out;
	}
	st.retrans = o->timeout > 0 ? o->timeout : 5;
	st.retry = 2;
	switch (query(&st, domain, ns_t_mx, ans, &len)) {
	case Q_NXDOMAIN:
		errset(e, "sender domain %s does not exist (NXDOMAIN)",
		    domain);
		r = 0;
		goto close;
	case Q_FAIL:
		errset(e, "DNS failure looking up the MX of %s", domain);
		goto close;
	case Q_NODATA:
		break;
	case Q_OK:
		if (ns_initparse(ans, len, &msg) == -1) {
			errset(e, "DNS: bad answer for the MX of %s", domain);
			goto close;
		}
		for (i = 0; i < ns_msg_count(msg, ns_s_an) && nh < MAXHOSTS;
		    i++) {
			if (ns_parserr(&msg, ns_s_an, i, &rr) == -1)
				break;
			if (ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
				continue;
			if (ns_name_uncompress(ns_msg_base(msg),
			    ns_msg_end(msg), ns_rr_rdata(rr) + 2, hosts[nh],
			    sizeof(hosts[nh])) == -1)
				continue;
			if (strcmp(hosts[nh], ".") == 0 || hosts[nh][0] == '\0') {
				nullmx = 1;	/* RFC 7505 */
				continue;
			}
			nh++;
		}
		break;
	}
	if (nh == 0 && nullmx) {
		errset(e, "sender domain %s has a null MX (accepts no mail)",
		    domain);
		r = 0;
		goto close;
	}
	if (nh == 0)		/* RFC 5321 5.1: the implicit MX */
		snprintf(hosts[nh++], sizeof(hosts[0]), "%s", domain);
	for (i = 0; i < nh; i++) {
		x = host_is_ours(&st, hosts[i], locals, why, sizeof(why));
		if (x == 1) {
			errset(e, "mail server %s", why);
			r = 1;
			goto close;
		}
		if (x == -1)
			fail = 1;
	}
	if (fail)
		errset(e, "DNS failure looking up the mail servers of %s",
		    domain);
	else {
		errset(e, "no mail server of %s (%s%s) is this server", domain,
		    hosts[0], nh > 1 ? ", ..." : "");
		r = 0;
	}
close:
	res_nclose(&st);
out:
	free(locals);
	return r;
}
