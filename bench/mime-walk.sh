#!/bin/sh
# bench/mime-walk.sh: the MIME engine's readings of one big attachment
# (issue 16), measured with bench/mime-walk.c beside ripmime and mblaze's
# mshow -x, and mail-scan's peak memory on the same messages (embedded
# libclamav, and -c against a private clamd).  Writes section "mime-walk"
# of bench/RESULTS.md.  Never part of `make check`.
#
#   sh bench/mime-walk.sh            (after `make all`)
#   RUNS=7 SIZE=10 sh bench/mime-walk.sh
#
# Messages (made here, removed at the end): one attachment of SIZE MiB
# (default 50) of random bytes in base64 (76-character lines, as
# bench/run.sh makes them), and of text-like bytes with an escape about
# every 40 characters in quoted-printable; each with LF and with CRLF
# line ends.  Each command runs RUNS times (default 5), the commands of a
# message in turn (rotated, and backwards every other round), and the
# median is kept; mail-scan, for its peak memory, 3 times after them.  BASE_REF (default main; empty
# for none) is built from `git archive` and its engine measured the same
# way, as the "before" column.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
BIN=${MAILAV_BIN:-$TOP/build/bin}
OUT=${BENCH_OUT:-$TOP/bench/RESULTS.md}
RUNS=${RUNS:-5}
SIZE=${SIZE:-50}
BASE_REF=${BASE_REF-main}
CLAMD=${CLAMD:-/usr/sbin/clamd}
GTIME=/usr/bin/time
DB=$TOP/share/samples/db

for p in "$BIN/mail-scan" "$CLAMD" ripmime mshow "$GTIME" python3 cc; do
	command -v "$p" >/dev/null 2>&1 ||
	    { echo "bench/mime-walk.sh: $p is missing (make all;" \
	    "make bench-deps)" >&2; exit 1; }
done

. "$TOP/bench/lib.sh"
export MBLAZE="${TMPDIR:-/tmp}/mailav-mime-walk-mblaze.$$"

load0=$(cut -d ' ' -f 1-3 /proc/loadavg)
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- common bench/mime-walk.c || commit="$commit+changes"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-mime-walk.XXXXXX")
clamd_pid=
cleanup() {
	if [ -n "$clamd_pid" ]; then
		kill "$clamd_pid" 2>/dev/null || :
		wait "$clamd_pid" 2>/dev/null || :
	fi
	rm -rf "$tmp" "$MBLAZE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the walkers: this tree's engine, and BASE_REF's ----------------------
make -s build/libmailav.a
cc -O2 -std=c99 -D_DEFAULT_SOURCE -Icommon -o "$tmp/walk" \
    bench/mime-walk.c build/libmailav.a -lunistring
if [ -n "$BASE_REF" ]; then
	mkdir "$tmp/base"
	git archive "$BASE_REF" | tar -x -C "$tmp/base"
	make -s -C "$tmp/base" all >"$tmp/base.log" 2>&1 ||
	    { echo "bench/mime-walk.sh: building $BASE_REF failed" >&2
	    exit 1; }
	# This tree's bench/mime-walk.c: the walks are the same code paths.
	cc -O2 -std=c99 -D_DEFAULT_SOURCE -I"$tmp/base/common" \
	    -o "$tmp/walk-base" bench/mime-walk.c \
	    "$tmp/base/build/libmailav.a" -lunistring
	base_commit=$(git rev-parse --short "$BASE_REF")
fi

# --- the messages ----------------------------------------------------------
gen() {
	{
		printf 'From: bench <bench@example.org>\n'
		printf 'To: user@example.org\n'
		printf 'Subject: %s MiB attachment\n' "$SIZE"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="=_b0"\n\n'
		printf -- '--=_b0\nContent-Type: text/plain; charset=us-ascii\n\n'
		printf 'The attachment is random bytes.\n\n'
		printf -- '--=_b0\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="r.bin"\n'
		printf 'Content-Transfer-Encoding: %s\n\n' "$1"
		if [ "$1" = base64 ]; then
			head -c "$((SIZE * 1048576))" /dev/urandom | base64 -w 76
		else
			python3 -c '
import quopri, random, sys
r = random.Random(16)
al = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,\n"
chunk = bytearray()
while len(chunk) < 1 << 20:
    chunk += bytes(r.choice(al) for _ in range(39)) + bytes([r.randrange(128, 256)])
enc = quopri.encodestring(bytes(chunk[:1 << 20]))
for _ in range(int(sys.argv[1])):
    sys.stdout.buffer.write(enc)
' "$SIZE"
		fi
		printf -- '\n--=_b0--\n'
	} >"$2"
}
gen base64 "$tmp/b64-lf.eml"
gen quoted-printable "$tmp/qp-lf.eml"
for k in b64 qp; do
	sed 's/$/\r/' "$tmp/$k-lf.eml" >"$tmp/$k-crlf.eml"
done

# --- a private clamd on the small database, for mail-scan -c --------------
cat >"$tmp/clamd.conf" <<EOF
Foreground yes
LocalSocket $tmp/clamd.sock
DatabaseDirectory $DB
TemporaryDirectory $tmp
PidFile $tmp/clamd.pid
LogFile $tmp/clamd.log
StreamMaxLength 400M
MaxFileSize 400M
MaxScanSize 400M
MaxThreads 2
EOF
bench_clamd_start "$tmp/clamd.conf" "$tmp/clamd.sock" "$tmp/clamd.out" ||
    exit 1

# --- measuring ---------------------------------------------------------------
# one NAME CMD...: one run, a line "NAME wall cpu rss_kib engine_cpu" in
# $tmp/samples (cpu and engine_cpu: mime-walk's own figures when it is
# the command, to the microsecond; else time(1)'s, and -).
one() {
	o_name=$1
	shift
	o_rc=0
	"$GTIME" -f '%e %U %S %M' -o "$tmp/time" "$@" >"$tmp/stdout" \
	    2>"$tmp/stderr" || o_rc=$?
	case $o_rc in
	0|1) ;;
	*)
		tail -n 5 "$tmp/stderr" >&2
		echo "bench/mime-walk.sh: $o_name: exit $o_rc" >&2
		exit 1
		;;
	esac
	o_eng=$(sed -n 's/.* \([0-9.]*\) s CPU in the walks$/\1/p' \
	    "$tmp/stdout")
	o_all=$(sed -n 's/.* \([0-9.]*\) s CPU in all,.*/\1/p' \
	    "$tmp/stdout")
	awk -v n="$o_name" -v e="${o_eng:--}" -v a="$o_all" \
	    'END { printf "%s %s %s %s %s\n", n, $1,
	    a != "" ? a : sprintf("%.2f", $2 + $3), $4, e }' \
	    "$tmp/time" >>"$tmp/samples"
}

# The commands for message $1 (key $2) in round $3: rotated, and backwards
# in every other round, so that no command always follows the same one
# (a run after mail-scan -c paid for clamd's clean-up on the 2 CPUs).
round() {
	r_f=$1 r_k=$2 r_i=$3
	shift 3
	[ $# -gt 0 ] || set -- walk1 walk walkc walka base ripmime mshow
	r_n=$#
	r_j=0
	while [ "$r_j" -lt "$r_n" ]; do
		r_x=$(( (r_j + r_i / 2) % r_n ))
		[ $((r_i % 2)) -eq 0 ] || r_x=$((r_n - 1 - r_x))
		eval "r_c=\${$((r_x + 1))}"
		r_j=$((r_j + 1))
		case $r_c in
		walk1)	one "$r_k.walk1" "$tmp/walk" -1 "$r_f" ;;
		walk)	one "$r_k.walk" "$tmp/walk" "$r_f" ;;
		walkc)	one "$r_k.walkc" "$tmp/walk" -c "$r_f" ;;
		walka)	one "$r_k.walka" "$tmp/walk" -a "$r_f" ;;
		base)	[ -z "$BASE_REF" ] ||
			    one "$r_k.base" "$tmp/walk-base" "$r_f" ;;
		ripmime)
			rm -rf "$tmp/x"
			mkdir "$tmp/x"
			one "$r_k.ripmime" ripmime -q -i "$r_f" -d "$tmp/x" ;;
		mshow)
			rm -rf "$tmp/x"
			mkdir "$tmp/x"
			(cd "$tmp/x" && one "$r_k.mshow" mshow -x "$r_f") ;;
		scan)	one "$r_k.scan" "$BIN/mail-scan" -d "$DB" "$r_f" ;;
		scanc)	one "$r_k.scanc" "$BIN/mail-scan" -c "$tmp/clamd.sock" \
			    "$r_f" ;;
		esac
	done
}

: >"$tmp/samples"
# The engine's own figure for a tiny message: what mail-scan holds before
# any message (libraries, the small database).
for i in 1 2 3; do
	one tiny.walk "$tmp/walk" share/samples/clean.eml
	one tiny.scan "$BIN/mail-scan" -d "$DB" share/samples/clean.eml
	one tiny.scanc "$BIN/mail-scan" -c "$tmp/clamd.sock" \
	    share/samples/clean.eml
done
i=0
while [ "$i" -lt "$RUNS" ]; do
	for k in b64-lf b64-crlf qp-lf qp-crlf; do
		round "$tmp/$k.eml" "$k" "$i"
	done
	i=$((i + 1))
done
# mail-scan last, for its memory: each run apart from the walks.
i=0
while [ "$i" -lt 3 ]; do
	for k in b64-lf b64-crlf qp-lf qp-crlf; do
		round "$tmp/$k.eml" "$k" 0 scan scanc
		sleep 1
	done
	i=$((i + 1))
done
load1=$(cut -d ' ' -f 1-3 /proc/loadavg)
mkdir -p bench/out
cp "$tmp/samples" bench/out/mime-walk.samples

# Sizes: the message, and its largest decoded part (mail-scan's listing).
for k in b64-lf b64-crlf qp-lf qp-crlf; do
	"$BIN/mail-scan" -d "$DB" "$tmp/$k.eml" >"$tmp/list" || :
	printf '%s %s %s\n' "$k" "$(wc -c <"$tmp/$k.eml")" \
	    "$(awk -F '\t' '$5 + 0 > m { m = $5 + 0 } END { print m + 0 }' \
	    "$tmp/list")"
done >"$tmp/sizes"

# --- the report --------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
awk -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v commit="$commit" \
    -v base="${base_commit:-}" -v ref="$BASE_REF" -v load0="$load0" \
    -v load1="$load1" -v runs="$RUNS" -v size="$SIZE" -v cpu="$cpu" \
    -v ncpu="$(nproc)" -v rip="$(dpkg-query -W -f '${Version}' ripmime \
    2>/dev/null || echo '?')" -v mbl="$(dpkg-query -W -f '${Version}' \
    mblaze 2>/dev/null || echo '?')" -f bench/mime-walk.awk \
    "$tmp/sizes" "$tmp/samples" >"$tmp/section.md"
bench_install_section mime-walk "$tmp/section.md" "$OUT"
cat "$tmp/section.md"
echo "bench/mime-walk.sh: results in $OUT"
