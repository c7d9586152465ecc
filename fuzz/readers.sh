#!/bin/sh
# Run one of the reader fuzz targets (build-fuzz/fuzz_verdict, fuzz_config,
# fuzz_notice, fuzz_sigupd from `make fuzz`) for a while, one process.
#
#	sh fuzz/readers.sh TARGET [seconds]
#
# Seeds are made from the tree (and ../shared or $MAILAV_SHARED when there)
# into fuzz/corpus-work-TARGET/ (kept between runs, never committed); each
# target has its dictionary in fuzz/dict/ and a small -max_len.  Findings
# land in fuzz/artifacts-TARGET/, the log in fuzz/logs/.  See
# fuzz/README.md.  FUZZ_RUNS stops a run after that many executions.
set -eu

cd "$(dirname "$0")/.."
target=${1:?usage: readers.sh TARGET [seconds]}
secs=${2:-600}
bin=build-fuzz/$target
work=fuzz/corpus-work-$target
art=fuzz/artifacts-$target
shared=${MAILAV_SHARED:-../shared}
[ -x "$bin" ] || { echo "readers.sh: $bin is missing: run make fuzz" >&2; exit 1; }
mkdir -p "$work" "$art" fuzz/logs

# header block of a message (up to the first empty line)
hdr() { sed -e '/^\r\{0,1\}$/q' "$1"; }

case $target in
fuzz_verdict)
	dict=verdict max=4096
	for f in share/samples/*.eml t/fixtures/strip/*.eml; do
		[ -f "$f" ] || continue
		n=$(printf '%s' "$f" | cksum | cut -d' ' -f1)
		build/bin/mail-scan -d share/samples/db -j "$f" \
		    >"$work/seed-$n" 2>/dev/null || :
	done ;;
fuzz_config)
	dict=config max=2048
	cp share/mailav.conf "$work/seed-mailav.conf"
	printf 'database = /var/lib/mailav/db\r\nNotify_Lang=ja\n# c\n\n' \
	    >"$work/seed-crlf" ;;
fuzz_notice)
	dict=notice max=4096
	for f in share/samples/*.eml t/fixtures/notify/*.eml \
	    t/fixtures/strip/*.eml; do
		[ -f "$f" ] || continue
		n=$(printf '%s' "$f" | cksum | cut -d' ' -f1)
		hdr "$f" | head -c 4096 >"$work/seed-$n"
	done ;;
fuzz_sigupd)
	dict=sigupd max=1024
	printf 'daily\tversion\t27000\ndaily\tetag\t"6b-5f2"\nmain\tlastmod\t1764000000\nmain\tcooldown_until\t0\n' \
	    >"$work/seed-state"
	for f in "$shared"/testdb/*.cvd; do
		[ -f "$f" ] || continue
		head -c 512 "$f" >"$work/seed-${f##*/}"
		{ head -c 512 "$f"; echo; cat "$work/seed-state"; } \
		    >"$work/seed-${f##*/}-state"
	done ;;
*)
	echo "readers.sh: unknown target $target" >&2; exit 64 ;;
esac

log=fuzz/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log
echo "readers.sh: $target, $secs s, $(ls "$work" | wc -l) inputs; log $log"
rc=0
nice -n 10 "$bin" -dict="fuzz/dict/$dict.dict" -max_len="$max" -timeout=5 \
    -rss_limit_mb=1024 -max_total_time="$secs" -runs="${FUZZ_RUNS:--1}" \
    -artifact_prefix="$art/" \
    -print_final_stats=1 "$work" >"$log" 2>&1 || rc=$?
grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^#[0-9]+.*DONE' "$log" || tail -n 5 "$log"
ls "$art" 2>/dev/null | sed 's/^/finding: /'
exit "$rc"
