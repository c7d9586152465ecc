# mailav-lib.sh: shell functions shared by mailav-send, mailav-receive and
# mailav-pipe.  Sourced (it is ours, installed beside them); the
# configuration file is NOT sourced but parsed, see conf_load.
#
# Conventions: every function returns non-zero instead of exiting unless
# its name starts with die_.  Variables set here start with c_ (config) or
# m_ (state); the scripts own the rest.

m_tab=$(printf '\t')
m_nl='
'

# Everything goes to stderr; proxsmtpd(8) takes the LAST stderr line as the
# SMTP reply, so the reply is printed last, by die_*.
log() {
	printf '%s: %s\n' "${m_prog:-mailav}" "$*" >&2
}

# Temporary failure: Postfix (or the client) tries again later.  Never
# "deliver unscanned".
die_tempfail() {
	log "$*"
	printf '451 4.3.0 Virus check temporarily unavailable, try again later\n' >&2
	exit 75
}

# Permanent refusal, naming the viruses.  EX_UNAVAILABLE (69), which the
# after-queue adapter and the procmail/maildrop recipes tell apart from 75.
die_reject() {
	log "refused: $*"
	printf '550 5.7.1 %s\n' "$*" >&2
	exit 69
}

# conf_load FILE: read mailav.conf(5) into c_* variables.  Same rules as
# common/config.c: `key = value`, keys case-insensitive, last one wins,
# comment lines start with `#`, any other line is an error (75).  A missing
# file means defaults.  Values are only ever assigned, never evaluated.
conf_load() {
	c_admin_address=
	c_archive_domains=
	c_archive_maildir=
	c_sendmail=/usr/sbin/sendmail
	c_filter_timeout=60
	c_bindir=
	m_conf=$1
	[ -e "$m_conf" ] || return 0
	[ -r "$m_conf" ] || { log "cannot read $m_conf"; return 1; }
	m_kv=$(LC_ALL=C awk -v f="$m_conf" '
	    {
		line = $0
		sub(/^[ \t\r]+/, "", line)
		if (line == "" || substr(line, 1, 1) == "#")
			next
		if (!match(line, /^[A-Za-z0-9_.-]+[ \t\r]*=/)) {
			printf "%s:%d: expected `key = value'"'"'\n", f, NR
			bad = 1
			exit
		}
		key = substr(line, 1, RLENGTH)
		sub(/[ \t\r]*=$/, "", key)
		val = substr(line, RLENGTH + 1)
		sub(/^[ \t\r]+/, "", val)
		sub(/[ \t\r]+$/, "", val)
		print "K" tolower(key) "\t" val
	    }
	    END { exit bad }' "$m_conf") || {
		log "${m_kv:-cannot parse $m_conf}"
		return 1
	}
	while IFS=$m_tab read -r m_k m_v; do
		case $m_k in
		Kadmin_address) c_admin_address=$m_v ;;
		Karchive_domains) c_archive_domains=$m_v ;;
		Karchive_maildir) c_archive_maildir=$m_v ;;
		Ksendmail) c_sendmail=$m_v ;;
		Kfilter_timeout) c_filter_timeout=$m_v ;;
		Kbindir) c_bindir=$m_v ;;
		esac
	done <<EOF
$m_kv
EOF
	case $c_filter_timeout in
	''|*[!0-9]*) log "$m_conf: filter_timeout is not a number"; return 1 ;;
	esac
	return 0
}

# tool NAME ARGS...: run a mailav program with the time limit.  timeout(1)
# exits 124 when the limit is hit, 128+N when the tool died of signal N:
# callers treat every status they do not expect as a temporary failure.
tool() {
	timeout -k 5 "$c_filter_timeout" "$@"
}

# scan IN OUT: mail-scan -j IN > OUT; returns mail-scan's status.
# mail-scan reads the database and clamd keys from the same file
# ($MAILAV_CONF, exported by mailav_setup).
scan() {
	tool mail-scan -j "$1" <"$1" >"$2"
}

# verdict_read FILE: set m_class, m_deletable and m_viruses from a mail-scan
# -j verdict (format in mailav(7)).  Only the fields before "parts" are
# looked at: a quote inside a JSON string is always escaped, so the key
# patterns below cannot match inside a file name.  Returns 1 when the
# verdict does not have the expected shape.
verdict_read() {
	m_head=$(sed -n '1{s/"parts":\[.*//;p;}' "$1")
	m_class=$(printf '%s\n' "$m_head" |
	    sed -n 's/.*"class":"\([a-z+-]*\)".*/\1/p')
	m_deletable=$(printf '%s\n' "$m_head" |
	    sed -n 's/.*"deletable":\([a-z]*\).*/\1/p')
	# ["A","B"] -> "A, B"; then only printable ASCII, no quote, at most
	# 200 bytes: the names go into an SMTP reply line.
	m_viruses=$(printf '%s\n' "$m_head" |
	    sed -n 's/.*"viruses":\[\([^]]*\)\].*/\1/p' |
	    sed 's/","/, /g; s/^"//; s/"$//' | LC_ALL=C tr -cd ' -~' |
	    tr -d '"\\' | cut -c 1-200)
	case $m_class in
	clean|body|attachments|body+some-attachments|body+all-attachments) ;;
	*) log "verdict has no class"; return 1 ;;
	esac
	case $m_deletable in
	true|false) ;;
	*) log "verdict has no deletable"; return 1 ;;
	esac
	[ -n "$m_viruses" ] || m_viruses=unknown
	return 0
}

# notify ROLE ADDRESS ACTION [-M]: compose with mail-notify and submit with
# sendmail as a null-sender local submission (it does not pass the filter
# again).  "nothing to send" (MX rule, auto-submitted or bulk original) is
# success; anything else that is not 0 is a failure the caller turns into
# a temporary failure, so the warning is never silently lost.
notify() {
	m_rc=0
	if [ "${4:-}" = -M ]; then
		# the sender's warning: -f for mail-notify's null-sender check,
		# -M for the MX rule
		tool mail-notify -r "$1" -t "$2" -v "$m_tmp/verdict" -a "$3" \
		    -f "${SENDER:-}" -M "$m_tmp/msg" <"$m_tmp/msg" \
		    >"$m_tmp/notice" || m_rc=$?
	else
		tool mail-notify -r "$1" -t "$2" -v "$m_tmp/verdict" -a "$3" \
		    "$m_tmp/msg" <"$m_tmp/msg" >"$m_tmp/notice" || m_rc=$?
	fi
	if [ "$m_rc" = 0 ]; then
		tool "$c_sendmail" -i -f '' -- "$2" <"$m_tmp/notice" || {
			log "sendmail failed for the $1 notice to <$2>"
			return 1
		}
		log "$1 notice sent to <$2> ($3)"
		return 0
	fi
	if [ "$m_rc" = "$EX_NOTHING" ]; then
		log "no $1 notice for <$2> (mail-notify: nothing to send)"
		return 0
	fi
	log "mail-notify -r $1 failed with status $m_rc"
	return 1
}

# mailav_setup SCRIPTNAME: common start of both pipelines.
mailav_setup() {
	m_prog=$1
	umask 077
	conf_load "${MAILAV_CONF:-/etc/mailav/mailav.conf}" ||
	    die_tempfail "configuration error"
	# the tools read the same file
	if [ -e "$m_conf" ]; then
		MAILAV_CONF=$m_conf
		export MAILAV_CONF
	fi
	[ -z "$c_bindir" ] || PATH=$c_bindir:$PATH
	PATH=$PATH:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
	export PATH
	m_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav.XXXXXXXX") ||
	    die_tempfail "cannot make a temporary directory"
	trap 'rm -rf "$m_tmp" 2>/dev/null' EXIT
	trap 'die_tempfail "killed by a signal"' HUP INT TERM
	cat >"$m_tmp/msg" || die_tempfail "cannot read the message"
}

# emit FILE: the message to deliver, on stdout, checked.
emit() {
	cat "$1" || die_tempfail "cannot write the message"
}

# The exit codes of the tools, from their man pages.
EX_NOTHING=10		# mail-notify: nothing to send (mailav(7) EXIT STATUS)
EX_NOADDR=11		# mail-notify: the notice cannot be addressed
EX_CANNOT=3		# mail-strip: infected content cannot be deleted
