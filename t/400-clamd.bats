#!/usr/bin/env bats
load helper
load clamd

# mail-scan -c against a real clamd started for this file: the same verdicts
# as the embedded engine, Unix socket and TCP, several addresses with
# failover, timeouts.  A second clamd (B) is stopped with SIGSTOP to play a
# daemon that hangs.

bats_require_minimum_version 1.5.0

setup_file() {
	clamd_usable || return 0
	clamd_start "$BATS_FILE_TMPDIR/b" 'LogClean yes' || return 1
	export B_SOCK=$CLAMD_SOCK B_PID=$CLAMD_PID
	clamd_start "$BATS_FILE_TMPDIR/a" 'LogClean yes' || return 1
}

setup() {
	need_clamd
}

teardown_file() {
	clamd_stop
	CLAMD_PID=${B_PID:-} clamd_stop
}

# A message with one base64 attachment made of the file $1, named $2.
attach() {
	printf 'From: a@example.jp\nTo: b@example.jp\nSubject: %s\n' "$2"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="XX"\n\n'
	printf -- '--XX\nContent-Type: text/plain; charset=us-ascii\n\nsee attached\n'
	printf -- '--XX\nContent-Type: application/octet-stream; name="%s"\n' "$2"
	printf 'Content-Disposition: attachment; filename="%s"\n' "$2"
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 <"$1"
	printf -- '--XX--\n'
}

eicar_body() {
	printf 'From: a@example.jp\nTo: b@example.jp\nSubject: t\n\n'
	eicar
	printf '\n'
}

@test "clamd: same verdicts as the embedded engine on the samples, fixtures and ClamAV test files" {
	local d=$BATS_TEST_TMPDIR f
	set --
	for f in "$TOP"/share/samples/*.eml; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if [ -d "$FIX" ]; then
		while IFS= read -r f; do
			set -- "$@" "$f"
		done < <(find "$FIX" -type f -size -4M | sort)
	fi
	eicar_body >"$d/eicar-body.eml"
	eicar >"$d/eicar.com"
	attach "$d/eicar.com" eicar.com >"$d/eicar-att.eml"
	printf 'From: a@b\nSubject: hi\n\nmailav-space-name-marker\n' \
	    >"$d/space.eml"
	set -- "$@" "$d/eicar-body.eml" "$d/eicar-att.eml" "$d/space.eml"
	if [ -d "$CLAMTF" ]; then
		for f in clam.exe clam.zip clam.tnef clam.exe.binhex; do
			[ -f "$CLAMTF/$f" ] || continue
			attach "$CLAMTF/$f" "$f" >"$d/$f.eml"
			set -- "$@" "$d/$f.eml"
		done
		for f in clam.mail clam.exe.mbox.base64 clam.exe.mbox.uu; do
			[ -f "$CLAMTF/$f" ] && set -- "$@" "$CLAMTF/$f"
		done
	fi
	same_verdicts "$@"
	# The test signatures really were found, by both.
	grep -q '"Clamav.Test.File-6"' "$d/clamd.json"
	grep -q 'Eicar' "$d/clamd.json"
	grep -q '"viruses":\["Mailav Test With Spaces.UNOFFICIAL"\]' \
	    "$d/clamd.json"
}

@test "clamd: same verdicts as the embedded engine on the t/0xx scan test messages" {
	[ -f "$FIX/scan/mkmsg.py" ] || skip "t/fixtures/scan/mkmsg.py is absent"
	local d=$BATS_TEST_TMPDIR/scan f
	mkdir -p "$d"
	# The messages t/010, t/020 and t/030 build (t/fixtures/scan).
	python3 "$FIX/scan/mkmsg.py" --batch "$d" <<-EOF
	vc.eml mixed v c
	ccv.eml mixed c c v
	vvv.eml mixed v v v
	ccc.eml mixed c c c
	plain-v.eml plain v
	plain-c.eml plain c
	single.eml single
	qp-body.eml qp-body
	b64-body.eml b64-body
	html-alt-html.eml html-alt html
	html-alt-plain.eml html-alt plain
	nested.eml nested
	crlf.eml crlf
	jp-2231-iso2022jp.eml jp 2231-iso2022jp
	jp-2047-name.eml jp 2047-name
	deep40.eml deep 40
	deep-rfc822-40.eml deep-rfc822 40
	deep100.eml deep 100
	many3000.eml many 3000
	uu-text.eml uu-text
	signed.eml signed
	EOF
	if [ -d "$CLAMTF" ]; then
		python3 "$FIX/scan/mkmsg.py" --batch "$d" <<-EOF
		clam.zip.eml attach $CLAMTF/clam.zip clam.zip application/zip
		clam.tnef.eml attach $CLAMTF/clam.tnef winmail.dat application/ms-tnef
		EOF
	fi
	set --
	for f in "$d"/*.eml; do
		set -- "$@" "$f"
	done
	[ "$#" -ge 21 ]
	same_verdicts "$@"
	grep -q '"class":"body+all-attachments"' "$BATS_TEST_TMPDIR/clamd.json"
}

@test "clamd: same verdicts as the embedded engine on every corpus message" {
	need_shared corpus
	local f
	set --
	while IFS= read -r f; do
		set -- "$@" "$f"
	done < <(awk -F '\t' -v d="$CORPUS" 'NR > 1 { print d "/" $1 "/" $2 }' \
	    "$CORPUS/MANIFEST.tsv")
	[ "$#" -gt 600 ]
	same_verdicts "$@"
}

@test "clamd: 3000 parts sent without waiting for answers give the embedded engine's verdict" {
	# Several thousand requests in flight in one session, their answers
	# read while later parts are still being written (clamd(8), IDSESSION).
	# Parts of 400 bytes, 1.2 MB in all: more than the socket takes
	# before clamd has read some, so writes block meanwhile.
	python3 "$FIX/scan/mkmsg.py" many 3000 400 >"$BATS_TEST_TMPDIR/m"
	same_verdicts "$BATS_TEST_TMPDIR/m"
	grep -q '"part":"3000",[^}]*"filename":"last.com",[^}]*"virus":"Eicar' \
	    "$BATS_TEST_TMPDIR/clamd.json"
	grep -q '"class":"attachments"' "$BATS_TEST_TMPDIR/clamd.json"
}

@test "clamd: a virus name with spaces is kept whole" {
	printf 'From: a@b\nSubject: hi\n\nxx mailav-space-name-marker yy\n' \
	    >"$BATS_TEST_TMPDIR/m"
	run -1 mail-scan -c "$CLAMD_SOCK" "$BATS_TEST_TMPDIR/m"
	assert_line --partial 'Mailav Test With Spaces.UNOFFICIAL FOUND'
}

@test "clamd: host:port on 127.0.0.1 gives the same verdict as the socket" {
	eicar_body >"$BATS_TEST_TMPDIR/m"
	run -1 mail-scan -j -c "$CLAMD_SOCK" "$BATS_TEST_TMPDIR/m"
	local want=$output
	run -1 mail-scan -j -c "127.0.0.1:$CLAMD_PORT" "$BATS_TEST_TMPDIR/m"
	[ "$output" = "$want" ]
	printf 'From: a@b\nSubject: hi\n\nhello\n' >"$BATS_TEST_TMPDIR/c"
	run -0 mail-scan -c "127.0.0.1:$CLAMD_PORT" "$BATS_TEST_TMPDIR/c"
	assert_line clean
}

@test "clamd: fails over from dead addresses to a live one, whichever comes first" {
	local dead=$(free_port) i
	eicar_body >"$BATS_TEST_TMPDIR/m"
	printf 'From: a@b\nSubject: hi\n\nhello\n' >"$BATS_TEST_TMPDIR/c"
	# The first address tried depends on pid and time: run it often
	# enough that every order occurs.
	for i in $(seq 1 12); do
		run -1 mail-scan -c \
		    "$BATS_TEST_TMPDIR/none.sock,127.0.0.1:$dead,$CLAMD_SOCK" \
		    "$BATS_TEST_TMPDIR/m"
		assert_line --partial 'Eicar'
		run -0 mail-scan -c \
		    "127.0.0.1:$dead, $CLAMD_SOCK" "$BATS_TEST_TMPDIR/c"
		assert_line 'clean'
	done
}

@test "clamd: all addresses down is 75 naming each, never clean" {
	local dead=$(free_port)
	printf 'From: a@b\nSubject: hi\n\nhello\n' >"$BATS_TEST_TMPDIR/m"
	run -75 mail-scan -c "$BATS_TEST_TMPDIR/none.sock,127.0.0.1:$dead" \
	    "$BATS_TEST_TMPDIR/m"
	assert_output --partial 'none.sock'
	assert_output --partial "127.0.0.1:$dead"
	refute_output --partial 'clean'
}

@test "clamd: an unusable address list is refused" {
	printf 'From: a@b\nSubject: hi\n\nhello\n' >"$BATS_TEST_TMPDIR/c"
	run -75 mail-scan -c '127.0.0.1:' "$BATS_TEST_TMPDIR/c"
	assert_output --partial 'without port'
	run -75 mail-scan -c '[::1:3310' "$BATS_TEST_TMPDIR/c"
	refute_output --partial 'clean'
	run -64 mail-scan -c "$CLAMD_SOCK" -d "$CLAMD_DB" "$BATS_TEST_TMPDIR/c"
	assert_output --partial 'exclude each other'
}

@test "clamd: a daemon that hangs times out (75); with another one it fails over" {
	printf 'clamd_scan_timeout = 2\nclamd_connect_timeout = 2\n' \
	    >"$BATS_TEST_TMPDIR/conf"
	eicar_body >"$BATS_TEST_TMPDIR/m"
	kill -STOP "$B_PID"
	run -75 mail-scan -C "$BATS_TEST_TMPDIR/conf" -c "$B_SOCK" \
	    "$BATS_TEST_TMPDIR/m"
	assert_output --partial 'no answer within 2 s'
	run -1 mail-scan -C "$BATS_TEST_TMPDIR/conf" -c "$B_SOCK,$CLAMD_SOCK" \
	    "$BATS_TEST_TMPDIR/m"
	kill -CONT "$B_PID"
	assert_line --partial 'Eicar'
}

@test "clamd: the clamd key of the configuration selects clamd" {
	printf 'clamd = %s\n' "$CLAMD_SOCK" >"$BATS_TEST_TMPDIR/conf"
	eicar_body >"$BATS_TEST_TMPDIR/m"
	run -1 mail-scan -C "$BATS_TEST_TMPDIR/conf" "$BATS_TEST_TMPDIR/m"
	assert_line --partial 'Eicar'
	MAILAV_CONF=$BATS_TEST_TMPDIR/conf run -1 mail-scan -j \
	    "$BATS_TEST_TMPDIR/m"
	assert_output --partial '"class":"body"'
}

@test "clamd: several messages in one run, one session each" {
	eicar_body >"$BATS_TEST_TMPDIR/a"
	printf 'From: a@b\nSubject: hi\n\nhello\n' >"$BATS_TEST_TMPDIR/b"
	run -1 mail-scan -c "$CLAMD_SOCK" "$BATS_TEST_TMPDIR/b" \
	    "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_line "$BATS_TEST_TMPDIR/b:	clean"
	assert_line "$BATS_TEST_TMPDIR/a:	body"
}

@test "clamd: the send and receive pipelines scan through clamd when the configuration says so" {
	local D=$BATS_TEST_TMPDIR p
	[ -x "$TOP/share/mailav-send" ] || skip "share/mailav-send is absent"
	# No database at all: only clamd can give these verdicts.
	printf 'database = %s/none\nclamd = %s\n' "$D" "$CLAMD_SOCK" >"$D/conf"
	export MAILAV_CONF=$D/conf SENDER=sender@remote.test
	export RECIPIENTS=bob@example.test
	for p in mailav-send mailav-receive; do
		run -69 --separate-stderr "$TOP/share/$p" \
		    <"$TOP/share/samples/infected-body.eml"
		[[ $stderr == *"550 5.7.1 Virus found: Eicar"* ]]
		run -0 --separate-stderr "$TOP/share/$p" \
		    <"$TOP/share/samples/clean.eml"
		assert_output --partial 'X-Virus-Status: Clean'
	done
	# clamd down: 451 and 75, never a pass.
	printf 'database = %s/none\nclamd = %s/none.sock\n' "$D" "$D" >"$D/conf"
	run -75 --separate-stderr "$TOP/share/mailav-receive" \
	    <"$TOP/share/samples/clean.eml"
	assert_output ''
	[[ $stderr == *"451 4.3.0 "* ]]
}

@test "clamd: messages are spread over the daemons of the list" {
	local i na nb
	printf 'From: a@b\nSubject: hi\n\nspread\n' >"$BATS_TEST_TMPDIR/c"
	na=$(grep -c 'OK$' "$CLAMD_DIR/clamd.log" || :)
	nb=$(grep -c 'OK$' "${B_SOCK%/*}/clamd.log" || :)
	for i in $(seq 1 20); do
		run -0 mail-scan -c "$CLAMD_SOCK,$B_SOCK" "$BATS_TEST_TMPDIR/c"
	done
	# Each of the 20 messages asked one daemon (body and backstop): both
	# got some.
	[ "$(grep -c 'OK$' "$CLAMD_DIR/clamd.log")" -gt "$na" ]
	[ "$(grep -c 'OK$' "${B_SOCK%/*}/clamd.log")" -gt "$nb" ]
}
