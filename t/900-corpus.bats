#!/usr/bin/env bats
load helper
# Every message of ../shared/corpus (about 690 real, often broken, messages
# from other parsers' test suites) is parsed and scanned: exit 0 or 1 for
# each, no crash, no hang, and no AddressSanitizer or UndefinedBehavior-
# Sanitizer report from the sanitizer build ($ASAN_BIN, built by
# `make O=build-asan SAN=1 all`, which `make check` does).
#
# Fast: the files are split into a few lists, each scanned by one mail-scan
# (one engine load), the lists in parallel.  mail-scan -q writes and
# flushes one "FILE:<TAB>CLASS" line per message, so the first file with no
# line is the one a crash or hang happened on; a watchdog kills a run
# whose output stops growing for $STALL seconds (the timeout per message).
# A failed list is then scanned file by file, each under timeout(1), so
# the report names every guilty file.

bats_require_minimum_version 1.5.0

load fixtures/scan/lib

JOBS=2
STALL=60

setup() {
	need_shared corpus
	need_shared testdb
	cd "$BATS_TEST_TMPDIR"
	# The messages: <source>/<file>; _expected/ holds parse results.
	find "$CORPUS" -mindepth 2 -maxdepth 2 -type f ! -path '*/_expected/*' |
	    LC_ALL=C sort >files
	[ "$(wc -l <files)" -ge 600 ]
	DB=(-d "$SAMPLEDB" -d "$TESTDB/test-6.cvd")
}

setup_file() {
	shm_tmpdir
}

teardown_file() {
	shm_cleanup
}

# sanitizer FILE: print the sanitizer reports in an stderr file.
sanitizer() {
	grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer|^==[0-9]+==' "$1"
}

# one_list BIN N: scan list N with a watchdog; leaves out.N err.N rc.N.
one_list() {
	local bin=$1 n=$2 pid last=-1 size still=0 rc=0 fs
	mapfile -t fs <"list.$n"
	"$bin/mail-scan" -q "${DB[@]}" -- "${fs[@]}" >"out.$n" 2>"err.$n" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		size=$(stat -c %s "out.$n")
		if [ "$size" != "$last" ]; then
			last=$size
			still=0
		elif [ $((still += 1)) -ge "$STALL" ]; then
			echo "list $n: no progress for ${STALL}s" >>"err.$n"
			kill -KILL "$pid" 2>/dev/null || :
		fi
	done
	wait "$pid" || rc=$?
	echo "$rc" >"rc.$n"
}

# check_list N: 0 when list N ran clean: exit 0 or 1,
# no sanitizer report, and one valid class line for each file, in order.
check_list() {
	local n=$1 rc
	rc=$(cat "rc.$n")
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || return 1
	! sanitizer "err.$n" >/dev/null || return 1
	sed 's/$/:/' "list.$n" >want
	cut -f1 "out.$n" >got
	cmp -s want got || return 1
	! cut -f2- "out.$n" | grep -vxE '(clean|body|attachments|body\+some-attachments|body\+all-attachments)( undeletable)?' >/dev/null
}

# blame BIN N: scan each file of list N alone; print the guilty ones.
blame() {
	local bin=$1 n=$2 f rc
	while IFS= read -r f; do
		rc=0
		timeout -k 5 "$STALL" "$bin/mail-scan" -q "${DB[@]}" "$f" \
		    >one.out 2>one.err || rc=$?
		if { [ "$rc" != 0 ] && [ "$rc" != 1 ]; } ||
		    sanitizer one.err >/dev/null ||
		    ! grep -qxE '[a-z+-]+( undeletable)?' one.out; then
			echo "FAIL $f: exit $rc ($([ "$rc" = 124 ] &&
			    echo timeout || echo "$(cat one.out)"))"
			sanitizer one.err | head -20
		fi
	done <"list.$n"
}

corpus() {
	local bin=$1 n failed=0
	split -n "l/$JOBS" -d -a 1 files list.
	for n in $(seq 0 $((JOBS - 1))); do
		one_list "$bin" "$n" &
	done
	wait
	for n in $(seq 0 $((JOBS - 1))); do
		check_list "$n" && continue
		failed=1
		echo "list $n failed (exit $(cat "rc.$n")); stderr:"
		grep -v '^LibClamAV Warning' "err.$n" | head -40
		blame "$bin" "$n"
	done
	return "$failed"
}

@test "corpus: every message scans, exit 0 or 1, no crash, no hang" {
	corpus "$BIN"
}

@test "corpus under ASan+UBSan: no sanitizer report, exit 0 or 1" {
	[ -x "$ASAN_BIN/mail-scan" ] ||
	    skip "no sanitizer build: make O=build-asan SAN=1 all"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	corpus "$ASAN_BIN"
}

@test "corpus: the ClamAV test messages among them are found" {
	# A run that printed "clean" for everything would pass the tests
	# above; the corpus' clamav/ messages must come out infected.
	local f fs
	grep '/clamav/' files >list.c
	[ "$(wc -l <list.c)" -ge 10 ]
	mapfile -t fs <list.c
	run -1 --separate-stderr mail-scan -q "${DB[@]}" -- "${fs[@]}"
	[ "${#lines[@]}" -eq "${#fs[@]}" ]
	for f in "${lines[@]}"; do
		[[ $f != *$'\t'clean ]] || { echo "missed: $f"; return 1; }
	done
}
