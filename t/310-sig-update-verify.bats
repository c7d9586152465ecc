#!/usr/bin/env bats
# Bad downloads: nothing installed, the old set still loads, a clear error
# and the documented exit code.
load helper
load fixtures/sigupdate/lib
bats_require_minimum_version 1.5.0

setup() {
	su_setup
	# Installed: test-3 (finds EICAR).  Then the mirror misbehaves.
	publish 3
	run -0 su
	before=$(set_snapshot)
}
teardown() { su_teardown; }

old_set_intact() {
	[ "$(set_snapshot)" = "$before" ]
	[ "$(installed_version)" = 3 ]
	run -1 scan_eicar
	assert_output --partial "Eicar-Test-Signature"
	# nothing half-done left behind
	run -0 ls -A "$DB.sets"
	assert_output "00000001"
}

@test "a CVD with one byte flipped: exit 65, nothing installed" {
	cp "$TESTDB/test-6.cvd" "$W/www/test.cvd"
	printf 'X' | dd of="$W/www/test.cvd" bs=1 seek=4000 conv=notrunc 2>/dev/null
	touch -d @1800000000 "$W/www/test.cvd"
	run -65 su
	assert_output --partial "version 6 does not verify (digital signature or checksum)"
	assert_output --partial "nothing installed"
	old_set_intact
}

@test "a flipped byte in the CVD header's signature field: exit 65" {
	cp "$TESTDB/test-6.cvd" "$W/www/test.cvd"
	# inside the dsig field of the 512-byte header
	off=$(head -c 512 "$W/www/test.cvd" | grep -bo ':Dou6' | cut -d: -f1)
	printf 'x' | dd of="$W/www/test.cvd" bs=1 seek=$((off + 10)) conv=notrunc 2>/dev/null
	touch -d @1800000000 "$W/www/test.cvd"
	run -65 su
	assert_output --partial "does not verify"
	old_set_intact
}

@test "a download cut short (Content-Length not reached): retried, then exit 75" {
	publish 6
	fault "/test.cvd truncate only=full"
	run -75 su
	assert_output --partial "every mirror failed"
	old_set_intact
	# header + body, twice (update_retries = 1)
	[ "$(grep -c '"range": null' "$W/www.log")" -eq 3 ]
}

@test "a truncated file with no Content-Length: fails verification, exit 65" {
	publish 6
	fault "/test.cvd truncate-nolen only=full"
	run -65 su
	assert_output --partial "does not verify"
	old_set_intact
}

@test "an HTML error page served with 200 for the header check: exit 65" {
	publish 6
	fault "/test.cvd html"
	run -65 su
	assert_output --partial "not a CVD header (the server sent an HTML page)"
	old_set_intact
}

@test "an HTML error page served with 200 on a first install: exit 65" {
	rm -rf "$DB" "$DB.sets"
	fault "/test.cvd html"
	run -65 su
	assert_output --partial "not a CVD file (the server sent an HTML page)"
	[ ! -e "$DB" ]
}

@test "a plain file whose SHA-256 does not match its pin: exit 65" {
	printf 'Local.Test.Sig:0:*:6d61696c61762d746573742d7369676e6174757265\n' \
	    > "$W/www/local.ndb"
	pin=$(printf 'something else\n' | sha256sum | cut -d' ' -f1)
	su_conf "source = test cvd $URL" \
	    "source = local ndb ${URL}local.ndb sha256=$pin"
	run -65 su
	assert_output --partial "does not match the pin $pin"
	old_set_intact
	# the right pin installs it
	pin=$(sha256sum < "$W/www/local.ndb" | cut -d' ' -f1)
	su_conf "source = test cvd $URL" \
	    "source = local ndb ${URL}local.ndb sha256=$pin"
	run -0 su
	assert_output --partial "installed local.ndb"
}

@test "an .ndb that libclamav refuses to load: test load fails, exit 4" {
	printf 'Broken.Sig:0:*:zz-not-hex\n' > "$W/www/bad.ndb"
	su_conf "source = test cvd $URL" "source = bad ndb ${URL}bad.ndb insecure"
	run -4 su
	assert_output --partial "test load failed: database"
	assert_output --partial "Malformed database"
	assert_output --partial "bad: "
	old_set_intact
}

@test "one bad feed does not hold back a good update: the good one is installed" {
	printf 'Broken.Sig:0:*:zz-not-hex\n' > "$W/www/bad.ndb"
	publish 6
	su_conf "source = test cvd $URL" "source = bad ndb ${URL}bad.ndb insecure"
	run -4 su
	assert_output --partial "installed test.cvd version 6 (was 3)"
	assert_output --partial "bad: test load failed"
	run -0 ls "$DB/"
	assert_output "test.cvd"
	[ "$(installed_version)" = 6 ]
}

@test "an HTML page served for a plain file: exit 65" {
	printf 'Local.Test.Sig:0:*:6d61696c61762d746573742d7369676e6174757265\n' \
	    > "$W/www/local.ndb"
	su_conf "source = test cvd $URL" "source = local ndb ${URL}local.ndb insecure"
	fault "/local.ndb html"
	run -65 su
	assert_output --partial "the server sent an HTML page, not a .ndb file"
	old_set_intact
}

@test "a file larger than update_max_size: a temporary failure, exit 75" {
	publish 6
	su_conf "update_max_size = 4K"
	run -75 su
	assert_output --partial "larger than 4096 bytes"
	old_set_intact
}

@test "a 404 is a server problem: exit 75, the old set stays" {
	su_conf "source = test cvd ${URL}nonexistent.cvd"
	run -75 su
	assert_output --partial "HTTP 404"
	old_set_intact
}

@test "canary: a feed matching every message (\"From: \") is refused, exit 4" {
	printf 'Match.All:0:*:46726f6d3a20\n' > "$W/www/all.ndb"
	su_conf "source = test cvd $URL" "source = all ndb ${URL}all.ndb insecure"
	run -4 su
	assert_output --partial "calls a clean plain text mail a virus"
	assert_output --partial "Match.All"
	old_set_intact
	# the message mail-scan would then have refused is still clean
	printf 'From: a@example.org\nSubject: hi\n\nhello\n' > "$W/clean.eml"
	run -0 mail-scan -d "$DB" "$W/clean.eml"
}

@test "canary: a signature on the PDF-like attachment alone is caught too" {
	# "/Type /Catalog": only the canary with the PDF attachment has it
	printf 'Match.Pdf:0:*:2f54797065202f436174616c6f67\n' > "$W/www/pdf.ndb"
	su_conf "source = test cvd $URL" "source = pdf ndb ${URL}pdf.ndb insecure"
	run -4 su
	assert_output --partial "multipart mail with a PDF attachment"
	old_set_intact
}

@test "a set made only of allow-list files (.fp, .ign2) is refused" {
	rm -rf "$DB" "$DB.sets" "$W/state"/*
	eicar > "$W/eicar.com"
	printf '%s:68:eicar.com\n' "$(md5sum < "$W/eicar.com" | cut -d' ' -f1)" \
	    > "$W/www/allow.fp"
	echo 'Eicar-Test-Signature' > "$W/www/drop.ign2"
	su_conf "source = allow fp ${URL}allow.fp insecure" \
	    "source = drop ign2 ${URL}drop.ign2 insecure"
	run -4 su
	assert_output --partial "only allow-list entries"
	[ ! -e "$DB" ]
}
