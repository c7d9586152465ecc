#!/usr/bin/env bats
load helper
# One test per row of the service's tables (../shared/spec/service.md):
# what is infected decides the class word mail-scan prints and whether the
# infected content can be deleted; the pipelines act on those two.  EICAR
# with the project's own database (share/samples/db).

bats_require_minimum_version 1.5.0

load fixtures/scan/lib

setup_file() {
	scan_msgs <<-EOF
	vc.eml mixed v c
	ccv.eml mixed c c v
	vcc.eml mixed v c c
	vvv.eml mixed v v v
	vcv.eml mixed v c v
	cvc.eml mixed c v c
	ccc.eml mixed c c c
	plain-v.eml plain v
	plain-c.eml plain c
	single.eml single
	EOF
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

E=Eicar-Test-Signature.UNOFFICIAL

# verdict FILE: "class deletable part=virus..." from the report, after
# checking that -q prints the same class line.
verdict() {
	run -1 --separate-stderr mail-scan -q -d "$SAMPLEDB" "$1"
	local q=$output
	summary "$1"
	case $output in
	*' false'*) [ "$q" = "${output%% *} undeletable" ] ;;
	*)	[ "$q" = "${output%% *}" ] ;;
	esac || { echo "-q said: $q; the report said: $output"; return 1; }
}

# --- send side -----------------------------------------------------------

@test "send: infected body -> class body (550)" {
	verdict "$M/vc.eml"
	assert_output "body true 1=$E"
}

@test "send: infected attachment -> class attachments (550 + warning)" {
	verdict "$M/ccv.eml"
	assert_output "attachments true 3=$E"
}

# --- receive side, with the audit archive ---------------------------------

@test "receive+archive: infected body -> body, deletable (body deleted)" {
	verdict "$M/vcc.eml"
	assert_output "body true 1=$E"
}

@test "receive+archive: infected attachment -> attachments, deletable" {
	verdict "$M/ccv.eml"
	assert_output "attachments true 3=$E"
}

@test "receive+archive: body and all attachments -> body+all-attachments" {
	verdict "$M/vvv.eml"
	assert_output "body+all-attachments true 1=$E 2=$E 3=$E"
}

@test "receive+archive: body and some attachments -> body+some-attachments" {
	verdict "$M/vcv.eml"
	assert_output "body+some-attachments true 1=$E 3=$E"
}

# --- receive side, without the archive ------------------------------------

@test "receive: infected body of a plain (non-MIME) message -> body" {
	verdict "$M/plain-v.eml"
	assert_output "body true 1=$E"
}

@test "receive: infected attachment that can be deleted -> attachments" {
	verdict "$M/cvc.eml"
	assert_output "attachments true 2=$E"
}

@test "receive: infected attachment that cannot be deleted -> attachments undeletable" {
	# The message is nothing but the attachment: nothing would remain.
	verdict "$M/single.eml"
	assert_output "attachments false 1=$E"
}

# --- clean ----------------------------------------------------------------

@test "clean message with attachments: exit 0, class clean, every part OK" {
	run -0 --separate-stderr mail-scan -d "$SAMPLEDB" "$M/ccc.eml"
	printf '%s\n' "$output" >out
	diff -u "$FIX/scan/mixed-clean.expected" out
	run -0 --separate-stderr mail-scan -q -d "$SAMPLEDB" "$M/plain-c.eml"
	assert_output clean
}

@test "-j agrees with the text report on class and deletable, every row" {
	local f want=() got
	for f in vc ccv vcc vvv vcv plain-v cvc single; do
		summary "$M/$f.eml"
		want+=("${output%% [0-9]*}")
	done
	run -1 --separate-stderr mail-scan -j -d "$SAMPLEDB" "$M"/{vc,ccv,vcc,vvv,vcv,plain-v,cvc,single}.eml
	got=$(jq -r '"\(.class) \(.deletable)"' <<<"$output")
	[ "$got" = "$(printf '%s\n' "${want[@]}")" ]
}
