#!/usr/bin/env bats
load helper
# Hostile input in bounded time (issue 13 item 10): a flood of RFC 2231
# parameter sections costs libclamav's mail parser (the whole-message
# backstop) time quadratic in their number, 37 s of CPU for 100,000.
# mail-scan reads such a message itself, finds what is in its parts, and
# leaves the backstop out with "parameters" in the verdict's limits.

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf 'strip_templates = %s/share/templates\nhostname = test.example\n' \
	    "$TOP" > mailav.conf
	export MAILAV_CONF=$BATS_TEST_TMPDIR/mailav.conf
}

# flood N [crlf]: scan it (bounded: a hang fails the test, it times
# nothing); the virus is in part 2 and the backstop was left out.
flood() {
	python3 "$FIX/flood/mkflood.py" "$@" > msg.eml
	run -1 timeout 120 mail-scan -j -d "$SAMPLEDB" msg.eml
	printf '%s\n' "$output" > verdict.json
	run jq -r '[.class, (.limits | index("parameters") != null),
	    (.parts[] | select(.virus != null) | .part)] | @tsv' verdict.json
	assert_output "attachments	true	2"
}

@test "flood: 12,500 parameter sections, LF and CRLF: found in part 2, no backstop" {
	flood 12500
	flood 12500 crlf
}

@test "flood: 100,000 sections in a 2.5 MB header (over the header limit too)" {
	flood 100000
	run jq -c .limits verdict.json
	assert_output '["header","parameters"]'
}

@test "flood: mail-strip takes the verdict with its limit and removes part 2" {
	flood 12500
	run -0 mail-strip -v verdict.json msg.eml
	printf '%s\n' "$output" > out.eml
	run -0 mail-scan -d "$SAMPLEDB" out.eml
}

@test "flood: the text verdict says the whole-message scan was skipped" {
	python3 "$FIX/flood/mkflood.py" 5000 > msg.eml
	run -1 mail-scan -d "$SAMPLEDB" msg.eml
	assert_line "-	limits	parameters	-	-	whole-message scan skipped"
}

@test "flood: a few sections (a long file name) keep the backstop" {
	python3 "$FIX/flood/mkflood.py" 40 > msg.eml
	run -1 mail-scan -j -d "$SAMPLEDB" msg.eml
	run jq -c .limits <<<"$output"
	assert_output '[]'
}
