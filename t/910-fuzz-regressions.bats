#!/usr/bin/env bats
load helper
bats_require_minimum_version 1.5.0

# Inputs fuzz/fuzz_mime.c found trouble with (fuzz/README.md lists them):
# each must scan to a verdict (0 clean, 1 found), in the normal build and
# under AddressSanitizer + UndefinedBehaviorSanitizer with no report.

scan_ok() {
	local bin=$1 f=$2 rc=0

	"$bin" -d "$SAMPLEDB" "$f" >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "$bin $f: exit $rc"
		cat "$BATS_TEST_TMPDIR/err"
		return 1
	fi
	if grep -E 'runtime error|Sanitizer|ERROR:' "$BATS_TEST_TMPDIR/err"
	then
		echo "$bin $f: sanitizer report"
		return 1
	fi
	# A verdict line, never a half-written one.
	tail -n 1 "$BATS_TEST_TMPDIR/out" | grep -Eq \
	    '^(.*:	)?(clean|body|attachments|body\+some-attachments|body\+all-attachments)( undeletable)?$'
}

@test "fuzz regressions: mail-scan gives a verdict for each input" {
	local f n=0
	for f in "$FIX"/fuzz/*; do
		scan_ok "$BIN/mail-scan" "$f"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "fuzz regressions: clean under ASan and UBSan" {
	[ -x "$ASAN_BIN/mail-scan" ] ||
	    skip "no sanitizer build (make O=build-asan SAN=1 all)"
	local f
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	for f in "$FIX"/fuzz/*; do
		scan_ok "$ASAN_BIN/mail-scan" "$f"
	done
}

@test "fuzz regressions: an empty base64 part is an empty attachment" {
	run -0 mail-scan -d "$SAMPLEDB" "$FIX/fuzz/empty-base64.eml"
	printf '1\tattachment\tapplication/octet-stream\t-\t0\tOK\nclean\n' \
	    >"$BATS_TEST_TMPDIR/want"
	printf '%s\n' "$output" | diff "$BATS_TEST_TMPDIR/want" -
}

# Inputs the reader targets (fuzz/fuzz_verdict.c and the others, issue 13)
# found trouble with: t/fixtures/fuzz-readers/, one test each.

@test "fuzz regressions: a verdict with \"file\":null (verdict_json's form of one without a file) is read" {
	printf 'strip_templates = %s\n' "$TOP/share/templates" >"$BATS_TEST_TMPDIR/conf"
	MAILAV_CONF=$BATS_TEST_TMPDIR/conf run -0 --separate-stderr mail-strip \
	    -v "$FIX/fuzz-readers/verdict-file-null.json" \
	    "$TOP/share/samples/infected-attachment.eml"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.eml"
	run -0 mail-scan -d "$SAMPLEDB" "$BATS_TEST_TMPDIR/out.eml"
	assert_line clean
}

@test "fuzz regressions: an address with a folded source route is read whole, with no TAB or blank (compose_addr_spec)" {
	# Return-Path: <@relay.example:bob CRLF SP @example.org> (and a
	# From: whose route is folded before the address): the report names
	# the envelope sender as bob@example.org, not "bob @example.org"
	printf 'hostname = mx.example.test\n' >"$BATS_TEST_TMPDIR/conf"
	MAILAV_CONF=$BATS_TEST_TMPDIR/conf LC_ALL=C run -0 --separate-stderr \
	    mail-notify -T "$TOP/share/templates" -l en -r admin \
	    -t admin@example.test -v "$FIX/notify/attach.json" -a blocked \
	    "$FIX/fuzz-readers/return-path-route.eml"
	assert_line '  Envelope sender: bob@example.org'
}

@test "fuzz regressions: the reader inputs pass fuzz_notice's checks (no TAB leads an address)" {
	# the From: of return-path-route.eml, <@relay.example: CRLF TAB
	# bob@example.org>, gave "<TAB>bob@example.org" (fuzz/README.md,
	# finding 2), which fuzz_notice's address check refuses
	local t=${MAILAV_FUZZ_BIN:-$TOP/build-fuzz}/fuzz_notice
	[ -x "$t" ] || skip "no fuzz build (make fuzz)"
	run -0 "$t" -runs=1 "$FIX/fuzz-readers/return-path-route.eml"
}
