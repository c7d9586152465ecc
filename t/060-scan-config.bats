#!/usr/bin/env bats
# mail-scan and mailav.conf(5): keys it reads, and settings that are wrong.
load helper
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "config: the database key is the default database" {
	printf 'database = %s\n' "$SAMPLEDB" > mailav.conf
	run -1 mail-scan -q -C mailav.conf "$TOP/share/samples/infected-body.eml"
	assert_output "body"
}

@test "config: -d wins over the database key" {
	mkdir empty
	printf 'database = %s\n' "$PWD/empty" > mailav.conf
	run -0 mail-scan -q -C mailav.conf -d "$SAMPLEDB" \
	    "$TOP/share/samples/clean.eml"
	assert_output "clean"
}

@test "config: a timeout that is not a number defers (75), never scans" {
	printf 'clamd = %s\nclamd_scan_timeout = 5x\n' "$PWD/none.sock" \
	    > mailav.conf
	run -75 mail-scan -C mailav.conf "$TOP/share/samples/clean.eml"
	# the file, line and key (and nothing else of the file)
	assert_output --partial "mailav.conf:2: clamd_scan_timeout: not a number"
}

@test "config: clamd_allow_oversize must be yes or no" {
	printf 'clamd = %s\nclamd_allow_oversize = perhaps\n' \
	    "$PWD/none.sock" > mailav.conf
	run -75 mail-scan -C mailav.conf "$TOP/share/samples/clean.eml"
	assert_output --partial "clamd_allow_oversize"
}

@test "config: a named config file that does not exist defers (75)" {
	run -75 mail-scan -C "$PWD/nothere.conf" -d "$SAMPLEDB" \
	    "$TOP/share/samples/clean.eml"
}
