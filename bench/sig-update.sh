#!/bin/sh
# bench/sig-update.sh: sig-update beside freshclam (Debian clamav-freshclam,
# pointed at the same mirror: PrivateMirror, or DatabaseMirror with
# ScriptedUpdates for CDIFFs) on a mirror on 127.0.0.1
# (t/fixtures/sigupdate/httpd.py), reported as ratios in
# bench/RESULTS-sig-update.md.  Never part of `make check`; freshclam is
# only ever pointed at 127.0.0.1 (DNSDatabaseInfo no).
#
# Tools: freshclam (PrivateMirror: whole CVDs), freshclam-cdiff
# (DatabaseMirror, ScriptedUpdates yes), sig-update (its default client,
# libfreshclam), sig-update-curl (update_cvd_client = libcurl: whole CVDs).
#
# Workloads, each run ROUNDS times from the same starting state (the best
# wall time is kept, with its CPU time and peak RSS):
#   first   install test-6.cvd into an empty database directory
#   update  test-3.cvd installed, test-6.cvd published
#   current test-6.cvd installed, nothing new (what cron does most hours)
#   cdiff   test-3.cvd installed, test-6.cvd and test-4/5/6.cdiff published:
#           CDIFFs against whole CVDs, bytes and requests
#   big     first install of a plain .hdb of HASHES generated MD5 signatures,
#           beside one load of it by clamscan (freshclam's --update-db does
#           not select custom URLs, so it is left out here): what download,
#           verification, test load and switch cost over one plain load
# Requests and bytes sent by the mirror are counted from its log.
#
#   sh bench/sig-update.sh           (after `make all`; `make bench` runs it)
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MAILAV_BIN:-$TOP/build/bin}

# run_tool TMP TOOL WORKLOAD: one run of either program with its config.
run_tool() {
	case $2 in
	sig-update|sig-update-curl) "$BIN/sig-update" -q -c "$1/$2.conf" ;;
	clamscan) clamscan --no-summary -d "$1/www/big.hdb" "$1/empty" ;;
	freshclam|freshclam-cdiff)
		db=test
		[ "$3" != big ] || db=big
		freshclam --config-file="$1/$2.conf" --quiet --update-db="$db" ;;
	esac
}
if [ "${1:-}" = --run ]; then
	shift
	run_tool "$@"
	exit
fi

SHARED=${MAILAV_SHARED:-$(cd "$TOP/../shared" 2>/dev/null && pwd || :)}
OUT=${BENCH_SU_OUT:-$TOP/bench/RESULTS-sig-update.md}
ROUNDS=${ROUNDS:-3}
HASHES=${HASHES:-300000}
GTIME=/usr/bin/time
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

for p in "$BIN/sig-update" /usr/bin/freshclam "$GTIME"; do
	[ -x "$p" ] || { echo "bench/sig-update.sh: $p is missing" >&2; exit 1; }
done
[ -f "$SHARED/testdb/test-6.cvd" ] ||
    { echo "bench/sig-update.sh: ../shared/testdb is missing" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-bench-su.XXXXXX")
srv=
cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -p "$tmp/www"
: >"$tmp/empty"
: >"$tmp/faults"
: >"$tmp/log"
"$PY" "$TOP/t/fixtures/sigupdate/httpd.py" --root "$tmp/www" \
    --port-file "$tmp/port" --log "$tmp/log" --faults "$tmp/faults" \
    --lifetime 3000 >/dev/null 2>&1 &
srv=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=http://127.0.0.1:$(cat "$tmp/port")

# A big plain database: HASHES lines "md5:size:name".
"$PY" - "$HASHES" >"$tmp/www/big.hdb" <<'EOF'
import hashlib, sys
n = int(sys.argv[1])
w = sys.stdout.write
for i in range(n):
    w("%s:%d:Bench.Sig-%d\n" % (hashlib.md5(b"x%d" % i).hexdigest(),
                                1000 + i % 5000, i))
EOF

publish() {
	rm -f "$tmp/www"/*.cdiff
	cp "$SHARED/testdb/test-$1.cvd" "$tmp/www/test.cvd"
	touch -d "@$((1700000000 + $1 * 1000))" "$tmp/www/test.cvd"
}

# The CDIFFs from test-3 to test-6 beside test-6.cvd.
publish_cdiffs() {
	publish 6
	for n in 4 5 6; do
		cp "$SHARED/testdb/test-$n.cdiff" "$tmp/www/"
	done
}

# prepare TOOL WORKLOAD: empty database, config, starting state.
prepare() {
	d=$tmp/$1
	rm -rf "$d"
	mkdir -p "$d/db"
	case $1 in
	sig-update|sig-update-curl)
		rmdir "$d/db"
		printf 'update_dbdir = %s/db\nupdate_statedir = %s\n' "$d" "$d"
		[ "$1" = sig-update ] || echo "update_cvd_client = libcurl"
		if [ "$2" = big ]; then
			echo "source = big hdb $url/big.hdb insecure"
		else
			echo "source = test cvd $url/"
		fi ;;
	freshclam-cdiff)
		printf 'DatabaseDirectory %s/db\nDatabaseOwner root\n' "$d"
		printf 'DNSDatabaseInfo no\nScriptedUpdates yes\n'
		printf 'DatabaseMirror %s\nTestDatabases yes\n' "$url"
		printf 'UpdateLogFile %s/freshclam.log\n' "$d"
		;;
	freshclam)
		printf 'DatabaseDirectory %s/db\nDatabaseOwner root\n' "$d"
		printf 'DNSDatabaseInfo no\nScriptedUpdates no\n'
		printf 'PrivateMirror %s\nTestDatabases yes\n' "$url"
		printf 'UpdateLogFile %s/freshclam.log\n' "$d"
		;;
	clamscan) ;;
	esac >"$tmp/$1.conf"
	case $2 in
	first|big) publish 6 ;;
	update)
		publish 3
		run_tool "$tmp" "$1" "$2" >/dev/null 2>&1 || :
		publish 6 ;;
	cdiff)
		publish 3
		run_tool "$tmp" "$1" "$2" >/dev/null 2>&1 || :
		publish_cdiffs ;;
	current)
		publish 6
		run_tool "$tmp" "$1" "$2" >/dev/null 2>&1 || : ;;
	esac
}

# measure TOOL WORKLOAD: "wall cpu rss_kib requests bytes exit" of the best
measure() {
	best=
	for r in $(seq "$ROUNDS"); do
		prepare "$1" "$2"
		n0=$(wc -l <"$tmp/log")
		rc=0
		"$GTIME" -f '%e %U %S %M' -o "$tmp/time" \
		    sh "$0" --run "$tmp" "$1" "$2" >/dev/null 2>&1 || rc=$?
		reqs=$(($(wc -l <"$tmp/log") - n0))
		bytes=$(tail -n "$reqs" "$tmp/log" |
		    sed -n 's/.*"sent": \([0-9]*\).*/\1/p' |
		    awk '{s += $1} END {print s + 0}')
		line=$(tail -n 1 "$tmp/time" | awk -v q="$reqs" -v b="$bytes" \
		    -v rc="$rc" '{printf "%s %.2f %s %s %s %s", $1, $2 + $3,
		    $4, q, b, rc}')
		if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" \
		    'BEGIN {exit !(a < b)}'; then
			best=$line
		fi
	done
	echo "$best"
}

{
	echo "# sig-update beside freshclam"
	echo
	echo "Written by bench/sig-update.sh on $(date -u '+%Y-%m-%d %H:%M UTC');"
	echo "$(freshclam --version | head -n 1); mirror: t/fixtures/sigupdate/"
	echo "httpd.py on 127.0.0.1; best of $ROUNDS runs; big.hdb holds $HASHES"
	echo "signatures.  Ratio = the tool / the workload's first row (its peer), wall time"
	echo "(below 1: quicker).  Every updater verifies and test-loads before installing;"
	echo "the big row's peer is a single clamscan load of the same file."
	echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (on a"
	echo "busy machine wall times are noisy: compare the CPU ratio too)."
	echo
	echo "| workload | tool | wall s | CPU s | peak RSS MiB | requests | bytes sent | wall ratio | CPU ratio |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$tmp/out.md"

for w in first update current cdiff big; do
	fc=
	case $w in
	big) tools="clamscan sig-update" ;;
	cdiff) tools="freshclam-cdiff sig-update sig-update-curl" ;;
	*) tools="freshclam sig-update sig-update-curl" ;;
	esac
	peer=${tools%% *}
	for t in $tools; do
		set -- $(measure "$t" "$w")
		if [ "$t" = "$peer" ]; then
			fc=$1
			fcpu=$2
			ratio=1
			cratio=1
		else
			ratio=$(awk -v a="$1" -v b="$fc" \
			    'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
			cratio=$(awk -v a="$2" -v b="$fcpu" \
			    'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
		fi
		note=
		[ "$6" = 0 ] || note=" (exit $6)"
		echo "| $w | $t$note | $1 | $2 | $(awk -v k="$3" \
		    'BEGIN {printf "%.1f", k / 1024}') | $4 | $5 | $ratio | $cratio |"
	done
done >>"$tmp/out.md"

cp "$tmp/out.md" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "bench: results in $OUT"
