#!/usr/bin/env bats
load helper
# ClamAV's own test samples (Debian clamav-testfiles), scanned with the
# signed test database test-6.cvd, which knows clam.exe by its MD5 as
# Clamav.Test.File-6: each must be found and put on the right part.

bats_require_minimum_version 1.5.0

setup() {
	need_testfiles
	need_shared testdb
	cd "$BATS_TEST_TMPDIR"
}

mkmsg() { python3 "$FIX/scan/mkmsg.py" "$@"; }

# scan_diff FILE EXPECTED: mail-scan finds a virus, and its report is the
# expected one, part for part.
scan_diff() {
	run -1 --separate-stderr mail-scan -d "$TESTDB/test-6.cvd" "$1"
	printf '%s\n' "$output" >out
	diff -u "$FIX/scan/$2" out
}

@test "clam.mail: clam.exe found in attachment 2, body 1 clean" {
	scan_diff "$CLAMTF/clam.mail" clam.mail.expected
}

@test "clam.exe.mbox.base64: single-part message, the attachment is part 1, undeletable" {
	scan_diff "$CLAMTF/clam.exe.mbox.base64" clam.exe.mbox.expected
}

@test "clam.exe.mbox.uu: x-uuencode single part decoded, part 1, undeletable" {
	scan_diff "$CLAMTF/clam.exe.mbox.uu" clam.exe.mbox.expected
}

# The four files go in as part 3, after the text and a clean readme.txt.
@test "clam.exe attached as base64: part 3, filename clam.exe" {
	mkmsg attach "$CLAMTF/clam.exe" clam.exe >m.eml
	scan_diff m.eml attach-clam.exe.expected
}

@test "clam.zip attached: the zip is unpacked, found in part 3 clam.zip" {
	mkmsg attach "$CLAMTF/clam.zip" clam.zip application/zip >m.eml
	scan_diff m.eml attach-clam.zip.expected
}

@test "clam.tnef attached (winmail.dat): TNEF unpacked, found in part 3" {
	mkmsg attach "$CLAMTF/clam.tnef" winmail.dat \
	    application/ms-tnef >m.eml
	scan_diff m.eml attach-clam.tnef.expected
}

@test "clam.exe.binhex attached: BinHex decoded, found in part 3" {
	mkmsg attach "$CLAMTF/clam.exe.binhex" clam.hqx \
	    application/mac-binhex40 >m.eml
	scan_diff m.eml attach-clam.binhex.expected
}

@test "-j on clam.mail: the JSON names part 2, clam.exe, the virus" {
	run -1 --separate-stderr mail-scan -j -d "$TESTDB/test-6.cvd" \
	    "$CLAMTF/clam.mail"
	printf '%s\n' "$output" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 1, lines
v = json.loads(lines[0])
assert v["class"] == "attachments" and v["deletable"] is True, v
assert v["viruses"] == ["Clamav.Test.File-6"], v
bad = [p for p in v["parts"] if p["virus"]]
assert [(p["part"], p["role"], p["filename"], p["virus"]) for p in bad] == \
    [("2", "attachment", "clam.exe", "Clamav.Test.File-6")], bad
'
}
