#!/usr/bin/env bats
load helper
# One test per row of the service's tables (../shared/spec/service.md):
# what is infected decides the class word mail-scan prints and whether the
# infected content can be deleted; the pipelines act on those two.  EICAR
# with the project's own database (share/samples/db).

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
}

mkmsg() { python3 "$FIX/scan/mkmsg.py" "$@"; }

E=Eicar-Test-Signature.UNOFFICIAL

# verdict FILE: "class deletable part=virus..." from mail-scan -j, after
# checking that -q prints the same class and the exit status is 1.
verdict() {
	run -1 --separate-stderr mail-scan -q -d "$SAMPLEDB" "$1"
	local q=$output
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" "$1"
	run -0 python3 "$FIX/scan/summary.py" <<<"$output"
	# -q says the same: the class, " undeletable" when it cannot go.
	case $output in
	*' false'*) [ "$q" = "${output%% *} undeletable" ] ;;
	*)	[ "$q" = "${output%% *}" ] ;;
	esac || { echo "-q said: $q; -j said: $output"; return 1; }
}

# --- send side -----------------------------------------------------------

@test "send: infected body -> class body (550)" {
	mkmsg mixed v c >m.eml
	verdict m.eml
	assert_output "body true 1=$E"
}

@test "send: infected attachment -> class attachments (550 + warning)" {
	mkmsg mixed c c v >m.eml
	verdict m.eml
	assert_output "attachments true 3=$E"
}

# --- receive side, with the audit archive ---------------------------------

@test "receive+archive: infected body -> body, deletable (body deleted)" {
	mkmsg mixed v c c >m.eml
	verdict m.eml
	assert_output "body true 1=$E"
}

@test "receive+archive: infected attachment -> attachments, deletable" {
	mkmsg mixed c c v >m.eml
	verdict m.eml
	assert_output "attachments true 3=$E"
}

@test "receive+archive: body and all attachments -> body+all-attachments" {
	mkmsg mixed v v v >m.eml
	verdict m.eml
	assert_output "body+all-attachments true 1=$E 2=$E 3=$E"
}

@test "receive+archive: body and some attachments -> body+some-attachments" {
	mkmsg mixed v c v >m.eml
	verdict m.eml
	assert_output "body+some-attachments true 1=$E 3=$E"
}

# --- receive side, without the archive ------------------------------------

@test "receive: infected body of a plain (non-MIME) message -> body" {
	mkmsg plain v >m.eml
	verdict m.eml
	assert_output "body true 1=$E"
}

@test "receive: infected attachment that can be deleted -> attachments" {
	mkmsg mixed c v c >m.eml
	verdict m.eml
	assert_output "attachments true 2=$E"
}

@test "receive: infected attachment that cannot be deleted -> attachments undeletable" {
	# The message is nothing but the attachment: nothing would remain.
	mkmsg single >m.eml
	verdict m.eml
	assert_output "attachments false 1=$E"
}

# --- clean ----------------------------------------------------------------

@test "clean message with attachments: exit 0, class clean, every part OK" {
	mkmsg mixed c c c >m.eml
	run -0 --separate-stderr mail-scan -d "$SAMPLEDB" m.eml
	printf '%s\n' "$output" >out
	diff -u "$FIX/scan/mixed-clean.expected" out
	mkmsg plain c >plain.eml
	run -0 --separate-stderr mail-scan -q -d "$SAMPLEDB" plain.eml
	assert_output clean
}
