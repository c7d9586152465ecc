#!/bin/bash
# bench/filter-cost.sh: what one run of share/mailav-receive and
# share/mailav-send costs per small clean message outside SMTP (no Postfix,
# no proxsmtpd: bench/pipeline.sh measures those), for the scripts of a git
# revision (default main) and of the working tree: program starts
# (strace -f, successful execve), wall and CPU milliseconds per message.
# Both against one private clamd on share/samples/db, so the scan itself
# is the same small cost for both.  Writes a section of bench/RESULTS.md.
#
# Usage: bench/filter-cost.sh [REVISION] [N]
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
REV=${1:-main}
N=${2:-200}
BIN=${MAILAV_BIN:-$TOP/build/bin}
W=$(mktemp -d /tmp/mailav-cost.XXXXXX)
trap 'kill "$(cat "$W/clamd.pid" 2>/dev/null)" 2>/dev/null || :; rm -rf "$W"' EXIT

command -v clamd >/dev/null || PATH=$PATH:/usr/sbin
mkdir -p "$W/old" "$W/db" "$W/tmp"
cp "$TOP"/share/samples/db/* "$W/db/"
for f in mailav-lib.sh mailav-send mailav-receive; do
	git -C "$TOP" show "$REV:share/$f" >"$W/old/$f"
done
chmod 755 "$W/old/mailav-send" "$W/old/mailav-receive"

cat >"$W/clamd.conf" <<EOF
LocalSocket $W/clamd.sock
DatabaseDirectory $W/db
PidFile $W/clamd.pid
Foreground no
LogFile $W/clamd.log
TemporaryDirectory $W/tmp
EOF
clamd -c "$W/clamd.conf"
for i in $(seq 1 100); do [ -S "$W/clamd.sock" ] && break; sleep 0.1; done
mkdir -p "$W/archive"
cat >"$W/mailav.conf" <<EOF
clamd = $W/clamd.sock
seen_dir = $W/seen
hostname = mx.example.org
syslog_socket = $W/nolog
archive_domains = archive.test
archive_maildir = $W/archive
sendmail = /bin/true
notify_templates = $TOP/share/templates
strip_templates = $TOP/share/templates
EOF
export MAILAV_CONF=$W/mailav.conf SENDER=alice@example.org
export RECIPIENTS=bob@example.net PATH=$BIN:$PATH TMPDIR=$W/tmp
MSG=$TOP/share/samples/clean.eml

# starts COMMAND...: successful execve calls of one run
starts() {
	SENDER=trace$RANDOM@example.org strace -f -qq -e trace=execve \
	    -o "$W/trace" "$@" <"$MSG" >/dev/null 2>&1 || :
	grep -c 'execve(.*= 0$' "$W/trace"
}

# per_msg COMMAND...: "wall_ms cpu_ms" per message over N runs
per_msg() {
	local t0 t1 c0 c1 me=$BASHPID
	t0=$(date +%s%N)
	c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$me/stat)
	# another sender each time: a message seen again is a retry, and
	# would be archived and notified only once
	for i in $(seq 1 "$N"); do
		SENDER=a$i@example.org "$@" <"$MSG" >/dev/null 2>&1
	done
	t1=$(date +%s%N)
	c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$me/stat)
	awk -v t=$((t1 - t0)) -v c=$((c1 - c0)) -v n="$N" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN {
		printf "%.1f %.1f\n", t / n / 1e6, c * 1000 / hz / n }'
}

out=$W/rows
# row SIDE WHAT MESSAGE RECIPIENT: the old and the new scripts, and the
# new ones behind mail-scan --front (the shipped FilterCommand)
row() {
	local side=$1 what=$2 v name
	local -a s
	MSG=$3
	RECIPIENTS=$4
	for v in old new front; do
		case $v in
		old) s=("$W/old/mailav-$side") name=$REV ;;
		new) s=("$TOP/share/mailav-$side") name="this tree" ;;
		front) s=("$BIN/mail-scan" --front "$TOP/share/mailav-$side")
			name="this tree, mail-scan --front" ;;
		esac
		"${s[@]}" <"$MSG" >/dev/null 2>&1 || [ "$what" != clean ] || {
			echo "${s[*]} failed on $MSG" >&2; exit 1; }
		n=$(starts "${s[@]}")
		set -- $(per_msg "${s[@]}")
		printf '| mailav-%s | %s | %s | %s | %s | %s |\n' "$side" \
		    "$what" "$name" "$n" "$1" "$2" >>"$out"
	done
}
S=$TOP/share/samples
row receive clean "$S/clean.eml" bob@example.net
row receive "clean, archive domain" "$S/clean.eml" carol@archive.test
row receive "infected attachment (stripped, 2 notices)" \
    "$S/infected-attachment.eml" bob@example.net
row send clean "$S/clean.eml" bob@example.net
# The unit the rows are made of: one program start that does nothing (on a
# virtual machine mostly the dynamic loader's CPUID probes, which trap).
set -- $(per_msg /bin/true)
printf '| /bin/true (one program start, for scale) | - | - | 1 | %s | %s |\n' \
    "$1" "$2" >>"$out"

{
	echo "<!-- filter-cost: written by bench/filter-cost.sh -->"
	echo "## The filters per clean message, outside SMTP"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average" \
	    "$(cut -d' ' -f1-3 /proc/loadavg) at the end; $N runs each of" \
	    "a share/samples message, mail-scan -c against one private clamd" \
	    "on share/samples/db, sendmail /bin/true for the notices, another" \
	    "envelope sender each run (the same envelope and message again is a" \
	    "retry: archived and notified once), hostname set (the tools of" \
	    "this tree otherwise ask postconf, the new scripts once an hour)." \
	    "Program" \
	    "starts: successful execve(2) under strace -f, the shell" \
	    "included.  CPU: the runs' user+system time (children included)."
	echo
	echo "| filter | message | scripts | program starts | wall ms/msg | CPU ms/msg |"
	echo "|---|---|---|---:|---:|---:|"
	cat "$out"
	echo "<!-- filter-cost: end -->"
} >"$W/section"
r=$TOP/bench/RESULTS.md
if grep -q '<!-- filter-cost: written' "$r"; then
	awk -v f="$W/section" '
	    /<!-- filter-cost: written/ { while ((getline l < f) > 0) print l; skip = 1; next }
	    /<!-- filter-cost: end -->/ { skip = 0; next }
	    !skip' "$r" >"$W/r" && cat "$W/r" >"$r"
else
	{ echo; cat "$W/section"; } >>"$r"
fi
cat "$W/section"
