#!/bin/sh
# Run the MIME fuzzer (build-fuzz/fuzz_mime, from `make fuzz`) for a while.
#
#	sh fuzz/run.sh [seconds [jobs]]
#
# FUZZ_MAX_LEN (default 1048576) bounds the input; a smaller one gives far
# more executions a second for the header and parameter code.
# Seeds: every message of ../shared/corpus (when present, or
# $MAILAV_SHARED/corpus) and the
# regression inputs in t/fixtures/fuzz/, copied into fuzz/corpus-work/ (kept
# between runs, never committed).  libFuzzer runs in fork mode with `jobs`
# processes and goes on after a crash, timeout or OOM; what it finds lands in
# fuzz/artifacts/, the log in fuzz/logs/.  See fuzz/README.md.
set -eu

cd "$(dirname "$0")/.."
secs=${1:-600}
jobs=${2:-2}
# FUZZ_TARGET=fuzz_strip runs mail-strip's target, with its own inputs.
target=${FUZZ_TARGET:-fuzz_mime}
bin=build-fuzz/$target
work=fuzz/corpus-work${FUZZ_TARGET:+-$target}
art=fuzz/artifacts${FUZZ_TARGET:+-$target}
logs=fuzz/logs

[ -x "$bin" ] || { echo "run.sh: $bin is missing: run make fuzz" >&2; exit 1; }
mkdir -p "$work" "$art" "$logs"

# ../shared beside the project root; MAILAV_SHARED overrides (worktrees).
corpus=${MAILAV_SHARED:-../shared}/corpus
if [ -d "$corpus" ]; then
	find "$corpus" -path "$corpus/_expected" -prune -o -type f \
	    ! -name README.md ! -name MANIFEST.tsv ! -name '*.py' -print |
	while IFS= read -r f; do
		# At most -max_len bytes are looked at anyway.
		n=$(printf '%s' "$f" | cksum | cut -d' ' -f1)
		[ -e "$work/seed-$n" ] || cp "$f" "$work/seed-$n"
	done
fi
if [ -d t/fixtures/fuzz ]; then
	for f in t/fixtures/fuzz/*; do
		[ -f "$f" ] || continue
		cp "$f" "$work/regress-${f##*/}"
	done
fi

log=$logs/run-$(date -u +%Y%m%dT%H%M%SZ).log
echo "run.sh: $secs s, $jobs jobs, $(ls "$work" | wc -l) inputs; log $log"
# -fork goes on past findings; each is written to $art.
"$bin" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_len="${FUZZ_MAX_LEN:-1048576}" -timeout=10 -rss_limit_mb=2048 \
    -max_total_time="$secs" -artifact_prefix="$art/" -print_final_stats=1 \
    "$work" >"$log" 2>&1 || rc=$?
tail -n 5 "$log"
ls "$art" 2>/dev/null | sed 's/^/finding: /'
exit "${rc:-0}"
