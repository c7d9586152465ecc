/*
 * SMTP dot-stuffing (RFC 5321 section 4.5.2).  A message on the wire has
 * one "." put in front of every line that starts with "."; the receiver
 * takes it off.  proxsmtpd(8) hands its filter the DATA bytes still
 * stuffed, and sends what the filter writes back to the next server as
 * they are, so a filter behind it reads stuffed text and must write it.
 */
#ifndef SMTPDOT_H
#define SMTPDOT_H

#include <stddef.h>

/*
 * Take the transparency dot off every line of p[0..len) in place (a line
 * starts at the beginning and after each LF); returns the new length.
 */
size_t smtp_unstuff(char *p, size_t len);

#endif
