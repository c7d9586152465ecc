#!/usr/bin/env bats
load helper
# ClamAV's own test samples (Debian clamav-testfiles), scanned with the
# signed test database test-6.cvd, which knows clam.exe by its MD5 as
# Clamav.Test.File-6: each must be found and put on the right part.

bats_require_minimum_version 1.5.0

load fixtures/scan/lib

setup_file() {
	shm_tmpdir
	[ -d "$CLAMTF" ] || return 0
	M=$BATS_FILE_TMPDIR/m
	export M
	mkmsgs "$M" <<-EOF
	clam.exe.eml attach $CLAMTF/clam.exe clam.exe
	clam.zip.eml attach $CLAMTF/clam.zip clam.zip application/zip
	clam.tnef.eml attach $CLAMTF/clam.tnef winmail.dat application/ms-tnef
	clam.hqx.eml attach $CLAMTF/clam.exe.binhex clam.hqx application/mac-binhex40
	EOF
}

setup() {
	need_testfiles
	need_shared testdb
	cd "$BATS_TEST_TMPDIR"
	DB=(-d "$TESTDB/test-6.cvd")
}

@test "clam.mail: clam.exe found in attachment 2, body 1 clean" {
	scan_diff "$CLAMTF/clam.mail" clam.mail.expected "${DB[@]}"
}

@test "clam.exe.mbox.base64: single-part message, the attachment is part 1, undeletable" {
	scan_diff "$CLAMTF/clam.exe.mbox.base64" clam.exe.mbox.expected "${DB[@]}"
}

@test "clam.exe.mbox.uu: x-uuencode single part decoded, part 1, undeletable" {
	scan_diff "$CLAMTF/clam.exe.mbox.uu" clam.exe.mbox.expected "${DB[@]}"
}

# The four files go in as part 3, after the text and a clean readme.txt.
@test "clam.exe attached as base64: part 3, filename clam.exe" {
	scan_diff "$M/clam.exe.eml" attach-clam.exe.expected "${DB[@]}"
}

@test "clam.zip attached: the zip is unpacked, found in part 3 clam.zip" {
	scan_diff "$M/clam.zip.eml" attach-clam.zip.expected "${DB[@]}"
}

@test "clam.tnef attached (winmail.dat): TNEF unpacked, found in part 3" {
	scan_diff "$M/clam.tnef.eml" attach-clam.tnef.expected "${DB[@]}"
}

@test "clam.exe.binhex attached: BinHex decoded, found in part 3" {
	scan_diff "$M/clam.hqx.eml" attach-clam.binhex.expected "${DB[@]}"
}

@test "-j on clam.mail: the JSON names part 2, clam.exe, the virus" {
	run -1 --separate-stderr mail-scan -j -d "$TESTDB/test-6.cvd" \
	    "$CLAMTF/clam.mail"
	run -0 jq -c '[.class, .deletable, .viruses,
	    [.parts[] | select(.virus) | [.part, .role, .filename, .virus]]]' \
	    <<<"$output"
	assert_output '["attachments",true,["Clamav.Test.File-6"],[["2","attachment","clam.exe","Clamav.Test.File-6"]]]'
}
