#!/bin/sh
# bench/strip.sh: mail-strip beside altermime --remove, removing the same
# attachment from the same messages, reported as ratios in
# bench/RESULTS-strip.md.  Never part of `make check`; run after `make all`
# (altermime: `make bench-deps`).
#
# Messages are generated here: a text body, one base64 attachment of random
# bytes of 1, 10 and 50 MiB ("victim.bin", the one removed) and a small
# attachment that stays.  Both tools read the message on stdin and write the
# result to stdout, one process per message.  Each command runs BENCH_RUNS
# times (default 5); the best wall and CPU time and the highest peak RSS
# (/usr/bin/time) are kept.  The outputs are checked: the attachment is
# gone and the other one is still there.
#
# Environment: BENCH_RUNS, BENCH_SIZES (MiB, default "1 10 50"),
# BENCH_STRIP_OUT (default bench/RESULTS-strip.md).
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
runs=${BENCH_RUNS:-5}
sizes=${BENCH_SIZES:-1 10 50}
out=${BENCH_STRIP_OUT:-bench/RESULTS-strip.md}
strip=$top/build/bin/mail-strip

die() {
	echo "bench/strip.sh: $*" >&2
	exit 1
}

[ -x "$strip" ] || die "$strip is missing: run make all"
for t in altermime /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || die "$t is missing: make bench-deps"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-bench-strip.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
res=$tmp/results
: >"$res"
printf 'strip_templates = %s/share/templates\n' "$top" >"$tmp/mailav.conf"
export MAILAV_CONF="$tmp/mailav.conf"

gen() {
	{
		printf 'From: bench <bench@example.org>\n'
		printf 'To: user@example.org\n'
		printf 'Subject: %s MiB attachment to remove\n' "$1"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="=_b0"\n\n'
		printf -- '--=_b0\nContent-Type: text/plain; charset=us-ascii\n\n'
		printf 'The first attachment is random bytes.\n\n'
		printf -- '--=_b0\nContent-Type: application/octet-stream;'
		printf ' name="victim.bin"\n'
		printf 'Content-Disposition: attachment; filename="victim.bin"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c "$(($1 * 1048576))" /dev/urandom | base64 -w 76
		printf -- '\n--=_b0\nContent-Type: text/plain; name="keep.txt"\n'
		printf 'Content-Disposition: attachment; filename="keep.txt"\n\n'
		printf 'This attachment stays.\n'
		printf -- '--=_b0--\n'
	} >"$2"
}

# measure NAME INPUT CMD...: best wall and CPU seconds, highest RSS (KiB).
measure() {
	name=$1
	in=$2
	shift 2
	i=0
	while [ "$i" -lt "$runs" ]; do
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" \
		    <"$in" >"$tmp/out.$name" 2>"$tmp/err" ||
		    die "$name: exit $? ($(tail -n 1 "$tmp/err"))"
		tail -n 1 "$tmp/time" >>"$tmp/samples.$name"
		i=$((i + 1))
	done
	# The removal happened and the rest is there.
	! grep -q 'filename="victim.bin"' "$tmp/out.$name" ||
	    die "$name: the attachment is still there"
	grep -q 'This attachment stays.' "$tmp/out.$name" ||
	    die "$name: the kept attachment is gone"
	awk -v n="$name" '
	    { c = $2 + $3
	      if (NR == 1 || $1 < w) w = $1
	      if (NR == 1 || c < cpu) cpu = c
	      if ($4 > r) r = $4 }
	    END { printf "%s %.3f %.3f %d\n", n, w, cpu, r }' \
	    "$tmp/samples.$name" >>"$res"
	printf '  %-22s %s\n' "$name" "$(tail -n 1 "$res" | cut -d' ' -f2-)"
}

echo "bench/strip.sh: sizes $sizes MiB, best of $runs"
for s in $sizes; do
	gen "$s" "$tmp/m$s.eml"
	wc -c <"$tmp/m$s.eml" >"$tmp/bytes.$s"
	measure "strip-$s" "$tmp/m$s.eml" "$strip" -l en -p 2
	measure "altermime-$s" "$tmp/m$s.eml" altermime --input=- \
	    --remove=victim.bin
done

{
	echo '# mail-strip beside altermime --remove'
	echo
	echo "Written by \`bench/strip.sh\` on $(date -u +%Y-%m-%d) ($(uname -m)," \
	    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	    "$(altermime --version 2>&1 | head -n 1 | tr -s ' '))."
	echo "Each message has a text body, the base64 attachment that is"
	echo "removed and a small one that stays; one process per message,"
	echo "stdin to stdout; best of $runs runs (wall, user+sys CPU), highest"
	echo "peak RSS.  Ratios are altermime / mail-strip: above 1 means"
	echo "mail-strip is faster or smaller."
	echo
	echo '| attachment | message | mail-strip wall | altermime wall | wall ratio | CPU ratio | mail-strip RSS | altermime RSS | RSS ratio | mail-strip RSS / message |'
	echo '|---|---|---|---|---|---|---|---|---|---|'
	for s in $sizes; do
		awk -v s="$s" -v bytes="$(cat "$tmp/bytes.$s")" '
		    $1 == "strip-" s { sw = $2; sc = $3; sr = $4 }
		    $1 == "altermime-" s { aw = $2; ac = $3; ar = $4 }
		    function ratio(a, b) { return b > 0 ? sprintf("%.1f", a / b) : "-" }
		    END {
			printf "| %s MiB | %.1f MiB | %.3f s | %.3f s | %s | %s | %.1f MiB | %.1f MiB | %s | %.2f |\n",
			    s, bytes / 1048576, sw, aw, ratio(aw, sw),
			    ratio(ac, sc), sr / 1024, ar / 1024, ratio(ar, sr),
			    sr * 1024 / bytes
		    }' "$res"
	done
	echo
	echo 'Standard input is redirected from the message file; mail-strip'
	echo 'reads it once into huge-page backed memory (read(2), sized from'
	echo 'the file, never mapped: a truncated mapping is SIGBUS) and writes'
	echo 'the output as spans of it (writev): its peak RSS is one copy of'
	echo 'the message plus the process.  altermime streams through the'
	echo 'message, so its RSS stays flat.  The target is at least 2x faster'
	echo 'than altermime and no more than one copy of the message in memory.'
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "bench/strip.sh: results in $out"
