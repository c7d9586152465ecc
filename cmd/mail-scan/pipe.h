/* mail-scan's pipeline mode: pipe.c and archive.c, see mail-scan(1). */
#ifndef PIPE_H
#define PIPE_H

#include "config.h"
#include "mailav.h"
#include "verdict.h"

#define PIPE_MAX_UNLINK	8

struct pipe_opts {
	const char *sh;		/* --sh FILE */
	const char *tagger;	/* --tagger PROGRAM */
	const char *logtag;	/* --log TAG */
	const char *logline;	/* --log-line TEXT */
	long long since;	/* --since MS (epoch milliseconds) */
	const char *emit;	/* --emit FILE, with --log-line */
	const char *tagout;	/* --tag-output FILE */
	const char *tag;	/* --tag FILE */
	int archive;		/* --archive */
	const char *json;	/* --json FILE */
	const char *copy;	/* --copy FILE */
	const char *keys;	/* --config-sh KEYS */
	const char *sender;	/* --sender ADDRESS */
	const char *rcpts;	/* --recipients LIST, one a line */
	char *unlinkv[PIPE_MAX_UNLINK];
	int nunlink;
};
extern struct pipe_opts po;

/* getopt_long: the pipeline options have values from PIPE_OPT_FIRST. */
#define PIPE_OPT_FIRST	256
#include <getopt.h>
extern const struct option pipe_longopts[];
int pipe_option(int, const char *);
/* After the configuration is read: the time limit, --unlink, --config-sh. */
int pipe_start(const struct config *, struct buf *, struct errbuf *);
/* --config-sh without --sh or --json: print the values and stop. */
int pipe_config_only(void);
int pipe_config_sh(const struct config *, struct buf *, struct errbuf *);
int pipe_deadline(const struct config *, struct errbuf *);
void pipe_unlink(void);
int pipe_copy(const char *, size_t, struct errbuf *);
int pipe_report(const struct verdict *, const char *, size_t, struct buf *,
    struct errbuf *);
/* archive.c: the envelope, the digest, and the archive copy. */
int pipe_envelope(const struct config *, const char *, size_t, struct buf *,
    struct errbuf *);
void sh_assign(struct buf *, const char *, const char *);
/* The end of a pipeline run: the tagger, the log line, the fields file. */
void pipe_recipients(const char *);
/* m_msgid, m_queueid (and the log line's) from the message's header. */
void pipe_message_fields(struct buf *, const char *, size_t);
void pipe_log_recipients(void);
int pipe_finish(int status, const char *cause, struct buf *);

#endif
