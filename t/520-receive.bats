#!/usr/bin/env bats
load helper
# The receive side (spec: "Receive side", both tables) end to end: swaks ->
# Postfix smtp port -> proxsmtpd -> share/mailav-receive -> Postfix ->
# virtual Maildirs.  bob@ and dave@example.test have no archive; carol@ and
# erin@archive.test do (archive_domains = archive.test).  The private
# Postfix instance: see t/fixtures/postfix/harness.bash.
bats_require_minimum_version 1.5.0
load fixtures/postfix/harness
load fixtures/postfix/messages

setup_file() {
	pf_mailav_start receive
}

setup() {
	pf_mailav_setup BOB=bob@example.test CAROL=carol@archive.test \
	    ARCH="$PF/archive"
}

# assert_notice MAILDIR ADDRESS SUBJECT: the newest notice (Auto-Submitted)
# in the Maildir is to ADDRESS, from the null sender, names the virus in its
# text and the original SUBJECT in its own Subject, and is clean.
assert_notice() {
	local f
	f=$(grep -l '^Auto-Submitted: auto-generated' "$1"/new/* 2>/dev/null |
	    xargs -r ls -t | head -n 1)
	[ -n "$f" ] || { echo "no notice in $1" >&2; return 1; }
	grep -q '^Return-Path: <>' "$f"
	grep -q "^To:.*$2" "$f"
	inspect --text "$f" | grep -q 'Eicar-Test-Signature'
	inspect --subject "$f" | grep -q "$3"
	run -0 mail-scan -d "$PF/db" "$f"
}

assert_archived() {
	wait_for $((n_arch + 1)) md_count "$ARCH"
	local f; f=$(md_last "$ARCH")
	# what the filter got: the message as sent, with the front smtpd's
	# Received: header (untrace takes it out again)
	untrace "$f" >"$BATS_TEST_TMPDIR/arch"
	diff "$M" "$BATS_TEST_TMPDIR/arch"
	grep -q '^Received: from client.remote.test' "$f"
}

# --- without the archive ------------------------------------------------

@test "receive, no archive, clean: 250 and delivered byte-identical except X-Virus-*" {
	mkmsg clean sender@remote.test bob@example.test 'clean one' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_bob + 1)) md_count "$BOB"
	local f; f=$(md_last "$BOB")
	untrace "$f" >"$BATS_TEST_TMPDIR/got"
	diff "$M" "$BATS_TEST_TMPDIR/got"
	run grep -c '^X-Virus-Status: Clean$' "$f"
	assert_output 1
	pf_settle
	assert_equal "$(md_count "$ADMIN")" "$n_admin"
	assert_equal "$(md_count "$ARCH")" "$n_arch"
}

@test "receive, no archive, infected body: 550 to the sending server, nothing delivered" {
	mkmsg body sender@remote.test bob@example.test 'body' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	grep -q 'proxy-reject: END-OF-MESSAGE' "$PF/log/maillog"
	pf_settle
	assert_equal "$(md_count "$BOB")" "$n_bob"
	assert_equal "$(md_count "$ADMIN")" "$n_admin"
}

@test "receive, no archive, infected body and some attachments: 550 (the body row)" {
	mkmsg body-some sender@remote.test bob@example.test 'body-some' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	pf_settle
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "receive, no archive, infected attachment: removed, rest delivered, recipient and administrator warned" {
	mkmsg att sender@remote.test bob@example.test 'att-noarch' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	# the stripped message and the notice
	wait_for $((n_bob + 2)) md_count "$BOB"
	wait_for $((n_admin + 1)) md_count "$ADMIN"
	local f; f=$(md_subject "$BOB" att-noarch)
	[ -n "$f" ]
	run -0 mail-scan -d "$PF/db" "$f"
	run inspect "$f"
	assert_line 'text/plain - eicar=no'
	assert_line 'text/plain notes.txt eicar=no'
	refute_line --partial 'eicar=yes'
	refute_line RAW-EICAR
	assert_line --regexp '^X-Virus-Status: Infected \(Eicar-Test-Signature'
	# the notice part that replaced it names the file and the virus
	inspect --text "$f" | grep -q 'Eicar-Test-Signature'
	# the kept attachment is byte-identical
	grep -q "$(printf 'meeting notes, nothing to see\n' | base64 -w 0)" "$f"
	assert_notice "$ADMIN" admin@example.test 'att-noarch'
	assert_notice "$BOB" bob@example.test 'att-noarch'
	pf_settle
	assert_equal "$(md_count "$ARCH")" "$n_arch"
}

@test "receive, no archive, infected attachment that cannot be deleted: 550, recipient and administrator warned" {
	mkmsg single-att sender@remote.test bob@example.test 'single' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	wait_for $((n_bob + 1)) md_count "$BOB"
	wait_for $((n_admin + 1)) md_count "$ADMIN"
	assert_notice "$BOB" bob@example.test 'single'
	assert_notice "$ADMIN" admin@example.test 'single'
	[ -z "$(md_subject "$BOB" single)" ]
}

@test "receive, forged X-Virus-Status: Clean on an infected message: still 550" {
	mkmsg forged sender@remote.test bob@example.test 'forged' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	pf_settle
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "receive, forged X-Virus-* headers on a clean message: replaced by ours" {
	mkmsg forged-clean sender@remote.test bob@example.test 'forged-clean' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_bob + 1)) md_count "$BOB"
	local f; f=$(md_last "$BOB")
	run grep -c '^X-Virus-Status:' "$f"
	assert_output 1
	run grep -c '^X-Virus-Scanned: mailav 9.9 on trusted.example' "$f"
	assert_output 0
}

@test "receive, notify_lang = ja: the recipient's notice is in Japanese" {
	sed -i 's/^notify_lang = en$/notify_lang = ja/' "$PF/mailav.conf"
	mkmsg att sender@remote.test bob@example.test 'att-ja' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	sed -i 's/^notify_lang = ja$/notify_lang = en/' "$PF/mailav.conf"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_bob + 2)) md_count "$BOB"
	assert_notice "$BOB" bob@example.test 'att-ja'
	local f
	f=$(grep -l '^Auto-Submitted: auto-generated' "$BOB"/new/* |
	    xargs -r ls -t | head -n 1)
	# the Subject decodes to Japanese text and still names the original
	run inspect --subject "$f"
	assert_output --partial 'att-ja'
	[[ $output == *[ぁ-んァ-ン一-龥]* ]]
}

# --- with the archive ---------------------------------------------------

@test "receive, archive, clean: delivered, original archived" {
	mkmsg clean sender@remote.test carol@archive.test 'clean-arch' "$M"
	smtp "$P_IN" sender@remote.test carol@archive.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_carol + 1)) md_count "$CAROL"
	assert_archived
}

@test "receive, archive, infected body: body deleted, rest delivered, recipient told, original archived" {
	mkmsg body sender@remote.test carol@archive.test 'body-arch' "$M"
	smtp "$P_IN" sender@remote.test carol@archive.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_carol + 2)) md_count "$CAROL"
	assert_archived
	assert_notice "$CAROL" carol@archive.test 'body-arch'
	local f; f=$(md_subject "$CAROL" body-arch)
	[ -n "$f" ]
	run -0 mail-scan -d "$PF/db" "$f"
	run inspect "$f"
	assert_line 'text/plain notes.txt eicar=no'
	refute_line --partial 'eicar=yes'
	refute_line RAW-EICAR
	pf_settle
	assert_equal "$(md_count "$ADMIN")" "$n_admin"
}

@test "receive, archive, infected attachment: removed, rest delivered, recipient told, original archived" {
	mkmsg att sender@remote.test carol@archive.test 'att-arch' "$M"
	smtp "$P_IN" sender@remote.test carol@archive.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_carol + 2)) md_count "$CAROL"
	assert_archived
	assert_notice "$CAROL" carol@archive.test 'att-arch'
	local f; f=$(md_subject "$CAROL" att-arch)
	[ -n "$f" ]
	run -0 mail-scan -d "$PF/db" "$f"
	run inspect "$f"
	assert_line 'text/plain - eicar=no'
	assert_line 'text/plain notes.txt eicar=no'
	refute_line --partial 'eicar=yes'
	pf_settle
	assert_equal "$(md_count "$ADMIN")" "$n_admin"
}

@test "receive, archive, infected body and all attachments: 550, recipient told, original archived" {
	mkmsg body-all sender@remote.test carol@archive.test 'body-all-arch' "$M"
	smtp "$P_IN" sender@remote.test carol@archive.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	wait_for $((n_carol + 1)) md_count "$CAROL"
	assert_archived
	assert_notice "$CAROL" carol@archive.test 'body-all-arch'
	[ -z "$(md_subject "$CAROL" body-all-arch)" ]
}

@test "receive, archive, infected body and some attachments: both deleted, the rest delivered, recipient told" {
	mkmsg body-some sender@remote.test carol@archive.test 'body-some-arch' "$M"
	smtp "$P_IN" sender@remote.test carol@archive.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_carol + 2)) md_count "$CAROL"
	assert_archived
	assert_notice "$CAROL" carol@archive.test 'body-some-arch'
	local f; f=$(md_subject "$CAROL" body-some-arch)
	[ -n "$f" ]
	run -0 mail-scan -d "$PF/db" "$f"
	run inspect "$f"
	assert_line 'text/plain notes.txt eicar=no'
	refute_line --partial 'eicar=yes'
	refute_line RAW-EICAR
}

@test "receive, recipients with and without the archive: the stricter rules, archive copy kept" {
	mkmsg body sender@remote.test 'carol@archive.test, bob@example.test' 'mixed' "$M"
	smtp "$P_IN" sender@remote.test carol@archive.test,bob@example.test "$M"
	[[ $reply == "550 5.7.1 Virus found: Eicar-Test-Signature"* ]] ||
	    { fail_diag; false; }
	assert_archived
	pf_settle
	assert_equal "$(md_count "$CAROL")" "$n_carol"
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "receive, archive cannot be written: 451, nothing delivered" {
	sed -i "s|^archive_maildir = .*|archive_maildir = $PF/mailav.conf/not-a-dir|" "$PF/mailav.conf"
	mkmsg clean sender@remote.test carol@archive.test 'noarch-store' "$M"
	smtp "$P_IN" sender@remote.test carol@archive.test "$M"
	sed -i "s|^archive_maildir = .*|archive_maildir = $PF/archive|" "$PF/mailav.conf"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	pf_settle
	assert_equal "$(md_count "$CAROL")" "$n_carol"
}

# --- failures -----------------------------------------------------------

@test "receive, database missing: 451; sent again once it is back: delivered" {
	mv "$PF/db" "$PF/db.away"
	mkmsg att sender@remote.test bob@example.test 'nodb' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	mv "$PF/db.away" "$PF/db"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	pf_settle
	assert_equal "$(md_count "$BOB")" "$n_bob"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	[[ $reply == "250 "* ]] || { fail_diag; false; }
	wait_for $((n_bob + 2)) md_count "$BOB"
	[ -n "$(md_subject "$BOB" nodb)" ]
}

@test "receive, clamd down: 451" {
	printf 'clamd = %s\n' "$PF/run/no-clamd.sock" >>"$PF/mailav.conf"
	mkmsg clean sender@remote.test bob@example.test 'noclamd' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	sed -i '/^clamd = /d' "$PF/mailav.conf"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	pf_settle
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "receive, empty database: 451" {
	mkdir -p "$PF/db.empty"
	sed -i "s|^database = .*|database = $PF/db.empty|" "$PF/mailav.conf"
	mkmsg clean sender@remote.test bob@example.test 'emptydb' "$M"
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	sed -i "s|^database = .*|database = $PF/db|" "$PF/mailav.conf"
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
}

@test "receive, a tool that hangs: 451 after filter_timeout" {
	# mail-scan itself hangs on a clamd that accepts and never answers
	# (clamd's own timeout longer): its alarm(2) ends it
	"$PY" "$FIX/postfix/muteclamd.py" "$PF/run/hang.sock" 30 \
	    </dev/null >/dev/null 2>&1 3>&- &
	local py=$! i
	for i in $(seq 50); do [ -S "$PF/run/hang.sock" ] && break; sleep 0.1; done
	printf 'clamd = %s\nclamd_scan_timeout = 600\nfilter_timeout = 2\n' \
	    "$PF/run/hang.sock" >>"$PF/mailav.conf"
	mkmsg clean sender@remote.test bob@example.test 'slow' "$M"
	SECONDS=0
	smtp "$P_IN" sender@remote.test bob@example.test "$M"
	sed -i '/^clamd = /d; /^clamd_scan_timeout = 600$/d; /^filter_timeout = 2$/d' \
	    "$PF/mailav.conf"
	kill "$py" 2>/dev/null || :
	[[ $reply == "451 4.3.0 "* ]] || { fail_diag; false; }
	[ "$SECONDS" -lt 20 ]
	pf_settle
	assert_equal "$(md_count "$BOB")" "$n_bob"
}

@test "receive: nothing infected was ever delivered to a mailbox, nothing left for the relay" {
	assert_equal "$(relay_count)" 0
	local n
	n=$(find "$PF"/vmail/*/*/new -type f | wc -l)
	[ "$n" -ge 5 ]
	# one mail-scan run over every file: exit 0 only when all are clean
	run -0 mail-scan -d "$PF/db" "$PF"/vmail/*/*/new/*
}
