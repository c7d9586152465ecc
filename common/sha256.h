/* SHA-256 (FIPS 180-4), for keys on message content (no crypto library). */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of p[0..len) as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *p, size_t len, char hex[65]);

#endif
