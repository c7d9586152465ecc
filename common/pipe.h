/*
 * mail-scan's pipeline mode (share/mailav-send, mailav-receive): what the
 * shell needs from one run of one program, so that a clean message costs
 * the shell, mail-scan and mail-strip and nothing else.  See the PIPELINE
 * MODE section of mail-scan(1).  The fields for the shell are written into
 * a buffer the caller gives; pipe_write() puts them into the --sh file.
 * Everything written for the shell is single-quoted: a value can hold
 * anything but a NUL and still only ever be assigned.
 */
#ifndef PIPE_H
#define PIPE_H

#include "config.h"
#include "mailav.h"
#include "verdict.h"

#define PIPE_MAX_UNLINK	8

struct pipe_run {
	/* The options (mail-scan(1) PIPELINE MODE), set by the caller. */
	const char *sh;		/* --sh FILE: the fields file */
	const char *tagger;	/* --tagger PROGRAM */
	const char *logtag;	/* --log TAG */
	const char *logline;	/* --log-line TEXT */
	long long since;	/* --since MS (epoch milliseconds) */
	const char *emit;	/* --emit FILE, with --log-line */
	const char *tagout;	/* --tag-output FILE */
	const char *tag;	/* --tag FILE: a clean message tagged there */
	int archive;		/* --archive */
	const char *json;	/* --json FILE */
	const char *copy;	/* --copy FILE */
	const char *keys;	/* --config-sh KEYS */
	const char *sender;	/* --sender ADDRESS */
	const char *rcpts;	/* --recipients LIST, one a line */
	const char *unlinkv[PIPE_MAX_UNLINK];	/* --unlink FILE */
	int nunlink;

	/* Set by pipe_start() and the calls after it. */
	const struct config *cf;
	long long t0;		/* when pipe_start() ran, epoch ms */
	char *class, *viruses, *msgid, *queueid;	/* for the log line */
	struct buf logrcpts;	/* "<a>,<b>" */
	char said[300];		/* the tagger's first line on stderr */
	int spoke;		/* it wrote there (said may be "") */
	struct errbuf warn;	/* a warning for the caller, "" when none */
};

/*
 * --config-sh or --log-line without --sh or --json: the run is over once
 * pipe_start() has written the values or the line.
 */
int pipe_config_only(const struct pipe_run *);
/*
 * After the configuration is read: unlink the --unlink files, set the time
 * limit, and then either emit the --emit file on fd 1 and log --log-line,
 * or write the --config-sh values and m_t0 into out.  -1 with a reason
 * when the time limit is not valid or the file cannot be emitted; a log
 * line that could not be sent leaves its reason in pr->warn.
 */
int pipe_start(struct pipe_run *, const struct config *, struct buf *out,
    struct errbuf *);

/* name='value', a line, with every ' written as '\'' (POSIX sh 2.2.2). */
void pipe_sh_assign(struct buf *, const char *name, const char *value);
/*
 * KEYS: names separated by commas or blanks.  c_<key> with the key in
 * lower case and - or . as _; an absent key is the empty string.
 */
int pipe_config_sh(const struct config *, const char *keys, struct buf *out,
    struct errbuf *);
/*
 * The pipeline's own time limit: MAILAV_TIMEOUT seconds (the shell
 * exports filter_timeout there for every tool), else filter_timeout, else
 * 60.  SIGALRM is left at its default action, so a tool over its time
 * dies of it and the shell answers 451: nothing half-done passes for a
 * result.
 */
int pipe_deadline(const struct config *, struct errbuf *);

/* len bytes into path, created 0600 and truncated; every step checked. */
int pipe_write_file(const char *path, const void *, size_t, struct errbuf *);
/* All of the file at path onto fd, checked. */
int pipe_emit_file(const char *path, int fd, struct errbuf *);

/*
 * The recipients as the pipelines use them: one a line, <> taken off,
 * empty ones and those with control bytes left out.  Returns how many.
 */
int pipe_rcpts(const char *list, struct buf *out);
/* m_msgid and m_queueid from the message's header (and the log line's). */
void pipe_message_fields(struct pipe_run *, struct buf *out, const char *,
    size_t);
/*
 * The verdict: JSON into the --json file; with --sh, m_ninfected,
 * m_class, m_deletable and m_viruses (the names joined with ", ",
 * printable ASCII without quotes, at most 200 bytes: they go into an SMTP
 * reply line) into out.
 */
int pipe_report(struct pipe_run *, const struct verdict *, struct buf *out,
    struct errbuf *);

/*
 * --tagger: run it on the --copy file with our standard output (or into
 * the --tag-output file, emitted on fd 1 only when it succeeds), held to
 * what is left of the time limit.  The first line it writes on stderr is
 * left in pr->said.  -1 with a reason when it fails.  The caller flushes
 * its stdio first.  (The fork child that cannot exec the tagger writes why
 * into that pipe and ends with 127, as a shell would: the one write of
 * this module that is not the caller's buffer or fd 1.)
 */
int pipe_tagger(struct pipe_run *, struct errbuf *);
/*
 * --tag: the clean message (the --copy file) tagged into the --tag file
 * as mail-strip tags it (common/tag.c), with no program started and
 * nothing on standard output.  -1 with a reason.
 */
int pipe_tag(const struct pipe_run *, struct errbuf *);
/*
 * The end of a run whose scan exited status, cause the reason of a
 * failure: m_cause for a failure, and with --log the line of a message
 * passed or deferred (an infected one is the shell's to log) and
 * m_logged=yes.  A line that could not be sent leaves its reason in
 * pr->warn.
 */
void pipe_end(struct pipe_run *, int status, const char *cause,
    struct buf *out);
/*
 * The message's log line with action ("passed", "deferred 451 (...)"),
 * as pipe_end() writes it: for mail-scan --front, which sends a clean
 * message itself.  A line that could not be sent leaves its reason in
 * pr->warn.
 */
void pipe_log(struct pipe_run *, const char *action);
/* The fields into the --sh file; out is emptied. */
int pipe_write(struct pipe_run *, struct buf *out, struct errbuf *);
void pipe_free(struct pipe_run *);

#endif
