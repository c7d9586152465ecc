#!/usr/bin/env bats
load helper
bats_require_minimum_version 1.5.0

# The verdict says exactly what mail-strip will do (issue 11): over every
# message of ../shared/corpus and every .eml under t/fixtures, each part the
# verdict calls "deletable": true is removed by `mail-strip -p PART` (exit
# 0), each it calls false is refused (exit 3); and removing all of the body
# (-B, what a virus in the body asks for) works exactly when every body
# part of the verdict is deletable.  Parts the verdict names by a file
# inside text ("how") are not parts of their own and are left out.
# Before the one predicate (common/part.c) the verdict promised parts under
# an ambiguous structure that mail-strip then refused.

load fixtures/scan/lib

# libclamav's temporary files in memory; teardown_file is the library's.
setup_file() {
	shm_tmpdir
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf 'strip_templates = %s/share/templates\n' "$TOP" >mailav.conf
	export MAILAV_CONF=$BATS_TEST_TMPDIR/mailav.conf
}

# check LIST: mismatches into bad, one line each; counts into n.
check() {
	local f part role how del rc want fs
	mapfile -t fs <"$1"
	mail-scan -j -d "$SAMPLEDB" -- "${fs[@]}" >verdicts.json || [ $? = 1 ]
	[ "$(wc -l <verdicts.json)" = "$(wc -l <"$1")" ]
	jq -r '.file as $f | .parts[] |
	    [$f, .part, .role, (.how // "-"), .deletable] | @tsv' \
	    verdicts.json >parts.tsv
	: >bad
	while IFS=$'\t' read -r f part role how del; do
		[ "$how" = - ] || continue
		# -p names the message itself 1 (its IMAP section), as
		# mail-strip's notices do; the verdict says 0.
		[ "$part" != 0 ] || part=1
		rc=0
		mail-strip -p "$part" -- "$f" >/dev/null 2>err || rc=$?
		case $del in
		true) want=0 ;;
		*) want=3 ;;
		esac
		[ "$rc" = "$want" ] ||
		    echo "$f part $part: deletable $del, mail-strip exit $rc: $(cat err)" >>bad
	done <parts.tsv
	# -B: the body as a whole.
	jq -r '[.file, ([.parts[] | select(.role == "body" and .how == null)] |
	    if length == 0 then "none" else (all(.deletable) | tostring) end)] |
	    @tsv' verdicts.json >body.tsv
	while IFS=$'\t' read -r f del; do
		rc=0
		mail-strip -B -- "$f" >/dev/null 2>err || rc=$?
		case $del in
		true) want=0 ;;
		false) want=3 ;;
		none) want=65 ;;
		esac
		[ "$rc" = "$want" ] ||
		    echo "$f -B: body deletable $del, mail-strip exit $rc: $(cat err)" >>bad
	done <body.tsv
	echo "$(wc -l <parts.tsv) parts, $(wc -l <body.tsv) messages" >&3
}

@test "deletable: the verdict agrees with mail-strip on the t/fixtures messages" {
	find "$FIX" -name '*.eml' | LC_ALL=C sort >files
	[ "$(wc -l <files)" -ge 20 ]
	check files
	run head -40 bad
	assert_output ''
}

@test "deletable: the verdict agrees with mail-strip on ../shared/corpus" {
	need_shared corpus
	find "$CORPUS" -mindepth 2 -maxdepth 2 -type f ! -path '*/_expected/*' |
	    LC_ALL=C sort >files
	[ "$(wc -l <files)" -ge 600 ]
	check files
	run head -40 bad
	assert_output ''
}
