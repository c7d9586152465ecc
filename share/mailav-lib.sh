# mailav-lib.sh: shell functions shared by mailav-send and mailav-receive.
# Sourced (it is ours, installed beside them).
#
# Cost.  The filter runs once per message, so it starts as few programs as
# it can: on a clean message the shell and mail-scan twice, nothing else.
# Everything else is a builtin (case, read, parameter expansion,
# redirections), and one mail-scan run gives the shell all it needs: the
# configuration (read by the one C reader, common/config.c), the envelope
# cleaned up, the archive copy, the verdict as shell assignments, and for a
# clean message the tagged copy in a file (--tag, mail-scan(1) PIPELINE
# MODE); the second run sends that file and writes the syslog line
# (--emit).  Our standard output is written by that second run only, once
# the first has succeeded: a scan or a tagging that fails, however it
# fails, leaves nothing there.  (Only the second run dying while it writes
# can leave a part of the message, with exit 75: proxsmtpd, Postfix's pipe
# via mailav-pipe, procmail and maildrop use the output only on exit 0.)
#
# Temporary files are made here with redirections and held open on fds
# 3 to 7; mail-scan unlinks their names first thing, so nothing is left
# behind whatever happens later, and the tools reach them as /dev/fd/N
# (Linux opens the file anew, at offset 0, through that name).
#
# Conventions: functions return non-zero instead of exiting unless their
# name starts with die_.  Variables set here start with c_ (config, from
# mail-scan --config-sh) or m_ (state); the scripts own the rest.

m_nl='
'
m_done=
m_logged=no
m_notices=

# Everything goes to stderr; proxsmtpd(8) takes the LAST stderr line as the
# SMTP reply, so the reply is printed last, by die_*.  proxsmtpd 1.10 keeps
# only 255 bytes of a line and appends a later write to a line it cut: the
# reply is written with a line end before it, which starts a new one.
log() {
	printf '%s: %s\n' "${m_prog:-mailav}" "$*" >&2
}

# log_text ACTION: the message's line (mail-scan writes it to syslog).
log_text() {
	m_l="$1; class=${m_class:--} viruses=${m_viruses:--}"
	m_l="$m_l from=<${SENDER:-}> to=${m_rcptlist:--}"
	m_l="$m_l queue_id=${m_queueid:--} message_id=${m_msgid:--}"
	m_l="$m_l notices=${m_notices:-none}"
}

# syslog_line ACTION: the message's one syslog line (facility mail, tag the
# script's name), unless mail-scan already wrote it.  Only on the paths that
# are not clean, so one more mail-scan start is no cost that matters.
syslog_line() {
	[ "$m_logged" = no ] || return 0
	m_logged=yes
	log_text "$1"
	if [ "${m_sig:-no}" = yes ]; then
		# killed because time is up: the line is left to a background
		# job (its output nowhere, so proxsmtpd sees ours end) and the
		# script ends now
		syslog_send >/dev/null 2>&1 </dev/null &
		return 0
	fi
	syslog_send
}

# (the redirections are the commands', never the function's: a trap that
# runs meanwhile must write its reply to our stderr)
syslog_send() {
	timeout -k 1 5 mail-scan --log "$m_prog" --since "${m_t0:-0}" \
	    --log-line "$m_l" 2>/dev/null && return 0
	# no mail-scan to say it (not installed, PATH): logger(1), if any
	timeout -k 1 5 logger -t "$m_prog" -p mail.warning -- "$m_l" \
	    2>/dev/null || :
}

# emit_passed FILE ACTION: FILE (the stripped message) to stdout, then its
# line, in one mail-scan run; nothing is written before every notice is
# out, so a 451 never leaves half an answer on stdout.
emit_passed() {
	log_text "$2"
	$m_tool mail-scan --log "$m_prog" --since "${m_t0:-0}" --emit "$1" \
	    --log-line "$m_l" || die_tempfail "cannot write the message"
	m_logged=yes
	m_done=0
	exit 0
}

# emit_clean: the tagged copy of a clean message ($m_out) the same way,
# without timeout(1): mail-scan holds itself to MAILAV_TIMEOUT (alarm), and
# the clean path starts no program besides mail-scan.
emit_clean() {
	log_text passed
	mail-scan --log "$m_prog" --since "${m_t0:-0}" --emit "$m_out" \
	    --log-line "$m_l" || die_tempfail "cannot write the message"
	m_logged=yes
	m_done=0
	exit 0
}

# Temporary failure: Postfix (or the client) tries again later.  Never
# "deliver unscanned".
die_tempfail() {
	m_done=75
	log "$*"
	printf '\n451 4.3.0 Virus check temporarily unavailable, try again later\n' >&2
	# the reply first: a log that hangs or is killed cannot take it away
	syslog_line "deferred 451 ($*)"
	exit 75
}

# Permanent refusal, naming the viruses.  EX_UNAVAILABLE (69), which the
# after-queue adapter and the procmail/maildrop recipes tell apart from 75.
die_reject() {
	log "refused: $*"
	syslog_line "refused 550"
	printf '\n550 5.7.1 %s\n' "$*" >&2
	m_done=69
	exit 69
}

# Any other way out (a command that failed under set -e, a signal) is a
# temporary failure too: 451 and 75, never proxsmtpd's permanent 550.
on_exit() {
	m_rc=$1
	case $m_done in
	0|69|75) exit "$m_done" ;;
	esac
	m_done=75
	log "unexpected failure (status $m_rc)"
	printf '\n451 4.3.0 Virus check temporarily unavailable, try again later\n' >&2
	syslog_line "deferred 451 (unexpected failure, status $m_rc)"
	exit 75
}

# $m_tool NAME ARGS...: a tool on the paths that are not clean, with the
# time limit (set by scan_first).  timeout(1) exits 124 when the limit is
# hit, 128+N when the tool died of signal N: callers treat every status
# they do not expect as a temporary failure.  It is a command, not a shell
# function: the redirections written after it are the tool's alone, never
# the shell's while a trap runs.  (The clean path needs none: mail-scan
# holds itself to filter_timeout with alarm(2), in both its runs.)
m_tool='timeout -k 5 60'

# find_tools: where mail-scan and the others are.  $MAILAV_BINDIR first,
# then the bin directory beside an installed share/mailav, then PATH as
# given: nothing else, so a test never runs an installed copy by mistake.
find_tools() {
	case $m_dir in
	*/share/mailav) PATH=${m_dir%/share/mailav}/bin:$PATH ;;
	esac
	[ -z "${MAILAV_BINDIR:-}" ] || PATH=$MAILAV_BINDIR:$PATH
	export PATH
}

# tmpfiles: the message copy (3), the JSON verdict (4), the shell fields
# (5), an output (6), a notice (7), mail-notify's messages (9), made with
# O_EXCL (set -C) under $TMPDIR (proxsmtpd's TempDirectory).
tmpfiles() {
	# mail-scan --front (proxsmtpd's FilterCommand) made them on these
	# fds, ran the first scan and execed us with its status and our pid:
	# taken as they are (mail-scan(1) FRONT)
	m_front=
	case ${MAILAV_FRONT:-} in
	*:"$$") m_front=${MAILAV_FRONT%%:*} ;;
	esac
	unset MAILAV_FRONT
	case $m_front in
	''|*[!0-9]*) m_front= ;;
	*)	m_msg=/dev/fd/3 m_json=/dev/fd/4 m_sh=/dev/fd/5 m_out=/dev/fd/6
		m_notice=/dev/fd/7 m_err=/dev/fd/9
		return 0 ;;
	esac
	m_n=0
	set -C
	# a name left by a run killed before mail-scan unlinked it is
	# skipped, never reused
	until {
		m_base=${TMPDIR:-/tmp}/mailav.$$.$m_n
		command exec 3>"$m_base.msg" 4>"$m_base.json" 5>"$m_base.sh" \
		    6>"$m_base.out" 7>"$m_base.notice" 9>"$m_base.err"
	} 2>/dev/null; do
		exec 3>&- 4>&- 5>&- 6>&- 7>&- 9>&-
		m_n=$((m_n + 1))
		[ "$m_n" -lt 20 ] || { set +C; return 1; }
	done
	set +C
	m_msg=/dev/fd/3 m_json=/dev/fd/4 m_sh=/dev/fd/5 m_out=/dev/fd/6
	m_notice=/dev/fd/7 m_err=/dev/fd/9
}

# mailav_setup SCRIPTNAME: common start of both pipelines.
mailav_setup() {
	m_prog=$1
	umask 077
	trap 'on_exit "$?"' EXIT
	trap 'm_sig=yes; die_tempfail "killed by a signal"' HUP INT TERM
	find_tools
	# proxsmtpd (which sets CLIENT and SERVER for its filter) always
	# hands over the DATA still stuffed: -S is implied there, so that a
	# FilterCommand written without it is not scanned one dot off
	[ -n "${m_smtp:-}" ] || [ -z "${CLIENT:-}" ] || [ -z "${SERVER:-}" ] ||
	    m_smtp=-S
	[ -z "${MAILAV_CONF:-}" ] || export MAILAV_CONF
	tmpfiles || die_tempfail "cannot make temporary files in ${TMPDIR:-/tmp}"
}

# The configuration keys the scripts use (and mail-scan --front: FRONT_KEYS
# in cmd/mail-scan/front.c).
m_keys=admin_address,sendmail,filter_timeout

# scan_first ARGS...: the one mail-scan run of the message on stdin (see the
# top of this file); ARGS are the script's own options for it.  Sets m_rc
# and the fields; a clean message is tagged into $m_out, sent from there
# to stdout and logged (emit_clean), and the script ends.
scan_first() {
	m_rc=0
	if [ -n "$m_front" ]; then
		# mail-scan --front ran it with these options already
		m_rc=$m_front
	else
		mail-scan --config-sh "$m_keys" --sh "$m_sh" --json "$m_json" \
		    --copy "$m_msg" --unlink "$m_base.msg" \
		    --unlink "$m_base.json" --unlink "$m_base.sh" \
		    --unlink "$m_base.out" --unlink "$m_base.notice" \
		    --unlink "$m_base.err" --log "$m_prog" --tag "$m_out" \
		    --sender "${SENDER:-}" "$@" || m_rc=$?
	fi
	case $m_rc in
	0|1|75)
		# our own file, every value single-quoted by mail-scan
		. "$m_sh" || die_tempfail "mail-scan: unreadable fields" ;;
	esac
	# the names are gone: the files live on through the open fds
	c_sendmail=${c_sendmail:-/usr/sbin/sendmail}
	# Postfix's host name, looked up by mail-scan at most once an hour,
	# for mail-strip and mail-notify (mail-scan(1) PIPELINE MODE)
	if [ -n "${m_hostname:-}" ]; then
		MAILAV_HOSTNAME=$m_hostname
		export MAILAV_HOSTNAME
	fi
	MAILAV_TIMEOUT=${c_filter_timeout:-60}
	export MAILAV_TIMEOUT
	case $MAILAV_TIMEOUT in
	''|*[!0-9]*) MAILAV_TIMEOUT=60 ;;
	esac
	m_tool="timeout -k 5 $MAILAV_TIMEOUT"
	m_rcptlist=
	m_rest=${m_rcpts:-}
	while [ -n "$m_rest" ]; do
		m_r=${m_rest%%"$m_nl"*}
		m_rest=${m_rest#*"$m_nl"}
		m_rcptlist=${m_rcptlist:+$m_rcptlist,}"<$m_r>"
	done
	case $m_rc in
	0)
		[ "${m_class:-}" = clean ] ||
		    die_tempfail "mail-scan: status 0, class ${m_class:-none}"
		emit_clean ;;
	1)
		case ${m_class:-} in
		body|attachments|body+some-attachments|body+all-attachments) ;;
		*) die_tempfail "mail-scan: status 1, class ${m_class:-none}" ;;
		esac
		case ${m_deletable:-} in
		true|false) ;;
		*) die_tempfail "verdict has no deletable" ;;
		esac ;;
	75)
		# mail-scan logged the cause (m_logged=yes) and said it
		die_tempfail "${m_cause:-mail-scan could not scan the message}" ;;
	142)
		die_tempfail "mail-scan ran over filter_timeout" ;;
	*)
		die_tempfail "mail-scan failed (status $m_rc)" ;;
	esac
}

# notify ROLE ADDRESS ACTION KEY [-M]: compose with mail-notify and submit
# with sendmail as a null-sender local submission (it does not pass the
# filter again).  KEY names the notice among the message's: a retried
# message finds it in seen_dir and sends it no second time.  "Nothing to
# send" (MX rule, auto-submitted or bulk original) is success, logged with
# its reason; anything else that is not 0 is a failure the caller turns
# into a temporary failure, so a warning is never silently lost.
notify() {
	m_mark=
	[ -z "${m_seen:-}" ] || m_mark=$m_seen/${m_digest:-x}.$4
	if [ -n "$m_mark" ] && [ -e "$m_mark" ]; then
		log "$1 notice to <$2> already sent for this message"
		m_notices=${m_notices:+$m_notices,}"$1:<$2>(before)"
		return 0
	fi
	# the notice file opened afresh (truncated, offset 0); a redirection
	# that fails here ends the script (exec), which is a 451, and never
	# looks like mail-notify's own status
	exec 8>"$m_notice" 9>"$m_err"
	m_rc=0
	if [ "${5:-}" = -M ]; then
		# the sender's warning: -M for the MX rule
		$m_tool mail-notify -r "$1" -t "$2" -v "$m_json" -a "$3" \
		    -f "${SENDER:-}" -M "$m_msg" <"$m_msg" >&8 2>&9 || m_rc=$?
	elif [ -n "${SENDER:-}" ]; then
		# the envelope sender for the report ("-f ''" would be the
		# null sender, which mail-notify's loop rules are about)
		$m_tool mail-notify -r "$1" -t "$2" -v "$m_json" -a "$3" \
		    -f "$SENDER" "$m_msg" <"$m_msg" >&8 2>&9 || m_rc=$?
	else
		$m_tool mail-notify -r "$1" -t "$2" -v "$m_json" -a "$3" \
		    "$m_msg" <"$m_msg" >&8 2>&9 || m_rc=$?
	fi
	exec 8>&-
	# mail-notify's first line (the reason it sent nothing, or failed),
	# also passed on to our stderr
	m_why=
	{ IFS= read -r m_why || :; } <"$m_err"
	m_why=${m_why#mail-notify: }
	m_why=${m_why#nothing to send: }
	[ -z "$m_why" ] || log "mail-notify: $m_why"
	if [ "$m_rc" = 0 ]; then
		$m_tool "$c_sendmail" -i -f '' -- "$2" <"$m_notice" || {
			log "sendmail failed for the $1 notice to <$2>"
			m_notices=${m_notices:+$m_notices,}"$1:<$2>(sendmail failed)"
			return 1
		}
		log "$1 notice sent to <$2> ($3)"
		m_notices=${m_notices:+$m_notices,}"$1:<$2>"
		[ -z "$m_mark" ] || printf '' >"$m_mark" 2>/dev/null ||
		    log "cannot record the notice in $m_seen"
		return 0
	fi
	if [ "$m_rc" = "$EX_NOADDR" ]; then
		# an address Postfix took but no notice can be written to:
		# never a reason to defer the message
		log "no $1 notice for <$2>: it cannot be addressed (${m_why:-?})"
		m_notices=${m_notices:+$m_notices,}"$1:<$2>(skipped: cannot be addressed)"
		return 0
	fi
	if [ "$m_rc" = "$EX_NOTHING" ]; then
		log "no $1 notice for <$2> (nothing to send: ${m_why:-?})"
		m_notices=${m_notices:+$m_notices,}"$1:<$2>(skipped: ${m_why:-?})"
		return 0
	fi
	log "mail-notify -r $1 failed with status $m_rc"
	m_notices=${m_notices:+$m_notices,}"$1:<$2>(mail-notify failed, status $m_rc: ${m_why:-?})"
	return 1
}

# rescan: the stripped message ($m_out) scanned again: m_rc 0 when clean,
# 1 when still infected, and then only when mail-scan's class line (-q)
# agrees; anything else is a failure (2).
rescan() {
	m_rc=0
	exec 9>"$m_err"
	$m_tool mail-scan $m_smtp -q "$m_out" >&9 || m_rc=$?
	m_c2=
	{ IFS= read -r m_c2 || :; } <"$m_err"
	case $m_rc:$m_c2 in
	0:clean) ;;
	1:body*|1:attachments*) ;;
	0:*|1:*) m_rc=2 ;;
	esac
}

# The exit codes of the tools, from their man pages.
EX_NOTHING=10		# mail-notify: nothing to send (mailav(7) EXIT STATUS)
EX_NOADDR=11		# mail-notify: the notice cannot be addressed
EX_CANNOT=3		# mail-strip: infected content cannot be deleted
