#!/bin/sh
# bench/run.sh: mail-scan (embedded libclamav) beside clamscan on the same
# messages and databases, and the MIME engine beside ripmime and mblaze's
# mshow, reported as ratios in bench/RESULTS.md (section "mail-scan").
# Run by `make bench` after `make all`; never part of `make check`.
#
# Workloads: every message of ../shared/corpus in one process each way, a
# sample of it with one process per message, and generated messages with
# 1, 10 and 50 MiB base64 attachments of random bytes (made here, in a
# temporary directory, and removed).  Each command runs BENCH_RUNS times
# (default 3); the best wall and CPU time and the highest peak RSS
# (/usr/bin/time) are kept, so other load on the machine counts as little
# as it can.
#
# Environment: MAILAV_SHARED (default ../shared), BENCH_RUNS, BENCH_PERMSG
# (messages in the per-message sample, default 60), BENCH_SIZES (MiB,
# default "1 10 50"), BENCH_OUT (default bench/RESULTS.md).
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
shared=${MAILAV_SHARED:-../shared}
corpus=$shared/corpus
cvd=$shared/testdb/test-6.cvd
sampledb=$top/share/samples/db
runs=${BENCH_RUNS:-3}
permsg=${BENCH_PERMSG:-60}
sizes=${BENCH_SIZES:-1 10 50}
out=${BENCH_OUT:-bench/RESULTS.md}
scan=$top/build/bin/mail-scan

die() {
	echo "bench: $*" >&2
	exit 1
}

# The measurements are kept in bench/out/ (not committed), so the report
# can be written again from them: `sh bench/run.sh --report`.
keep=bench/out
render() {
	awk -v runs="$(sed -n 1p "$keep/meta")" -v cpu="$(sed -n 2p "$keep/meta")" \
	    -v ncpu="$(sed -n 3p "$keep/meta")" -v load="$(sed -n 4p "$keep/meta")" \
	    -v date="$(sed -n 5p "$keep/meta")" -v csver="$(sed -n 6p "$keep/meta")" \
	    -v sizes="$(sed -n 7p "$keep/meta")" -v crash="$(sed -n 8p "$keep/meta")" \
	    -f bench/report.awk "$keep/results" "$keep/work" >"$1"
}

# Replace our section of the results file with $1, keep everything else.
install_section() {
	if [ -f "$out" ] && grep -q '^<!-- mail-scan: written' "$out"; then
		awk -v sec="$1" '
		    /^<!-- mail-scan: written/ {
			while ((getline l < sec) > 0) print l; skip = 1; next }
		    skip && /^<!-- mail-scan: end -->/ { skip = 0; next }
		    !skip' "$out" >"$1.new"
	else
		{
			if [ -f "$out" ]; then
				cat "$out"
				echo
			else
				echo "# Benchmarks"
				echo
			fi
			cat "$1"
		} >"$1.new"
	fi
	cp "$1.new" "$out.tmp"
	mv "$out.tmp" "$out"
	echo "bench: results in $out"
}

if [ "${1:-}" = --report ]; then
	[ -f "$keep/meta" ] || die "no measurements in $keep: run bench/run.sh"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-bench.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	render "$tmp/section.md"
	install_section "$tmp/section.md"
	exit 0
fi

[ -x "$scan" ] || die "$scan is missing: run make all"
[ -d "$corpus" ] || die "$corpus is missing (set MAILAV_SHARED)"
[ -f "$cvd" ] || die "$cvd is missing"
for t in clamscan ripmime mshow /usr/bin/time cc; do
	command -v "$t" >/dev/null 2>&1 || die "$t is missing: make bench-deps"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
res=$tmp/results
: >"$res"

# The MIME engine alone (no libclamav), linked with the same archive.
make -s build/libmailav.a
cc -O2 -std=c99 -D_DEFAULT_SOURCE -Icommon -o "$tmp/mime-walk" \
    bench/mime-walk.c build/libmailav.a -lunistring ||
    die "cannot build bench/mime-walk.c"
walk=$tmp/mime-walk

# The corpus messages (not the expected results beside them), copied so
# ripmime can take the whole directory in one process.
mkdir "$tmp/corpus"
find "$corpus" -path "$corpus/_expected" -prune -o -type f \
    ! -name README.md ! -name MANIFEST.tsv ! -name '*.py' -print |
    LC_ALL=C sort | while IFS= read -r f; do
	d=${f#"$corpus"/}
	cp "$f" "$tmp/corpus/$(printf '%s' "$d" | tr '/ ' '__')"
done
ls "$tmp/corpus" | LC_ALL=C sort | sed "s|^|$tmp/corpus/|" >"$tmp/all.list"
nall=$(wc -l <"$tmp/all.list")
# Every k-th message for the one-process-per-message runs.
k=$(( (nall + permsg - 1) / permsg ))
awk -v k="$k" 'NR % k == 1 || k == 1' "$tmp/all.list" >"$tmp/some.list"
nsome=$(wc -l <"$tmp/some.list")
# The peers crash on a few corpus messages (mshow 1.x: six of them); they
# are compared on the messages both survive, listed in the report.
mkdir "$tmp/peer" "$tmp/mblaze"
: >"$tmp/peer.list"
: >"$tmp/peer.crash"
while IFS= read -r f; do
	rc=0
	(cd "$tmp/peer" && MBLAZE=$tmp/mblaze mshow -t "$f" >/dev/null 2>&1 &&
	    rm -rf "$tmp/x" && mkdir "$tmp/x" &&
	    ripmime -q -i "$f" -d "$tmp/x" >/dev/null 2>&1) || rc=$?
	if [ "$rc" -ge 2 ]; then
		echo "${f##*/}" >>"$tmp/peer.crash"
	else
		ln "$f" "$tmp/peer/"
		echo "$tmp/peer/${f##*/}" >>"$tmp/peer.list"
	fi
done <"$tmp/all.list"
npeer=$(wc -l <"$tmp/peer.list")
awk -v k="$k" 'NR % k == 1 || k == 1' "$tmp/peer.list" >"$tmp/somepeer.list"
bytes_of() {
	# Sum of the sizes of the files listed in $1.
	tr '\n' '\0' <"$1" | xargs -0 cat | wc -c
}
ball=$(bytes_of "$tmp/all.list")
bpeer=$(bytes_of "$tmp/peer.list")
bsome=$(bytes_of "$tmp/some.list")

# Generated messages: a short text body and one base64 attachment.
gen() {
	{
		printf 'From: bench <bench@example.org>\n'
		printf 'To: user@example.org\n'
		printf 'Subject: %s MiB attachment\n' "$1"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="=_b0"\n\n'
		printf -- '--=_b0\nContent-Type: text/plain; charset=us-ascii\n\n'
		printf 'The attachment is random bytes.\n\n'
		printf -- '--=_b0\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="r%s.bin"\n' \
		    "$1"
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c "$(($1 * 1048576))" /dev/urandom | base64 -w 76
		printf -- '\n--=_b0--\n'
	} >"$2"
}
for s in $sizes; do
	gen "$s" "$tmp/big$s.eml"
done

# measure NAME CMD...: best wall and CPU seconds, highest RSS (KiB).
measure() {
	name=$1
	shift
	i=0
	while [ "$i" -lt "$runs" ]; do
		rc=0
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" \
		    >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
		# mail-scan and clamscan: 0 clean, 1 found; a peer may say
		# 1 or 2 about a broken message, but must not crash.
		case $name:$rc in
		*:0|*:1|parse-*:2) ;;
		*)
			sed 's/^/  /' "$tmp/stderr" | tail -n 5 >&2
			die "$name: exit $rc"
			;;
		esac
		tail -n 1 "$tmp/time" >>"$tmp/samples.$name"
		i=$((i + 1))
	done
	awk -v n="$name" '
	    { c = $2 + $3
	      if (NR == 1 || $1 < w) w = $1
	      if (NR == 1 || c < cpu) cpu = c
	      if ($4 > r) r = $4 }
	    END { printf "%s %.3f %.3f %d\n", n, w, cpu, r }' \
	    "$tmp/samples.$name" >>"$res"
	printf '  %-28s %s\n' "$name" "$(tail -n 1 "$res" | cut -d' ' -f2-)"
}

# One process per message, for the tools that take one message a run.
cat >"$tmp/each.sh" <<'EOF'
list=$1
shift
while IFS= read -r f; do
	"$@" "$f" >/dev/null 2>&1 || [ $? -eq 1 ] || exit 3
done <"$list"
EOF
# ripmime and mshow -x write into the current directory; start empty.
cat >"$tmp/extract.sh" <<'EOF'
dir=$1
shift
rm -rf "$dir"
mkdir "$dir"
cd "$dir" && "$@"
EOF

db="-d $cvd -d $sampledb"
cs_opts="--no-summary --max-filesize=1024M --max-scansize=1024M \
--max-recursion=17 --max-files=10000 --alert-exceeds-max=yes"
export MBLAZE="$tmp/mblaze"

echo "bench: $nall corpus messages ($ball bytes), $nsome per message," \
    "sizes $sizes MiB, best of $runs"
echo "scanning:"
# shellcheck disable=SC2086
{
	measure scan-all-mailscan "$scan" $db $(cat "$tmp/all.list")
	measure scan-all-clamscan clamscan $cs_opts $db \
	    $(cat "$tmp/all.list")
	measure scan-each-mailscan sh "$tmp/each.sh" "$tmp/some.list" \
	    "$scan" $db
	measure scan-each-clamscan sh "$tmp/each.sh" "$tmp/some.list" \
	    clamscan $cs_opts $db
	measure scan-tiny-mailscan "$scan" $db share/samples/clean.eml
	measure scan-tiny-clamscan clamscan $cs_opts $db \
	    share/samples/clean.eml
	for s in $sizes; do
		measure "scan-big$s-mailscan" "$scan" $db "$tmp/big$s.eml"
		measure "scan-big$s-clamscan" clamscan $cs_opts $db \
		    "$tmp/big$s.eml"
	done
}
echo "parsing and extracting, no scanning:"
# shellcheck disable=SC2086
{
	measure parse-all-walk4 "$walk" $(cat "$tmp/peer.list")
	measure parse-all-walk1 "$walk" -1 $(cat "$tmp/peer.list")
	measure parse-all-mshowt mshow -t $(cat "$tmp/peer.list")
	measure parse-all-ripmime sh "$tmp/extract.sh" "$tmp/x" \
	    ripmime -q -i "$tmp/peer" -d .
	measure parse-each-walk4 sh "$tmp/each.sh" "$tmp/somepeer.list" "$walk"
	measure parse-each-ripmime sh "$tmp/each.sh" "$tmp/somepeer.list" \
	    sh "$tmp/extract.sh" "$tmp/x" ripmime -q -d . -i
	measure parse-each-mshowx sh "$tmp/each.sh" "$tmp/somepeer.list" \
	    sh "$tmp/extract.sh" "$tmp/x" mshow -x
	for s in $sizes; do
		measure "parse-big$s-walk4" "$walk" "$tmp/big$s.eml"
		measure "parse-big$s-walk1" "$walk" -1 "$tmp/big$s.eml"
		measure "parse-big$s-ripmime" sh "$tmp/extract.sh" "$tmp/x" \
		    ripmime -q -i "$tmp/big$s.eml" -d .
		measure "parse-big$s-mshowx" sh "$tmp/extract.sh" "$tmp/x" \
		    mshow -x "$tmp/big$s.eml"
	done
}

# --- the report -------------------------------------------------------------
sizeof() {
	wc -c <"$1"
}
{
	echo "corpus $nall $ball"
	echo "peer $npeer $bpeer"
	echo "each $nsome $bsome"
	echo "tiny 1 $(sizeof share/samples/clean.eml)"
	for s in $sizes; do
		echo "big$s 1 $(sizeof "$tmp/big$s.eml")"
	done
} >"$tmp/work"

mkdir -p "$keep"
cp "$res" "$keep/results"
cp "$tmp/work" "$keep/work"
{
	echo "$runs"
	sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1
	nproc
	cut -d' ' -f1-3 /proc/loadavg
	date -u '+%Y-%m-%d %H:%M UTC'
	clamscan --version | head -n 1
	echo "$sizes"
	if [ -s "$tmp/peer.crash" ]; then
		printf 'left out (a peer crashed, exit >= 128): %s.\n' \
		    "$(tr '\n' ' ' <"$tmp/peer.crash" | sed 's/ $//; s/ /, /g')"
	else
		echo 'none left out.'
	fi
} >"$keep/meta"
render "$tmp/section.md"

install_section "$tmp/section.md"
