/*
 * mail-scan --sh --recipients/--archive: the envelope as the pipelines use
 * it, the audit archive copy (share/README, spec "Audit archive") and the
 * record of what a retried message already got (seen_dir).
 *
 * A message deferred with 451 comes back, byte for byte, with the same
 * envelope.  Its key is the SHA-256 of sender, recipients and message; a
 * file named after the key in seen_dir says the original is archived, and
 * the shell adds one per notice sent, so a retry neither archives nor
 * notifies twice.
 */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include "config.h"
#include "mailav.h"
#include "pipe.h"

#define ARCHIVE_SEEN_DIR	"/var/spool/mailav/seen"
/*
 * seen_dir files older than this are removed: Postfix gives up on a
 * deferred message after 5 days (maximal_queue_lifetime).
 */
#define ARCHIVE_SEEN_DAYS	7

/*
 * The fields of the message and its envelope into out (m_msgid,
 * m_queueid, m_rcpts, m_nrcpt, m_digest, m_seen, m_hostname) and, with
 * --archive, the original into archive_maildir when a recipient's domain
 * is in archive_domains (m_archive, m_archive_some, m_archived), before
 * the scan.  -1 with a reason when the archive copy cannot be made; a
 * seen_dir that cannot be used is a warning in pr->warn, not an error.
 */
int archive_envelope(struct pipe_run *, const char *msg, size_t len,
    struct buf *out, struct errbuf *);

/*
 * The original into the Maildir dir: written in tmp/, fsync, renamed into
 * new/, new/ fsync'ed.  The envelope first (Return-Path, one X-Original-To
 * a recipient, as Postfix's local and pipe do), then the message with LF
 * line ends.  *name gets the path in new/.
 */
int archive_store(const char *dir, const char *sender, const char *rcpts,
    const char *msg, size_t len, struct buf *name, struct errbuf *);

#endif
