#!/bin/sh
# bench/clamd.sh: mail-scan -c (the clamd backend) against clamdscan --stream
# on the same messages and the same clamd, one process per message as
# Postfix runs them; and what loading a big database costs the embedded
# engine (once per message) against clamd (once).  Writes
# bench/RESULTS-clamd.md and a pointer section ("clamd") in bench/RESULTS.md.
# Never part of `make check`.
#
#   sh bench/clamd.sh            (after `make all`; `make bench` runs it)
#   ROUNDS=3 sh bench/clamd.sh   (best of three passes; slower)
#   MS_BEFORE=/tmp/mail-scan.old sh bench/clamd.sh
#                                (also the peak memory of an earlier build)
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MAILAV_BIN:-$TOP/build/bin}
SHARED=$(cd "$TOP/../shared" 2>/dev/null && pwd || :)
OUT=${BENCH_CLAMD_OUT:-$TOP/bench/RESULTS-clamd.md}
MAINOUT=${BENCH_OUT:-$TOP/bench/RESULTS.md}
CLAMD=${CLAMD:-/usr/sbin/clamd}
GTIME=/usr/bin/time
ROUNDS=${ROUNDS:-1}
N1=${N1:-10}		# distinct messages with a 1 MiB attachment
N10=${N10:-3}		# ... 10 MiB
N50=${N50:-1}		# ... 50 MiB
CORPUS_MAX=${CORPUS_MAX:-0}	# first n corpus messages only (0: all)
HASHES=${HASHES:-2000000}
PATTERNS=${PATTERNS:-100000}

for p in "$BIN/mail-scan" "$CLAMD" /usr/bin/clamdscan "$GTIME" python3; do
	command -v "$p" >/dev/null 2>&1 ||
	    { echo "bench/clamd.sh: $p is missing (make all; make bench-deps)" >&2
	    exit 1; }
done

. "$TOP/bench/lib.sh"

load0=$(cut -d ' ' -f 1-3 /proc/loadavg)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-bench-clamd.XXXXXX")
clamd_pid=
cleanup() {
	if [ -n "$clamd_pid" ]; then
		kill "$clamd_pid" 2>/dev/null || :
		wait "$clamd_pid" 2>/dev/null || :
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }

# --- the database: ~2M MD5 hashes and 100k body patterns, plus the test
# database and EICAR so that verdicts mean something (bench/lib.sh) -------
bench_gendb "$tmp/db" "$HASHES" "$PATTERNS"
dbsize=$(du -sk "$tmp/db" | cut -f1)

# --- clamd, started once; its start-up time is the database load ----------
cat >"$tmp/clamd.conf" <<EOF
Foreground yes
LocalSocket $tmp/clamd.sock
DatabaseDirectory $tmp/db
TemporaryDirectory $tmp
PidFile $tmp/clamd.pid
LogFile $tmp/clamd.log
StreamMaxLength 200M
MaxThreads 4
EOF
bench_clamd_start "$tmp/clamd.conf" "$tmp/clamd.sock" "$tmp/clamd.out" ||
    exit 1
clamd_rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$clamd_pid/status")
sock=$tmp/clamd.sock

# --- the messages ---------------------------------------------------------
: >"$tmp/corpus.list"
if [ -n "$SHARED" ] && [ -f "$SHARED/corpus/MANIFEST.tsv" ]; then
	awk -F '\t' -v d="$SHARED/corpus" 'NR > 1 { print d "/" $1 "/" $2 }' \
	    "$SHARED/corpus/MANIFEST.tsv" >"$tmp/corpus.list"
	if [ "$CORPUS_MAX" -gt 0 ]; then
		head -n "$CORPUS_MAX" "$tmp/corpus.list" >"$tmp/c.list"
		mv "$tmp/c.list" "$tmp/corpus.list"
	fi
fi
# A text body and one base64 attachment of n MiB of random bytes.
genmsg() {
	{
		printf 'From: a@example.jp\nTo: b@example.jp\n'
		printf 'Subject: %s MiB\nMIME-Version: 1.0\n' "$1"
		printf 'Content-Type: multipart/mixed; boundary="b"\n\n'
		printf -- '--b\nContent-Type: text/plain\n\nhello\n\n--b\n'
		printf 'Content-Type: application/octet-stream; name="r.bin"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c "$(($1 * 1048576))" /dev/urandom | base64
		printf -- '--b--\n'
	} >"$2"
}
# Every message distinct, as real mail is: clamd remembers the hashes of
# clean content (its cache) and would answer a repeated one at once.
: >"$tmp/1mib.list"
: >"$tmp/10mib.list"
: >"$tmp/50mib.list"
for n in 1 10 50; do
	case $n in
	1) k=$N1;;
	10) k=$N10;;
	*) k=$N50;;
	esac
	i=0
	while [ "$i" -lt "$k" ]; do
		i=$((i + 1))
		genmsg "$n" "$tmp/m$n-$i.eml"
		echo "$tmp/m$n-$i.eml" >>"$tmp/${n}mib.list"
	done
done
printf 'From: a@example.jp\nTo: b@example.jp\nSubject: hi\n\nhello\n' \
    >"$tmp/small.eml"

printf 'LocalSocket %s\n' "$sock" >"$tmp/clamdscan.conf"

# Empty clamd's cache before each pass (RELOAD builds a new engine), so
# that no pass profits from the one before it.  Within one message
# mail-scan -c does profit from it, as it would in service: the attachment
# it sent as a part is not scanned again inside the whole-message backstop.
flush_cache() {
	before=$(grep -c 'Activating the newly loaded database' \
	    "$tmp/clamd.log" || :)
	clamdscan --reload --config-file="$tmp/clamdscan.conf" >/dev/null 2>&1
	i=0
	while :; do
		now_n=$(grep -c 'Activating the newly loaded database' \
		    "$tmp/clamd.log" || :)
		[ "$now_n" -le "$before" ] || break
		i=$((i + 1))
		if [ "$i" -gt 6000 ]; then
			echo "bench/clamd.sh: clamd did not reload" >&2
			exit 1
		fi
		sleep 0.1
	done
	sleep 1
}

# One pass of tool $1 (ms or cs) over list $2, one process per message under
# time(1) (about 1 ms each, the same for both): prints wall milliseconds,
# peak RSS in KiB, and the number of errors (exit status above 1).
pass() {
	flush_cache
	errs=0
	m=0
	s=$(now)
	while IFS= read -r f; do
		rc=0
		case $1 in
		ms) $GTIME -f %M -o "$tmp/rss" "$BIN/mail-scan" -c "$sock" \
		    "$f" >/dev/null 2>>"$tmp/err.ms" || rc=$?;;
		cs) $GTIME -f %M -o "$tmp/rss" clamdscan --stream \
		    --no-summary --config-file="$tmp/clamdscan.conf" "$f" \
		    >/dev/null 2>>"$tmp/err.cs" || rc=$?;;
		esac
		[ "$rc" -le 1 ] || errs=$((errs + 1))
		r=$(tail -n 1 "$tmp/rss")
		case $r in
		*[!0-9]*|'') ;;
		*) [ "$r" -le "$m" ] || m=$r;;
		esac
	done <"$2"
	e=$(now)
	echo "$(( (e - s) / 1000000 )) $m $errs"
}

bytes_of() {
	t=0
	while IFS= read -r f; do
		t=$((t + $(wc -c <"$f")))
	done <"$1"
	echo "$t"
}

row() {	# set-name list
	n=$(wc -l <"$2")
	[ "$n" -gt 0 ] || return 0
	b=$(bytes_of "$2")
	best_ms=; best_cs=; e_ms=0; e_cs=0; rss_ms=0; rss_cs=0
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		r=$((r + 1))
		# Alternate which goes first.
		if [ $((r % 2)) -eq 1 ]; then
			a=$(pass ms "$2"); c=$(pass cs "$2")
		else
			c=$(pass cs "$2"); a=$(pass ms "$2")
		fi
		# a and c are "ms rss errors": split on purpose.
		# shellcheck disable=SC2086
		set -- "$1" "$2" $a $c
		[ -n "$best_ms" ] && [ "$best_ms" -le "$3" ] || best_ms=$3
		[ "$rss_ms" -ge "$4" ] || rss_ms=$4
		e_ms=$((e_ms + $5))
		[ -n "$best_cs" ] && [ "$best_cs" -le "$6" ] || best_cs=$6
		[ "$rss_cs" -ge "$7" ] || rss_cs=$7
		e_cs=$((e_cs + $8))
	done
	awk -v name="$1" -v n="$n" -v b="$b" -v tm="$best_ms" -v tc="$best_cs" \
	    -v rm="$rss_ms" -v rc="$rss_cs" -v em="$e_ms" -v ec="$e_cs" 'BEGIN {
		if (tm < 1) tm = 1; if (tc < 1) tc = 1; if (rc < 1) rc = 1
		mps_m = n / (tm / 1000); mps_c = n / (tc / 1000)
		mb_m = b / 1048576 / (tm / 1000); mb_c = b / 1048576 / (tc / 1000)
		printf "| %s | %d | %.1f | %.2f / %.2f | %.2f | %.2f / %.2f | %.1f / %.1f | %.2f | %d / %d |\n",
		    name, n, b / 1048576, mps_m, mps_c, mps_m / mps_c,
		    mb_m, mb_c, rm / 1024, rc / 1024, rm / rc, em, ec
	}' >>"$tmp/rows"
}

: >"$tmp/rows"
: >"$tmp/err.ms"
: >"$tmp/err.cs"
row "shared corpus" "$tmp/corpus.list"
row "1 MiB attachment" "$tmp/1mib.list"
row "10 MiB attachment" "$tmp/10mib.list"
row "50 MiB attachment" "$tmp/50mib.list"

# --- engine load: embedded mail-scan loads the database per message --------
emb=$($GTIME -f '%e %M' -o "$tmp/emb" "$BIN/mail-scan" -d "$tmp/db" \
    "$tmp/small.eml" >/dev/null 2>"$tmp/emb.err" && cat "$tmp/emb" ||
    echo "error")
cli=$($GTIME -f '%e %M' -o "$tmp/cli" "$BIN/mail-scan" -c "$sock" \
    "$tmp/small.eml" >/dev/null 2>&1 && cat "$tmp/cli" || echo "error")
# --- peak memory against an earlier mail-scan (MS_BEFORE=path) -----------
# /usr/bin/time -v's "Maximum resident set size" of mail-scan -c on the
# first message of each size, this build and the one in MS_BEFORE.
: >"$tmp/mem"
if [ -n "${MS_BEFORE:-}" ]; then
	for n in 1 10 50; do
		f=$(head -n 1 "$tmp/${n}mib.list")
		[ -n "$f" ] || continue
		for b in before after; do
			p=$BIN/mail-scan
			[ "$b" = after ] || p=$MS_BEFORE
			$GTIME -v -o "$tmp/tv" "$p" -c "$sock" "$f" \
			    >/dev/null 2>&1 || :
			sed -n 's/^.*Maximum resident set size (kbytes): //p' \
			    "$tmp/tv" >"$tmp/rss.$b"
		done
		awk -v n="$n" -v msg="$(wc -c <"$f")" \
		    -v a="$(cat "$tmp/rss.before")" \
		    -v b="$(cat "$tmp/rss.after")" 'BEGIN {
			printf "| %d MiB attachment | %.1f | %.1f | %.1f | %.2f |\n",
			    n, msg / 1048576, a / 1024, b / 1024, b / a }' \
		    >>"$tmp/mem"
	done
fi
clamd_rss_after=$(awk '/^VmHWM:/ { print $2 }' "/proc/$clamd_pid/status")

{
	echo "## clamd: mail-scan -c against clamdscan --stream"
	echo
	echo "Written by \`bench/clamd.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')," \
	    "$(nproc) CPUs, $(uname -sr), $("$CLAMD" --version 2>/dev/null)."
	echo "Both clients talk to the same clamd over its Unix socket, one" \
	    "process per message (as Postfix runs a filter); best of $ROUNDS" \
	    "pass(es), clamd's cache emptied (RELOAD) before each pass, every" \
	    "message distinct.  Database: $HASHES MD5 hashes + $PATTERNS body patterns" \
	    "generated by the bench (plus test-6.cvd and the EICAR signatures)," \
	    "$((dbsize / 1024)) MiB on disk." \
	    "Load average (1, 5, 15 min) at the start: $load0; at the end:" \
	    "$(cut -d ' ' -f 1-3 /proc/loadavg) (other work on the machine" \
	    "makes the numbers noisy)."
	echo "mail-scan -c sends every decoded part, without waiting for each" \
	    "answer, and then the whole message (the backstop) over one" \
	    "IDSESSION connection; clamdscan sends the raw message once and" \
	    "clamd's own mail parser decodes it."
	echo
	echo "| messages | count | MiB | msg/s mail-scan -c / clamdscan |" \
	    "ratio | MiB/s mail-scan -c / clamdscan |" \
	    "peak RSS MiB mail-scan -c / clamdscan | RSS ratio |" \
	    "errors (all rounds) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	cat "$tmp/rows"
	echo
	echo "Ratios are mail-scan -c / clamdscan: above 1 for msg/s means" \
	    "mail-scan -c is faster; RSS is the client process only (clamd is" \
	    "shared by both)."
	echo
	cat <<'EOF'
Reading the numbers: a small message costs both clients mostly their own
start-up; mail-scan -c does not load libclamav (it opens it only for the
embedded engine), clamdscan does, which is worth about 10 ms a process.
mail-scan -c sends about 4 requests per corpus message (the parts, then
the whole message) against one for clamdscan, and clamd writes a
temporary file and sets up a scan for each; the parts go without waiting
for each answer, so they share clamd's threads.  On large attachments the
work is the same on both sides: the part is scanned when mail-scan -c sends
it, and clamd's cache of clean content (by MD5) spares scanning it again
inside the whole message, which is why the backstop goes only after the
parts are answered; what is left is sending the attachment twice and
mail-scan's own reading of the message, so the two meet.  mail-scan -c
holds the message in memory and sends a large attachment as it decodes
it, a few hundred KiB at a time (until 2026-12 it held a decoded copy of
the part besides: about 1.8 times the message); clamdscan streams the
file.  The embedded engine pays
the database load on every message; clamd pays it once (and twice the
memory for a moment while it reloads).
EOF
	echo
	if [ -s "$tmp/mem" ]; then
		echo "### Peak memory of mail-scan -c: $MS_BEFORE and this build"
		echo
		echo "| message | MiB | peak RSS MiB before | after | after / before |"
		echo "|---|---|---|---|---|"
		cat "$tmp/mem"
		echo
	fi
	echo "### Engine load cost"
	echo
	echo "| | time | peak RSS |"
	echo "|---|---|---|"
	if [ "$emb" = error ]; then
		echo "| embedded mail-scan -d (loads per message) | error: $(head -c 200 "$tmp/emb.err" | tr '\n|' '  ') | |"
	else
		echo "| embedded mail-scan -d, one small message (loads the database every time) | ${emb% *} s | $((${emb#* } / 1024)) MiB |"
	fi
	echo "| clamd start-up (loads the database once) | $((clamd_load_ms / 1000)).$(printf %03d $((clamd_load_ms % 1000))) s | $((clamd_rss_kb / 1024)) MiB after load, $((clamd_rss_after / 1024)) MiB peak after the runs |"
	if [ "$cli" != error ]; then
		echo "| mail-scan -c, the same message | ${cli% *} s | $((${cli#* } / 1024)) MiB |"
	fi
	echo
	if [ -s "$tmp/err.ms" ] || [ -s "$tmp/err.cs" ]; then
		echo "Error output (first lines):"
		echo
		echo '```'
		sort "$tmp/err.ms" | uniq -c | sort -rn | head -n 5
		sort "$tmp/err.cs" | uniq -c | sort -rn | head -n 5
		echo '```'
	fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"

# A pointer in bench/RESULTS.md, in a section of our own that bench/run.sh
# (section "mail-scan") keeps as it is; replaced on each run.
{
	echo "<!-- clamd: written by bench/clamd.sh -->"
	echo "## clamd"
	echo
	echo "mail-scan -c against clamdscan --stream, and the engine load cost:" \
	    "[RESULTS-clamd.md](RESULTS-clamd.md) ($(date -u '+%Y-%m-%d %H:%M UTC'))."
	echo
	echo "| messages | msg/s ratio mail-scan -c / clamdscan | peak RSS ratio |"
	echo "|---|---|---|"
	awk -F ' [|] ' '{ print "| " substr($1, 3) " | " $5 " | " $8 " |" }' \
	    "$tmp/rows"
	echo "<!-- clamd: end -->"
} >"$tmp/section.md"
bench_install_section clamd "$tmp/section.md" "$MAINOUT"
cat "$OUT"
