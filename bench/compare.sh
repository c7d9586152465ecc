#!/bin/sh
# bench/compare.sh: the corpus verdicts and mail-strip outputs of this tree
# against another build (default: the main branch, built here from `git
# archive main`), byte for byte, over every message of ../shared/corpus.
# For each message: mail-scan -j (one verdict line), mail-strip as a tagger
# (no part removed), mail-strip -B (the body removed, or its refusal) and
# mail-strip -v with the verdict; stdout and the exit code of each.  Prints
# one line per difference and a summary; exit 0 when there is none.
#
# Environment: BASE_BIN (a bin/ directory to compare against instead of
# building main), BASE_REF (default main), NEW_BIN (instead of this tree's
# build/bin), MAILAV_SHARED, KEEP (a directory
# that gets both sides of every difference).
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
shared=${MAILAV_SHARED:-$top/../shared}
corpus=$shared/corpus
ref=${BASE_REF:-main}
new=${NEW_BIN:-$top/build/bin}

die() {
	echo "bench/compare.sh: $*" >&2
	exit 1
}

[ -d "$corpus" ] || die "$corpus is absent"
[ -x "$new/mail-strip" ] || die "$new/mail-strip is missing: run make all"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ -n "${BASE_BIN:-}" ]; then
	base=$BASE_BIN
else
	mkdir "$tmp/src"
	git archive "$ref" | tar -x -C "$tmp/src"
	make -C "$tmp/src" all >"$tmp/build.log" 2>&1 ||
	    die "building $ref failed (see make -C $tmp/src all)"
	base=$tmp/src/build/bin
fi
# hostname: the same X-Virus-Scanned for a build that reads the key and one
# that only knows gethostname(2).
printf 'strip_templates = %s/share/templates\nhostname = %s\n' "$top" \
    "$(hostname)" >"$tmp/conf"
MAILAV_CONF=$tmp/conf
LC_ALL=C
export MAILAV_CONF LC_ALL

find "$corpus" -mindepth 2 -maxdepth 2 -type f ! -path '*/_expected/*' |
    sort >"$tmp/files"

# run SIDE BIN: every output of one build under $tmp/SIDE/N.*
run() {
	d=$tmp/$1
	mkdir "$d"
	n=0
	while IFS= read -r f; do
		n=$((n + 1))
		rc=0
		"$2/mail-scan" -j -d "$top/share/samples/db" "$f" \
		    >"$d/$n.verdict" 2>/dev/null || rc=$?
		echo "$rc" >>"$d/$n.verdict"
		rc=0
		"$2/mail-strip" "$f" >"$d/$n.tag" 2>/dev/null || rc=$?
		echo "$rc" >>"$d/$n.tag"
		rc=0
		"$2/mail-strip" -B "$f" >"$d/$n.body" 2>/dev/null || rc=$?
		echo "$rc" >>"$d/$n.body"
		head -n 1 "$d/$n.verdict" >"$d/$n.json"
		rc=0
		"$2/mail-strip" -v "$d/$n.json" "$f" >"$d/$n.strip" \
		    2>/dev/null || rc=$?
		echo "$rc" >>"$d/$n.strip"
	done <"$tmp/files"
}

# nodel FILE: the verdict line without its "deletable" fields (jq).
nodel() {
	head -n 1 "$1" | jq -c 'del(.deletable, .parts[]?.deletable)' \
	    2>/dev/null || :
}

run base "$base"
run new "$new"
n=0
diffs=0
dels=0
while IFS= read -r f; do
	n=$((n + 1))
	for k in verdict tag body strip; do
		cmp -s "$tmp/base/$n.$k" "$tmp/new/$n.$k" && continue
		diffs=$((diffs + 1))
		# A verdict that differs only in "deletable" (the one rule of
		# common/part.c) is told apart from any other difference.
		if [ "$k" = verdict ] && command -v jq >/dev/null &&
		    [ "$(tail -n 1 "$tmp/base/$n.$k")" = \
		    "$(tail -n 1 "$tmp/new/$n.$k")" ] &&
		    [ "$(nodel "$tmp/base/$n.$k")" = \
		    "$(nodel "$tmp/new/$n.$k")" ]; then
			echo "differs: verdict (deletable only) $f"
			dels=$((dels + 1))
		else
			echo "differs: $k $f"
		fi
		if [ -n "${KEEP:-}" ]; then
			mkdir -p "$KEEP"
			cp "$tmp/base/$n.$k" "$KEEP/$n.$k.base"
			cp "$tmp/new/$n.$k" "$KEEP/$n.$k.new"
		fi
	done
done <"$tmp/files"
echo "$n messages, $((n * 4)) outputs compared, $diffs differ" \
    "($dels verdicts only in deletable)"
[ "$diffs" -eq 0 ]
