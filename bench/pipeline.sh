#!/bin/sh
# bench/pipeline.sh: the before-queue path end to end, mailav against
# clamav-milter on the same clamd, through a private Postfix, as issue 16
# measured it.  Writes its section ("pipeline") of bench/RESULTS.md.
# `make bench-pipeline` runs it (root: Postfix, proxsmtpd's User).
# Never part of `make check`.
#
# Everything runs under one temporary directory and listens on 127.0.0.1
# only, on ports the kernel hands out: one clamd (a generated database of
# HASHES + PATTERNS signatures, bench/lib.sh), a Postfix instance of its own
# (`postfix -c DIR`, its own queue, delivering every message to discard:),
# clamav-milter as Debian's clamav-milter.conf sets it up, and two proxsmtpd
# from share/proxsmtpd-receive.conf: one running share/mailav-receive (with
# mail-scan -c on the same clamd), one running `cat` (the floor of the
# design: the second smtpd session and a fork per message, no check).
# Postfix's smtpd listens once per filter:
#   none    no filter (what Postfix alone costs)
#   milter  smtpd_milters = clamav-milter
#   cat     smtpd_proxy_filter -> proxsmtpd (FilterCommand cat) -> return smtpd
#   catnd   the same with TCP_NODELAY on proxsmtpd's sockets (bench/nodelay.c,
#           LD_PRELOAD): how much of the floor is proxsmtpd 1.10's line by
#           line writes waiting for delayed ACKs, how much the design
#   mailav  smtpd_proxy_filter -> proxsmtpd (the shipped FilterCommand:
#           mail-scan --front mailav-receive) -> return smtpd; with
#           MAILAV_COMMAND=script, the script alone in its place (exec
#           mailav-receive -S, as shipped before mail-scan --front)
#   catqa, mailavqa  cat and mailav with `quickack 1` on the kernel's
#           route to 127.0.0.1 for the run (share/README, "Delayed ACKs"):
#           the setting an administrator can deploy against proxsmtpd
#           1.10's stalls.  The route is put back as it was after each run
#           and on exit (needs ip(8); the rows are left out without it).
#   catlq, mailavlq  the same proxsmtpd listening on 127.0.0.2, with
#           `quickack 1` on a route to 127.0.0.2 only for the run: Postfix
#           ACKs proxsmtpd's replies at once (no EHLO stall), the return
#           smtpd still delays its ACKs (the stall at the end of DATA stays,
#           and a long message is not sent one segment a line).
#   clamsmtp after the queue: content_filter -> clamsmtpd (Debian's
#           clamsmtpd.conf, its postfix.html) -> reinjection smtpd
# Load: Postfix's smtp-source, SMALL_N messages with SMALL_LEN bytes of body
# over SESSIONS parallel sessions, then BIG_N of BIG_LEN; one connection per
# message, as mail from the Internet mostly comes.  Each (load, filter) runs
# ROUNDS times, the filters in rotated order each round; the table gives
# medians.  Measured per run: accepted messages per second (smtp-source's
# wall time: a message counts when its DATA got 250), and CPU per message
# of three process trees read from /proc (utime + stime of every live
# member plus what it has reaped, before and after, the queue drained):
# clamd, the filter (clamav-milter, or proxsmtpd and every filter process
# it started), and Postfix (master and all its daemons).  A run in which
# Postfix did not deliver (discard) exactly the messages sent fails.
#
#   sh bench/pipeline.sh                     (after `make all`, as root)
#   ROUNDS=1 SMALL_N=200 BIG_N=50 sh bench/pipeline.sh   (a quick look)
#   HOLD=1 HASHES=1000 PATTERNS=100 sh bench/pipeline.sh  (set up, no runs)
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MAILAV_BIN:-$TOP/build/bin}
SHARED=$(cd "$TOP/../shared" 2>/dev/null && pwd || :)
OUT=${BENCH_OUT:-$TOP/bench/RESULTS.md}
CLAMD=${CLAMD:-/usr/sbin/clamd}
MILTER=${MILTER:-/usr/sbin/clamav-milter}
MILTER_CONF=${MILTER_CONF:-/etc/clamav/clamav-milter.conf}
HASHES=${HASHES:-2000000}
PATTERNS=${PATTERNS:-100000}
SMALL_N=${SMALL_N:-2000}
SMALL_LEN=${SMALL_LEN:-4096}
BIG_N=${BIG_N:-500}
BIG_LEN=${BIG_LEN:-102400}
SESSIONS=${SESSIONS:-10}
ROUNDS=${ROUNDS:-3}
FILTERS=${FILTERS:-none milter cat catnd catqa catlq mailav mailavqa mailavlq clamsmtp}
MAILAV_COMMAND=${MAILAV_COMMAND:-shipped}
CLAMSMTPD=${CLAMSMTPD:-/usr/sbin/clamsmtpd}
CLAMSMTPD_CONF=${CLAMSMTPD_CONF:-/etc/clamsmtpd.conf}
PATH=$PATH:/usr/sbin:/usr/lib/postfix/sbin

die() {
	echo "bench/pipeline.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (a Postfix instance, proxsmtpd User)"
for p in postfix smtp-source proxsmtpd swaks python3 timeout cc "$CLAMD" \
    "$MILTER" "$CLAMSMTPD" "$BIN/mail-scan" "$BIN/mail-strip" \
    "$BIN/mail-notify"; do
	command -v "$p" >/dev/null 2>&1 ||
	    die "$p is missing (make all; make bench-deps)"
done
[ -f "$MILTER_CONF" ] || die "$MILTER_CONF is missing (make bench-deps)"
[ -f "$CLAMSMTPD_CONF" ] || die "$CLAMSMTPD_CONF is missing (make bench-deps)"
[ -f /usr/share/postfix/master.cf.dist ] ||
    die "/usr/share/postfix/master.cf.dist is missing (Debian postfix)"

. "$TOP/bench/lib.sh"

load0=$(cut -d ' ' -f 1-3 /proc/loadavg)
tmp=$(mktemp -d /tmp/mailav-bench-pipe.XXXXXX)
chmod 755 "$tmp"
clamd_pid=
# quickack on|off: `quickack 1` on the local route to 127.0.0.1 (every TCP
# connection over it ACKs at once instead of waiting up to 40 ms for more
# data, RFC 1122 4.2.3.2), or the route as it was.  Only for the *qa runs.
qa_route=
if command -v ip >/dev/null 2>&1; then
	qa_route=$(ip -4 route show table local 127.0.0.1 2>/dev/null |
	    sed -n 's/ *$//; /^local 127\.0\.0\.1 /p' | sed 1q)
fi
# lq_route on|off: a route of its own to 127.0.0.2 with quickack 1, or
# none (there was none before: checked below).
lq_set=
lq_route() {
	case $1:$lq_set in
	on:*)
		ip route add local 127.0.0.2 dev lo table local quickack 1 ||
		    die "cannot add the quickack route to 127.0.0.2"
		lq_set=yes ;;
	off:yes)
		ip route del local 127.0.0.2 dev lo table local ||
		    echo "bench: cannot delete the route to 127.0.0.2" >&2
		lq_set= ;;
	esac
}
qa_set=
quickack() {
	[ -n "$qa_route" ] || return 0
	case $1:$qa_set in
	on:*)
		# shellcheck disable=SC2086
		ip route change $(echo "$qa_route" |
		    sed 's/ quickack [0-9]*//') quickack 1 table local ||
		    die "cannot set quickack on the route to 127.0.0.1"
		qa_set=yes ;;
	off:yes)
		# shellcheck disable=SC2086
		ip route change $qa_route table local ||
		    echo "bench: cannot put back the route: $qa_route" >&2
		qa_set= ;;
	esac
}
milter_pid=
cleanup() {
	set +e
	quickack off
	lq_route off
	postfix -c "$tmp/pf" stop >/dev/null 2>&1
	for f in "$tmp"/run/proxsmtpd-*.pid "$tmp/run/clamsmtpd.pid"; do
		[ -f "$f" ] && kill "$(sed -n 's/^ *//p' "$f")" 2>/dev/null
	done
	for p in $milter_pid $clamd_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	sleep 1
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/run" "$tmp/log" "$tmp/inst/bin" "$tmp/inst/share/mailav" \
    "$tmp/spool" \
    "$tmp/pf" "$tmp/queue" "$tmp/data"

# Ports from the kernel, released at once (a small race; bounded below).
set -- $(python3 -c '
import socket
s = [socket.socket() for _ in range(16)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
P_none=$1 P_milter=$2 P_cat=$3 P_mailav=$4 P_ret=$5 PX_cat=$6 PX_mailav=$7
P_catnd=$8 PX_catnd=$9 P_clamsmtp=${10} PX_clamsmtp=${11} P_reinj=${12}
P_catlq=${13} PX_catlq=${14} P_mailavlq=${15} PX_mailavlq=${16}

lq_ok=
[ -z "$qa_route" ] || [ -n "$(ip -4 route show table local 127.0.0.2)" ] ||
    lq_ok=yes
f=
for x in $FILTERS; do
	case $x:$qa_route:$lq_ok in
	*qa::*) echo "bench: no ip(8) or no local route to 127.0.0.1:" \
	    "leaving out $x" ;;
	*lq:*:) echo "bench: no ip(8), or a route to 127.0.0.2 is there" \
	    "already: leaving out $x" ;;
	*) f="$f $x" ;;
	esac
done
FILTERS=${f# }
# --- clamd ------------------------------------------------------------------
echo "bench: generating the database ($HASHES hashes, $PATTERNS patterns)"
bench_gendb "$tmp/db" "$HASHES" "$PATTERNS"
nsigs=$((HASHES + PATTERNS))
# As share/README sets clamd up for mailav (the limits of the embedded
# engine); the same daemon serves every filter.
cat >"$tmp/clamd.conf" <<EOF
Foreground yes
LocalSocket $tmp/clamd.sock
LocalSocketMode 666
DatabaseDirectory $tmp/db
TemporaryDirectory $tmp/spool
PidFile $tmp/run/clamd.pid
LogFile $tmp/log/clamd.log
StreamMaxLength 100M
MaxScanSize 1024M
MaxFileSize 1024M
MaxRecursion 17
MaxFiles 10000
MaxScanTime 120000
AlertExceedsMax yes
EOF
chmod 1777 "$tmp/spool"
bench_clamd_start "$tmp/clamd.conf" "$tmp/clamd.sock" "$tmp/log/clamd.out" ||
    exit 1
echo "bench: clamd loaded the database in $clamd_load_ms ms"

# --- clamav-milter: Debian's configuration, our sockets and files -----------
sed -e '/^MilterSocket /d' -e '/^ClamdSocket /d' -e '/^Foreground /d' \
    -e '/^PidFile /d' -e '/^LogFile /d' -e '/^User /d' \
    -e '/^MilterSocketGroup /d' -e '/^TemporaryDirectory /d' \
    -e 's/^OnInfected .*/OnInfected Reject/' "$MILTER_CONF" >"$tmp/milter.conf"
cat >>"$tmp/milter.conf" <<EOF
MilterSocket unix:$tmp/run/milter.sock
ClamdSocket unix:$tmp/clamd.sock
Foreground yes
PidFile $tmp/run/milter.pid
LogFile $tmp/log/milter.log
TemporaryDirectory $tmp/spool
EOF
"$MILTER" -c "$tmp/milter.conf" >"$tmp/log/milter.out" 2>&1 &
milter_pid=$!

# --- mailav-receive and the tools: an installation under $tmp/inst (as
# `make install PREFIX=...` lays it out: the scripts find bin/ beside
# share/mailav), copies that the filter user can read -----------------------
cp -p "$TOP"/share/mailav-* "$tmp/inst/share/mailav/"
cp -R "$TOP/share/templates" "$tmp/inst/share/mailav/"
cp -p "$BIN/mail-scan" "$BIN/mail-strip" "$BIN/mail-notify" "$tmp/inst/bin/"
cat >"$tmp/mailav.conf" <<EOF
# bench/pipeline.sh
clamd = $tmp/clamd.sock
admin_address = postmaster@bench.test
notify_from = virus-check@bench.test
notify_local_addresses = 127.0.0.1
notify_templates = $tmp/inst/share/mailav/templates
strip_templates = $tmp/inst/share/mailav/templates
filter_timeout = 60
# as installed: seen_dir's default is /var/spool/mailav/seen, in the
# filter user's TempDirectory; without a usable one every message warns
# and every tool asks postconf for the host name (4 ms CPU each here)
seen_dir = $tmp/spool/seen
EOF
chmod -R a+rX "$tmp/inst" "$tmp/mailav.conf"

# --- Postfix ----------------------------------------------------------------
chown postfix "$tmp/data"
cat >"$tmp/pf/main.cf" <<EOF
# bench/pipeline.sh: every message is accepted and discarded
compatibility_level = 3.6
queue_directory = $tmp/queue
data_directory = $tmp/data
maillog_file = $tmp/log/maillog
maillog_file_prefixes = $tmp/log
myhostname = mx.bench.test
mydomain = bench.test
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = discard:bench
relay_transport = discard:bench
biff = no
readme_directory = no
smtputf8_enable = no
smtpd_tls_security_level = none
smtpd_proxy_timeout = 300s
smtpd_authorized_xforward_hosts = 127.0.0.0/8
milter_default_action = tempfail
EOF
# The filters as share/postfix/master.cf and Debian's clamav-milter docs
# set them up: svc LISTEN SERVICE [FROM TO] prints SERVICE's entry of
# share/postfix/master.cf listening on LISTEN, with FROM replaced by TO
# in its -o lines, chroot off (the instance lives in a temporary
# directory).
svc() {
	awk -v listen="$1" -v name="$2" -v from="${3:-}" -v to="${4:-}" '
	    /^[^# \t]/ { inblk = $1 == name && $2 == "inet"
		if (inblk) print listen " inet n - n - - smtpd"; next }
	    inblk && /^[ \t]+-o / {
		if (from != "" && (i = index($0, from)) > 0)
			$0 = substr($0, 1, i - 1) to \
			    substr($0, i + length(from))
		print }' "$TOP/share/postfix/master.cf"
}
{
	echo "127.0.0.1:$P_none inet n - n - - smtpd"
	echo "127.0.0.1:$P_milter inet n - n - - smtpd"
	echo "  -o smtpd_milters=unix:$tmp/run/milter.sock"
	for f in cat catnd mailav; do
		svc "127.0.0.1:$(eval echo "\$P_$f")" smtp 127.0.0.1:10025 \
		    "127.0.0.1:$(eval echo "\$PX_$f")"
	done
	for f in catlq mailavlq; do
		svc "127.0.0.1:$(eval echo "\$P_$f")" smtp 127.0.0.1:10025 \
		    "127.0.0.2:$(eval echo "\$PX_$f")"
	done
	svc "127.0.0.1:$P_ret" 127.0.0.1:10026
	# clamsmtp's postfix.html, its content_filter on our port only.
	cat <<EOF
127.0.0.1:$P_clamsmtp inet n - n - - smtpd
  -o content_filter=scan:127.0.0.1:$PX_clamsmtp
  -o receive_override_options=no_address_mappings
scan unix - - n - 16 smtp
  -o smtp_send_xforward_command=yes
127.0.0.1:$P_reinj inet n - n - 16 smtpd
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks
  -o smtpd_helo_restrictions=
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o mynetworks_style=host
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
EOF
	# Postfix's own daemons as its master.cf.dist has them, less the
	# pipe(8) examples, chroot off.
	awk '/^#/ || /^$/ { next }
	    /^[ \t]/ { if (keep) print; next }
	    { keep = $2 != "inet" && $8 != "pipe"
	      if (keep) { $5 = "n"; print } }' /usr/share/postfix/master.cf.dist
} >"$tmp/pf/master.cf"
postfix -c "$tmp/pf" start >"$tmp/log/postfix.out" 2>&1 ||
    { cat "$tmp/log/postfix.out" >&2; die "Postfix did not start"; }

# --- proxsmtpd: share/proxsmtpd-receive.conf with our ports and paths -------
cc -shared -fPIC -O2 -o "$tmp/run/nodelay.so" "$TOP/bench/nodelay.c" -ldl ||
    die "cannot build bench/nodelay.c"
# proxy NAME LISTEN COMMAND [PRELOAD]: a proxsmtpd from the shipped file;
# COMMAND "shipped" keeps its FilterCommand (with its options) and runs the
# copy of share/ here.
# The filters get the PATH of a system service, not the caller's.
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
proxy() {
	while IFS= read -r line; do
		case $3:$line in
		shipped:FilterCommand:*/usr/local/*)
			# every /usr/local/ (mail-scan and the script)
			while :; do
				case $line in
				*/usr/local/*) ;;
				*) break ;;
				esac
				line="${line%%/usr/local/*}$tmp/inst/${line#*/usr/local/}"
			done ;;
		script:FilterCommand:*)
			line="FilterCommand: exec $tmp/inst/share/mailav/mailav-receive -S" ;;
		*:FilterCommand:*) line="FilterCommand: $3" ;;
		*:Listen:*) line="Listen: $2" ;;
		*:OutAddress:*) line="OutAddress: 127.0.0.1:$P_ret" ;;
		*:TempDirectory:*) line="TempDirectory: $tmp/spool" ;;
		*:User:*) line="User: nobody" ;;
		esac
		printf '%s\n' "$line"
	done <"$TOP/share/proxsmtpd-receive.conf" >"$tmp/run/proxsmtpd-$1.conf"
	# DEBUG=1: in the foreground, its log (and the filters' stderr) in
	# $tmp/log (with KEEP=1 to keep it).
	if [ -n "${DEBUG:-}" ]; then
		PATH=$SYSPATH MAILAV_CONF=$tmp/mailav.conf LD_PRELOAD=${4:-} \
		    proxsmtpd -d 4 -f "$tmp/run/proxsmtpd-$1.conf" </dev/null \
		    >"$tmp/log/proxsmtpd-$1" 2>&1 &
		echo "$!" >"$tmp/run/proxsmtpd-$1.pid"
		return 0
	fi
	PATH=$SYSPATH MAILAV_CONF=$tmp/mailav.conf LD_PRELOAD=${4:-} \
	    proxsmtpd -f "$tmp/run/proxsmtpd-$1.conf" \
	    -p "$tmp/run/proxsmtpd-$1.pid" </dev/null \
	    >"$tmp/log/proxsmtpd-$1" 2>&1
}
chmod 1777 "$tmp/run"
# The floor as cheap as proxsmtpd allows: it runs FilterCommand with
# sh -c, and exec saves the shell's fork (as the shipped file does).
proxy cat "127.0.0.1:$PX_cat" "exec cat"
proxy catnd "127.0.0.1:$PX_catnd" "exec cat" "$tmp/run/nodelay.so"
proxy mailav "127.0.0.1:$PX_mailav" "$MAILAV_COMMAND"
proxy catlq "127.0.0.2:$PX_catlq" "exec cat"
proxy mailavlq "127.0.0.2:$PX_mailavlq" "$MAILAV_COMMAND"
# clamsmtpd: Debian's clamsmtpd.conf with our ports, clamd and files.
while IFS= read -r line; do
	case $line in
	OutAddress:*) line="OutAddress: 127.0.0.1:$P_reinj" ;;
	Listen:*) line="Listen: 127.0.0.1:$PX_clamsmtp" ;;
	ClamAddress:*) line="ClamAddress: $tmp/clamd.sock" ;;
	TempDirectory:*) line="TempDirectory: $tmp/spool" ;;
	PidFile:*) line="PidFile: $tmp/run/clamsmtpd.pid" ;;
	User:*) line="User: nobody" ;;
	esac
	printf '%s\n' "$line"
done <"$CLAMSMTPD_CONF" >"$tmp/run/clamsmtpd.conf"
PATH=$SYSPATH "$CLAMSMTPD" -f "$tmp/run/clamsmtpd.conf" </dev/null \
    >"$tmp/log/clamsmtpd" 2>&1
grep -q "^FilterCommand: exec \\($tmp/inst/bin/mail-scan --front \\)\\{0,1\\}$tmp/inst/share/mailav/mailav-receive -S\$" \
    "$tmp/run/proxsmtpd-mailav.conf" ||
    die "share/proxsmtpd-receive.conf: FilterCommand is not" \
    "exec /usr/local/bin/mail-scan --front" \
    "/usr/local/share/mailav/mailav-receive -S"

i=0
until [ -S "$tmp/run/milter.sock" ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || { cat "$tmp/log/milter.out" >&2;
	    die "clamav-milter did not start"; }
	sleep 0.1
done
# Bounded: 10 s a port.
wait_port() {
	python3 - "$1" "${2:-127.0.0.1}" <<'EOF' ||
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection((sys.argv[2], int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
	    die "nothing listens on ${2:-127.0.0.1}:$1"
}
for p in $P_none $P_milter $P_cat $P_catnd $P_mailav $P_ret $PX_cat \
    $PX_catnd $PX_mailav $P_clamsmtp $PX_clamsmtp $P_reinj $P_catlq \
    $P_mailavlq; do
	wait_port "$p"
done
wait_port "$PX_catlq" 127.0.0.2
wait_port "$PX_mailavlq" 127.0.0.2
for f in proxsmtpd-cat proxsmtpd-catnd proxsmtpd-mailav proxsmtpd-catlq \
    proxsmtpd-mailavlq clamsmtpd; do
	i=0
	until [ -s "$tmp/run/$f.pid" ]; do
		i=$((i + 1))
		[ "$i" -le 50 ] || die "$f has no pid"
		sleep 0.1
	done
done

# --- the process trees whose CPU is counted ---------------------------------
# port_of FILTER: the Postfix port of FILTER (a *qa row uses its base's).
port_of() {
	eval echo "\$P_${1%qa}"
}
filter_pid() {
	case ${1%qa} in
	none) echo 0 ;;
	milter) echo "$milter_pid" ;;
	clamsmtp) sed -n 's/^ *//p' "$tmp/run/clamsmtpd.pid" ;;
	*) cat "$tmp/run/proxsmtpd-${1%qa}.pid" ;;
	esac
}
master_pid() {
	sed -n 's/^ *//p' "$tmp/queue/pid/master.pid"
}
# cpu PID...: CPU milliseconds of each tree: every live (or zombie) process
# under PID, PID included, utime + stime + what it reaped (cutime +
# cstime); a process that exits and is reaped inside the tree moves from
# the first sum to the second, so each CPU second is counted once.
cpu() {
	python3 - "$@" <<'EOF'
import os, sys
tck = os.sysconf('SC_CLK_TCK')
st = {}
for d in os.listdir('/proc'):
    if not d.isdigit():
        continue
    try:
        with open('/proc/%s/stat' % d) as f:
            s = f.read()
    except OSError:
        continue
    v = s[s.rindex(')') + 2:].split()
    # after the name: state ppid ... utime(14) stime cutime cstime
    st[int(d)] = (int(v[1]), sum(int(x) for x in v[11:15]))
kids = {}
for p, (pp, _) in st.items():
    kids.setdefault(pp, []).append(p)
out = []
for root in map(int, sys.argv[1:]):
    t, todo = 0, [root] if root in st else []
    while todo:
        p = todo.pop()
        t += st[p][1]
        todo.extend(kids.get(p, []))
    out.append(str(t * 1000 // tck))
print(' '.join(out))
EOF
}
# Messages discard(8) took since byte $1 of the log ("status=sent (bench)",
# the next hop of default_transport: not the hand-over to a content
# filter, which is also "sent").
sent_count() {
	tail -c +"$(($1 + 1))" "$tmp/log/maillog" |
	    grep -c ' status=sent (bench)' || :
}
log_size() {
	wc -c <"$tmp/log/maillog"
}

# --- a check that each path scans (or does not) what it should -------------
printf '%s%s\n' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD' \
    '-ANTIVIRUS-TEST-FILE!$H+H*' \
    >"$tmp/eicar.txt"
check_path() {	# filter expected-first-digit-for-EICAR
	out=$(timeout 120 swaks --server 127.0.0.1 --port "$(port_of "$1")" \
	    --helo client.bench.test --from a@client.test \
	    --to user@remote.test --body @"$tmp/eicar.txt" \
	    --timeout 100 2>&1) || :
	reply=$(printf '%s\n' "$out" | awk '
	    seen && /^ *<(-|\*\*) / { sub(/^ *<(-|\*\*) +/, ""); print; exit }
	    /^ *-> \.$/ { seen = 1 }')
	case $reply in
	"$2"*) ;;
	*) printf '%s\n' "$out" >&2
	   die "$1: EICAR got \"$reply\", expected $2xx";;
	esac
}
echo "bench: checking that milter and mailav refuse EICAR, clamsmtp drops" \
    "it after the queue, cat and none pass it"
n_checks=0
for f in $FILTERS; do
	case $f in
	*qa) ;;
	milter|mailav|mailavlq) check_path "$f" 5 ;;
	clamsmtp) check_path "$f" 2 ;;
	*) check_path "$f" 2; n_checks=$((n_checks + 1)) ;;
	esac
done
i=0
while [ "$(sent_count 0)" -lt "$n_checks" ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || die "the check messages were not delivered"
	sleep 0.1
done
sleep 2
[ "$(sent_count 0)" = "$n_checks" ] ||
    die "EICAR was delivered through a filter that should have stopped it"

# HOLD=1: no runs; the setup stays up (ports in $tmp/ports) until
# $tmp/hold is removed, for strace and one-off measurements by hand.
if [ -n "${HOLD:-}" ]; then
	for f in none milter cat catnd catlq mailav mailavlq clamsmtp; do
		echo "$f $(eval echo "\$P_$f") $(filter_pid "$f")"
	done >"$tmp/ports"
	echo "ret $P_ret" >>"$tmp/ports"
	: >"$tmp/hold"
	echo "bench: holding; ports in $tmp/ports; rm $tmp/hold to stop"
	while [ -f "$tmp/hold" ]; do
		sleep 1
	done
	exit 0
fi

# --- the runs ---------------------------------------------------------------
# run FILTER N LEN: one smtp-source run; appends "filter len n wall_ms
# clamd_ms filter_ms postfix_ms delivered load1 delivered_ms" to
# $tmp/runs (wall_ms: all accepted; delivered_ms: all delivered).
run() {
	fp=$(filter_pid "$1")
	mp=$(master_pid)
	off=$(log_size)
	case $1 in
	*qa) quickack on ;;
	*lq) lq_route on ;;
	esac
	set -- "$1" "$2" "$3" $(cpu "$clamd_pid" "$fp" "$mp")
	t0=$(date +%s%N)
	rc=0
	# Bounded: 2 minutes and a second a message.
	timeout $((120 + $2)) nice smtp-source -s "$SESSIONS" -m "$2" -l "$3" \
	    -f sender@client.test -t user@remote.test -M client.bench.test \
	    "127.0.0.1:$(port_of "$1")" >"$tmp/log/source" 2>&1 || rc=$?
	t1=$(date +%s%N)
	[ "$rc" = 0 ] || { cat "$tmp/log/source" >&2;
	    die "$1: smtp-source failed (exit $rc)"; }
	# The queue drains (delivery to discard: counts as Postfix's work),
	# in at most 5 minutes.
	i=0
	while [ "$(sent_count "$off")" -lt "$2" ]; do
		i=$((i + 1))
		[ "$i" -le 3000 ] || break
		sleep 0.1
	done
	t2=$(date +%s%N)
	quickack off
	lq_route off
	sleep 0.5
	got=$(sent_count "$off")
	set -- "$@" $(cpu "$clamd_pid" "$fp" "$mp")
	echo "$1 $3 $2 $(( (t1 - t0) / 1000000 )) $(($7 - $4)) $(($8 - $5))" \
	    "$(($9 - $6)) $got $(cut -d ' ' -f 1 /proc/loadavg)" \
	    "$(( (t2 - t0) / 1000000 ))" >>"$tmp/runs"
	printf '  %-8s %4d x %6d B: %6.1f msg/s, delivered %d, load %s\n' \
	    "$1" "$2" "$3" "$(awk -v n="$2" -v t="$(( (t1 - t0) / 1000000 ))" \
	    'BEGIN { print n / (t > 0 ? t : 1) * 1000 }')" "$got" \
	    "$(cut -d ' ' -f 1 /proc/loadavg)"
	[ "$got" = "$2" ] || die "$1: $2 sent, $got delivered"
}

: >"$tmp/runs"
nf=$(echo $FILTERS | wc -w)
for load in "$SMALL_N $SMALL_LEN" "$BIG_N $BIG_LEN"; do
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		# Rotate: round r starts with the (r mod nf)-th filter.
		set -- $FILTERS
		k=$((r % nf))
		while [ "$k" -gt 0 ]; do
			f=$1
			shift
			set -- "$@" "$f"
			k=$((k - 1))
		done
		echo "bench: round $((r + 1)) of $ROUNDS, $load"
		for f in "$@"; do
			# shellcheck disable=SC2086
			run "$f" $load
		done
		r=$((r + 1))
	done
done
load1=$(cut -d ' ' -f 1-3 /proc/loadavg)
mkdir -p "$TOP/bench/out"
cp "$tmp/runs" "$TOP/bench/out/pipeline.runs"

# --- the table --------------------------------------------------------------
awk -v small="$SMALL_LEN" -v sn="$SMALL_N" -v bn="$BIG_N" -v ses="$SESSIONS" \
    -v filters="$FILTERS" '
function med(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1 SUBSEP $2; c = ++cnt[k]
	rate[k, c] = $3 / ($4 / 1000); cd[k, c] = $5 / $3; fl[k, c] = $6 / $3
	pf[k, c] = $7 / $3; tot[k, c] = ($5 + $6 + $7) / $3
	ld[k, c] = $9; lost[k] += $3 - $8; dr[k, c] = $3 / ($10 / 1000)
	if (!(($2) in seenlen)) { seenlen[$2] = 1; lens[++nl] = $2 }
}
END {
	nfl = split(filters, F, " ")
	name["none"] = "Postfix alone (no filter)"
	name["milter"] = "clamav-milter"
	name["cat"] = "floor: proxsmtpd + `cat`"
	name["catnd"] = "floor, TCP_NODELAY on the proxsmtpd sockets"
	name["mailav"] = "**mailav-receive via proxsmtpd**"
	name["catqa"] = "floor, `quickack 1` on the route to 127.0.0.1"
	name["mailavqa"] = "**mailav-receive, `quickack 1` on the route**"
	name["catlq"] = "floor, proxsmtpd on 127.0.0.2 with `quickack 1` on its route"
	name["mailavlq"] = "**mailav-receive, proxsmtpd on 127.0.0.2, `quickack 1` there**"
	name["clamsmtp"] = "clamsmtp (after the queue)"
	print "| load | filter | messages/s accepted | delivered/s |" \
	    " x clamav-milter (accepted) |" \
	    " CPU ms per message: total (clamd / filter / Postfix) |" \
	    " CPU x clamav-milter | load average (1 min) during the runs |" \
	    " lost |"
	print "|---|---|---:|---:|---:|---|---:|---|---:|"
	for (l = 1; l <= nl; l++) {
		len = lens[l]
		for (i = 1; i <= nfl; i++) {
			k = F[i] SUBSEP len; n = cnt[k]
			for (c = 1; c <= n; c++) {
				a1[c] = rate[k, c]; a2[c] = cd[k, c]
				a3[c] = fl[k, c]; a4[c] = pf[k, c]
				a5[c] = tot[k, c]; a6[c] = dr[k, c]
			}
			R[F[i]] = med(a1, n); T[F[i]] = med(a5, n)
			D[F[i]] = med(a6, n)
			C[F[i]] = sprintf("%.1f (%.1f / %.1f / %.1f)", T[F[i]],
			    med(a2, n), med(a3, n), med(a4, n))
			L[F[i]] = ""
			for (c = 1; c <= n; c++)
				L[F[i]] = L[F[i]] (c > 1 ? ", " : "") ld[k, c]
		}
		for (i = 1; i <= nfl; i++) {
			f = F[i]; k = f SUBSEP len
			first = ""
			if (i == 1)
				first = sprintf("%d x %d KB, %d sessions",
				    len == small ? sn : bn, len / 1024, ses)
			xr = xc = "-"
			if (("milter" in R) && R["milter"] > 0)
				xr = sprintf("%.2f", R[f] / R["milter"])
			if (("milter" in T) && T["milter"] > 0)
				xc = sprintf("%.1f", T[f] / T["milter"])
			printf "| %s | %s | %.1f | %.1f | %s | %s | %s | %s | %d |\n",
			    first, name[f], R[f], D[f], xr, C[f], xc, L[f], lost[k]
		}
	}
}' "$tmp/runs" >"$tmp/table"

{
	echo "<!-- pipeline: written by bench/pipeline.sh -->"
	echo "## pipeline: the before-queue path through a private Postfix"
	echo
	echo "Written by \`bench/pipeline.sh\` (\`make bench-pipeline\`) on" \
	    "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -sr)," \
	    "Postfix $(postconf -d -h mail_version), $("$CLAMD" --version)," \
	    "proxsmtpd $(proxsmtpd -v 2>&1 | head -n 1 | sed 's/^[^0-9]*//')." \
	    "One clamd ($nsigs generated signatures plus test-6.cvd and" \
	    "EICAR, loaded in $((clamd_load_ms / 1000)).$(printf %03d \
	    $((clamd_load_ms % 1000))) s) serves clamav-milter and mail-scan -c;" \
	    "a private Postfix delivers to \`discard:\`; load from" \
	    "\`smtp-source -s $SESSIONS\`, one connection per message" \
	    "(the same body in every message, headers differ); medians of" \
	    "$ROUNDS rotated runs; CPU from /proc of the clamd, filter and" \
	    "Postfix process trees, queue drained.  mailav rows: FilterCommand" \
	    "$(sed -n 's/^FilterCommand: //p' "$tmp/run/proxsmtpd-mailav.conf" |
	    sed "s|$tmp/inst/|/usr/local/|g")." \
	    "Load average (1, 5, 15" \
	    "min) at the start: $load0; at the end: $load1 (the machine is" \
	    "shared: figures are noisy)."
	echo
	cat "$tmp/table"
	echo
	echo "\"x clamav-milter\" divides by clamav-milter's figure for the" \
	    "same load.  Issue 16's targets for mailav: CPU per small clean" \
	    "message at most 3.5x clamav-milter's, accepted messages per" \
	    "second at least 0.33x for small mail and 0.75x for 100 KB mail." \
	    "The floor row is what the proxsmtpd design costs before any" \
	    "check (the second smtpd session, a fork per message); the" \
	    "TCP_NODELAY row is the same with bench/nodelay.c preloaded into" \
	    "proxsmtpd (not a setup to deploy: it shows how much of the" \
	    "floor is proxsmtpd 1.10 writing line by line and waiting for" \
	    "the peer's delayed ACK, about 40 ms twice per message); the" \
	    "quickack rows are the same filters with \`quickack 1\` on the" \
	    "kernel's route to 127.0.0.1 during their runs (both stalls go;" \
	    "every line proxsmtpd writes is then a segment of its own), the" \
	    "127.0.0.2 rows with proxsmtpd listening on 127.0.0.2 and" \
	    "\`quickack 1\` on a route to that address only (the EHLO stall" \
	    "goes, the one at the end of DATA stays): the settings" \
	    "share/README gives an administrator against those stalls."
	echo "<!-- pipeline: end -->"
} >"$tmp/section.md"
bench_install_section pipeline "$tmp/section.md" "$OUT"
cat "$tmp/section.md"
