/*
 * One syslog line (RFC 3164 format, facility mail) to a Unix socket, the
 * way syslog(3) sends it but to a socket the caller names (mailav.conf
 * syslog_socket), so a test can read the lines back.
 */
#ifndef SLOG_H
#define SLOG_H

#include "mailav.h"

#define SLOG_SOCKET	"/dev/log"
#define SLOG_MAIL	(2 << 3)	/* LOG_MAIL */
#define SLOG_ERR	3
#define SLOG_WARNING	4
#define SLOG_INFO	6

/* -1 with a reason when the line could not be handed to the socket. */
int slog_send(const char *socket, const char *tag, int prio,
    const char *msg, struct errbuf *);

#endif
