#!/usr/bin/env bats
load helper
# When mail-scan cannot give a trustworthy verdict it exits 75 (EX_TEMPFAIL:
# the MTA keeps the message and retries) and says why on stderr; it never
# calls such a message clean.  Usage errors exit 64; several files exit
# with the worst of their verdicts.

bats_require_minimum_version 1.5.0

load fixtures/scan/lib

setup_file() {
	scan_msgs <<-EOF
	clean.eml mixed c c
	virus.eml mixed c v
	EOF
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	# No system configuration may change what these tests see.
	export MAILAV_CONF=$BATS_TEST_TMPDIR/none.conf
	cp "$M/clean.eml" "$M/virus.eml" .
}

@test "missing database: 75, names the path" {
	run -75 --separate-stderr mail-scan -d "$PWD/no-such-db" clean.eml
	assert_output ''
	[[ $stderr == *"database $PWD/no-such-db: No such file or directory"* ]]
}

@test "empty database directory: 75, says it holds no database files" {
	mkdir db
	run -75 --separate-stderr mail-scan -d db virus.eml
	assert_output ''
	[[ $stderr == *"database db: the directory holds no database files"* ]]
}

@test "a database of 0 signatures (test-2.cvd): 75, never clean" {
	need_shared testdb
	run -75 --separate-stderr mail-scan -d "$TESTDB/test-2.cvd" clean.eml
	assert_output ''
	[[ $stderr == *"test-2.cvd holds no signatures"* ]]
}

@test "the same 0-signature database in a directory: 75" {
	need_shared testdb
	mkdir db
	cp "$TESTDB/test-2.cvd" db/test.cvd
	run -75 --separate-stderr mail-scan -d db clean.eml
	[[ $stderr == *"database db holds no signatures"* ]]
}

@test "a database of allow-list entries only (EICAR's hash in an .fp): 75" {
	mkdir db
	eicar > eicar.com
	printf '%s:68:eicar.com\n' "$(md5sum < eicar.com | cut -d' ' -f1)" \
	    > db/allow.fp
	echo 'Some.Signature.Name' > db/drop.ign2
	run -75 --separate-stderr mail-scan -d db clean.eml
	assert_output ''
	[[ $stderr == *"database db holds only allow-list entries"* ]]
	run -75 --separate-stderr mail-scan -d db/allow.fp clean.eml
	[[ $stderr == *"holds only allow-list entries"* ]]
}

@test "an .fp beside real signatures is fine: the signatures still count" {
	need_shared testdb
	mkdir db
	cp "$TESTDB/test-3.cvd" db/test.cvd
	printf '%s:5:x.txt\n' 0123456789abcdef0123456789abcdef > db/allow.fp
	run -1 --separate-stderr mail-scan -d db virus.eml
}

# flip FILE OFFSET: invert one byte in place.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1")
	printf "\\$(printf %03o $((b ^ 255)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

@test "corrupt .cvd (one byte of the signed body flipped): 75, verification" {
	need_shared testdb
	cp "$TESTDB/test-6.cvd" test.cvd
	# Loads and finds the virus while intact ...
	run -1 --separate-stderr mail-scan -q -d test.cvd virus.eml
	assert_output attachments
	# ... and not once one byte past the 512-byte header changed.
	flip test.cvd 1000
	[ "$(cmp -l "$TESTDB/test-6.cvd" test.cvd | wc -l)" -eq 1 ]
	run -75 --separate-stderr mail-scan -d test.cvd virus.eml
	assert_output ''
	[[ $stderr == *"database test.cvd: Can't verify database integrity"* ]]
}

@test "corrupt .cvd (a byte of the header's MD5 flipped), in a directory: 75" {
	need_shared testdb
	mkdir db
	cp "$TESTDB/test-6.cvd" db/test.cvd
	# Header: ClamAV-VDB:time:version:sigs:flevel:MD5:dsig:builder:stime.
	# (libclamav authenticates the MD5, not the build time.)
	local magic time version sigs flevel rest
	# (The 512-byte header has no newline: read reports end of file.)
	IFS=: read -r magic time version sigs flevel rest \
	    < <(head -c 512 db/test.cvd) || :
	[ "${#rest}" -gt 32 ]
	flip db/test.cvd $((${#magic} + ${#time} + ${#version} + ${#sigs} + \
	    ${#flevel} + 5 + 7))
	cmp -l "$TESTDB/test-6.cvd" db/test.cvd | wc -l | grep -qx 1
	run -75 --separate-stderr mail-scan -d db virus.eml
	assert_output ''
	[[ $stderr == *"database db: "* ]]
}

@test "truncated .cvd: 75" {
	need_shared testdb
	head -c 2000 "$TESTDB/test-6.cvd" >test.cvd
	run -75 --separate-stderr mail-scan -d test.cvd virus.eml
	assert_output ''
	[[ $stderr == *"database test.cvd: "* ]]
}

@test "a corrupt .cvd beside a good database: 75, not a partial engine" {
	need_shared testdb
	cp "$TESTDB/test-6.cvd" test.cvd
	flip test.cvd 1000
	run -75 --separate-stderr mail-scan -d "$SAMPLEDB" -d test.cvd \
	    virus.eml
	assert_output ''
	[[ $stderr == *"database test.cvd: "* ]]
}

@test "no -d and a configured database that is missing: 75" {
	printf 'database = %s/gone\n' "$PWD" >"$MAILAV_CONF"
	run -75 --separate-stderr mail-scan clean.eml
	[[ $stderr == *"database $PWD/gone: No such file or directory"* ]]
}

@test "a configuration named with -C that is missing or broken: 75" {
	run -75 --separate-stderr mail-scan -C nothere.conf -d "$SAMPLEDB" \
	    clean.eml
	assert_output ''
	[[ $stderr == *"nothere.conf: No such file or directory"* ]]
	printf 'this is not valid\n' >bad.conf
	run -75 --separate-stderr mail-scan -C bad.conf -d "$SAMPLEDB" \
	    clean.eml
	assert_output ''
	[[ $stderr == *"bad.conf:1: "* ]]
}

@test "a message file that does not exist: 75, names it" {
	run -75 --separate-stderr mail-scan -d "$SAMPLEDB" nothere.eml
	assert_output ''
	[[ $stderr == *"nothere.eml: No such file or directory"* ]]
}

@test "a directory given as the message: 75" {
	mkdir d
	run -75 --separate-stderr mail-scan -d "$SAMPLEDB" d
	[[ $stderr == *"d: "* ]]
}

@test "usage errors: 64" {
	run -64 --separate-stderr mail-scan -x clean.eml
	[[ $stderr == *"usage: mail-scan"* ]]
	run -64 --separate-stderr mail-scan -d
	[[ $stderr == *"usage: mail-scan"* ]]
}

@test "stdin and '-': the same verdict as the file" {
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" virus.eml
	local want=$output
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" <virus.eml
	[ "$output" = "$want" ]
	run -1 --separate-stderr mail-scan -d "$SAMPLEDB" - <virus.eml
	[ "$output" = "$want" ]
}

@test "an empty message is clean (exit 0)" {
	run -0 --separate-stderr mail-scan -q -d "$SAMPLEDB" </dev/null
	assert_output clean
}

@test "several files: a verdict each, prefixed by its name; exit the worst" {
	run -0 --separate-stderr mail-scan -q -d "$SAMPLEDB" clean.eml clean.eml
	assert_output $'clean.eml:\tclean\nclean.eml:\tclean'
	run -1 --separate-stderr mail-scan -q -d "$SAMPLEDB" clean.eml \
	    virus.eml clean.eml
	assert_output $'clean.eml:\tclean\nvirus.eml:\tattachments\nclean.eml:\tclean'
	# A file that cannot be read makes the whole run 75, wherever it is,
	# and the others still get their verdicts.
	run -75 --separate-stderr mail-scan -q -d "$SAMPLEDB" nothere.eml \
	    virus.eml
	assert_output $'virus.eml:\tattachments'
	run -75 --separate-stderr mail-scan -q -d "$SAMPLEDB" virus.eml \
	    nothere.eml clean.eml
	assert_output $'virus.eml:\tattachments\nclean.eml:\tclean'
	[[ $stderr == *"nothere.eml: No such file or directory"* ]]
}

@test "several files with -j: one JSON object a line, file names kept" {
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" clean.eml virus.eml
	run -0 jq -c '[.file, .class]' <<<"$output"
	assert_output $'["clean.eml","clean"]\n["virus.eml","attachments"]'
}

@test "stdout cannot be written (/dev/full): 75, for every output form" {
	[ -w /dev/full ] || skip "no /dev/full"
	# Through bash -c: bats' run would capture a redirection of its own.
	run -75 --separate-stderr bash -c \
	    'mail-scan -d "$1" clean.eml >/dev/full' _ "$SAMPLEDB"
	[[ $stderr == *"stdout: No space left on device"* ]]
	run -75 bash -c 'mail-scan -q -d "$1" virus.eml >/dev/full' _ \
	    "$SAMPLEDB"
	run -75 bash -c 'mail-scan -j -d "$1" clean.eml virus.eml >/dev/full' \
	    _ "$SAMPLEDB"
}

teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/full" 2>/dev/null; then
		umount "$BATS_TEST_TMPDIR/full"
	fi
}

@test "a full temporary directory: 75, never clean" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a small tmpfs needs root"
	mkdir full
	mount -t tmpfs -o size=256k mailav-t040 "$PWD/full" ||
	    skip "cannot mount a tmpfs here"
	# libclamav's mail parser (the backstop) writes the 2 MiB attachment
	# to a temporary file; on a full disk it says "Can't write" and, left
	# alone, answers clean without those bytes.
	{
		printf 'From: a@example.jp\nTo: b@example.jp\nSubject: big\n'
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="XX"\n\n'
		printf -- '--XX\nContent-Type: application/octet-stream\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 2097152 /dev/urandom | base64
		printf -- '--XX--\n'
	} >big.eml
	run -75 --separate-stderr env TMPDIR="$PWD/full" \
	    mail-scan -d "$SAMPLEDB" big.eml
	assert_output ''
	[[ $stderr == *"libclamav reported an error during the scan"* ]]
	# libclamav's complaints are cut short for the mail log.
	[[ $stderr == *"more libclamav messages for this message left out"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -le 22 ]
	# With room, the same message is clean.
	run -0 mail-scan -q -d "$SAMPLEDB" big.eml
	assert_output 'clean'
}
