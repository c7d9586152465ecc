#!/usr/bin/env bats
# Every configuration block of share/README, copied as an administrator
# would copy it, is loaded by the real tool it is for: mailav.conf blocks by
# the pipelines, mail-notify, mail-scan and sig-update; clamd.conf blocks by
# clamconf and a real clamd; main.cf and master.cf blocks by postconf(1);
# share/proxsmtpd-*.conf by proxsmtpd.  A block is the lines indented under
# a line naming the file ("  /etc/mailav/mailav.conf:"), up to a blank line.

bats_require_minimum_version 1.5.0
load helper
load clamd

README=$TOP/share/README

# blocks DIR: write block N of README to DIR/N.KIND (KIND: the file's base
# name) and print "N KIND" per block.
blocks() {
	perl -e '
	my ($dir) = @ARGV; my ($n, $ind, $out, $cut) = (0);
	open(my $in, "<", "'"$README"'") or die;
	while (<$in>) {
		if (defined $out) {
			if (/^\s*$/ || !/^(\s+)/ || length($1) <= $ind) {
				close $out; undef $out;
			} else {
				# The first line sets the indentation taken
				# off: continuation lines keep the rest.
				/^(\s+)/; $cut = length($1) unless defined $cut;
				substr($_, 0, $cut) = "" if length($1) >= $cut;
				print $out $_; next;
			}
		}
		if (m{^( +)([/~]\S+)(?: or ([/~]\S+))?:$}) {
			my $f = defined $3 ? $3 : $2;
			(my $kind = $f) =~ s{.*/}{};
			$kind =~ s{^\.}{};
			$ind = length($1); $n++; undef $cut;
			open($out, ">", "$dir/$n.$kind") or die;
			print "$n $kind\n";
		}
	}' "$1"
}

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/b"
	blocks "$BATS_FILE_TMPDIR/b" >"$BATS_FILE_TMPDIR/list"
}

setup() {
	B=$BATS_FILE_TMPDIR/b
}

# A clamd left by a failed test is stopped.
teardown() {
	clamd_stop
}

# kind_files KIND: the block files of that kind.
kind_files() {
	awk -v k="$1" '$2 == k { print $1 "." $2 }' "$BATS_FILE_TMPDIR/list" |
	    sed "s|^|$B/|"
}

@test "share/README has the config blocks this test loads, of known kinds" {
	cat "$BATS_FILE_TMPDIR/list"
	for k in mailav.conf clamd.conf main.cf master.cf; do
		[ -n "$(kind_files "$k")" ] || {
			echo "no $k block found"
			return 1
		}
	done
	# A kind nobody loads would go unchecked: only these, plus the
	# procmail/maildrop recipes (t/540 runs the included files).
	run awk '$2 !~ /^(mailav\.conf|clamd\.conf|main\.cf|master\.cf|procmailrc|maildroprc)$/' \
	    "$BATS_FILE_TMPDIR/list"
	assert_output ''
}

@test "no block carries a comment after a value" {
	# mailav.conf, main.cf, master.cf and clamd.conf all take the rest of
	# the line as the value: a " # ..." becomes part of it.  (procmail
	# takes such comments.)
	for f in $B/*.mailav.conf $B/*.main.cf $B/*.master.cf $B/*.clamd.conf; do
		run grep -n '[^[:space:]].*[[:space:]]#' "$f"
		assert_output ''
	done
}

@test "mailav.conf blocks: the receive pipeline, mail-notify's MX rule, sig-update" {
	for f in $(kind_files mailav.conf); do
		cp "$f" "$BATS_TEST_TMPDIR/m.conf"
		# Addresses of the blocks that must not be touched from a test:
		# clamd daemons elsewhere become a closed port here, and the
		# embedded engine gets the sample database.
		sed -i -e 's|10\.0\.0\.[0-9]*:3310|127.0.0.1:9|g' \
		    -e '/^clamd = /d' "$BATS_TEST_TMPDIR/m.conf"
		echo "database = $SAMPLEDB" >>"$BATS_TEST_TMPDIR/m.conf"
		# The README's own check: 0 and the tagged message.
		run -0 sh -c 'printf "Subject: t\n\nhello\n" |
		    MAILAV_CONF="$1" "$2"/share/mailav-receive user@example.jp' \
		    sh "$BATS_TEST_TMPDIR/m.conf" "$TOP"
		assert_output --partial 'X-Virus-Status: Clean'
		# sig-update reads every update_ key strictly; with no source
		# it stops at 78 after that.
		run -78 "$BIN/sig-update" -c "$BATS_TEST_TMPDIR/m.conf" -n
		assert_output --partial 'no source configured'
		# No key of a block is misspelt or has a value its program
		# cannot read (the README's `sig-update check').
		run -0 "$BIN/sig-update" -c "$BATS_TEST_TMPDIR/m.conf" check
		assert_output ''
		# notify_local_addresses as copied: a sender whose From is a
		# literal of that address passes the MX rule.
		addr=$(sed -n 's/^notify_local_addresses = \([^ ,]*\).*/\1/p' \
		    "$BATS_TEST_TMPDIR/m.conf")
		[ -n "$addr" ] || continue
		printf 'From: u@[%s]\nTo: x@example.net\nSubject: s\n\nb\n' \
		    "$addr" >"$BATS_TEST_TMPDIR/msg"
		"$BIN/mail-scan" -j -d "$SAMPLEDB" "$BATS_TEST_TMPDIR/msg" \
		    >"$BATS_TEST_TMPDIR/v.json" || :
		run -0 "$BIN/mail-notify" -c "$BATS_TEST_TMPDIR/m.conf" \
		    -r sender -M -t "u@[$addr]" -f "u@[$addr]" -l en \
		    -T "$TOP/share/templates" \
		    -v "$BATS_TEST_TMPDIR/v.json" -a blocked "$BATS_TEST_TMPDIR/msg"
	done
}

@test "clamd.conf blocks: clamconf accepts them and clamd starts on them" {
	clamd_usable || skip "$CLAMD_SKIP"
	# The README's block is share/clamav/clamd.conf without its comments.
	grep -v '^#' "$TOP/share/clamav/clamd.conf" |
	    diff - "$(kind_files clamd.conf | head -1)"
	for f in $(kind_files clamd.conf); do
		mkdir -p "$BATS_TEST_TMPDIR/cc"
		cp "$f" "$BATS_TEST_TMPDIR/cc/clamd.conf"
		run clamconf -c "$BATS_TEST_TMPDIR/cc"
		refute_output --partial ERROR
		assert_output --partial 'Config file: clamd.conf'
		# clamd on the block: its database path is sig-update's, a
		# link to a set; here a set of the test database.
		d=$BATS_TEST_TMPDIR/run
		make_clamd_db "$d/db.sets/00000001"
		ln -s db.sets/00000001 "$d/db"
		mkdir -p "$d/tmp"
		sed "s|^DatabaseDirectory .*|DatabaseDirectory $d/db|" "$f" \
		    >"$d/clamd.conf"
		printf '%s\n' 'Foreground yes' "LocalSocket $d/clamd.sock" \
		    "TemporaryDirectory $d/tmp" "LogFile $d/clamd.log" \
		    'SelfCheck 0' >>"$d/clamd.conf"
		"$CLAMD" -c "$d/clamd.conf" >"$d/clamd.out" 2>&1 3>&- &
		CLAMD_PID=$!
		disown "$CLAMD_PID" 2>/dev/null || :
		for i in $(seq 1 600); do
			[ ! -S "$d/clamd.sock" ] || break
			kill -0 "$CLAMD_PID" 2>/dev/null || break
			sleep 0.1
		done
		run -1 "$BIN/mail-scan" -c "$d/clamd.sock" \
		    "$TOP/share/samples/infected-attachment.eml"
		assert_output --partial 'eicar.com'
		# The mailav.conf blocks that name clamd, with this one's
		# socket for Debian's and a closed port for the others.
		for m in $(kind_files mailav.conf); do
			grep -q '^clamd = ' "$m" || continue
			sed -e "s|/run/clamav/clamd.ctl|$d/clamd.sock|g" \
			    -e 's|10\.0\.0\.[0-9]*:3310|127.0.0.1:9|g' "$m" \
			    >"$d/m.conf"
			run -1 env MAILAV_CONF="$d/m.conf" "$BIN/mail-scan" \
			    "$TOP/share/samples/infected-attachment.eml"
			assert_output --partial 'eicar.com'
		done
		clamd_stop
		rm -rf "$d" "$BATS_TEST_TMPDIR/cc"
	done
}

@test "main.cf and master.cf blocks, and share/postfix, load in postconf" {
	command -v postconf >/dev/null || skip "postconf (Debian postfix) is not installed"
	d=$BATS_TEST_TMPDIR/pf
	mkdir -p "$d"
	{ cat "$TOP/share/postfix/main.cf"; cat $(kind_files main.cf); } \
	    >"$d/main.cf"
	{ cat "$TOP/share/postfix/master.cf"; cat $(kind_files master.cf); } \
	    >"$d/master.cf"
	run --separate-stderr postconf -c "$d" -n
	assert_success
	[ -z "$stderr" ] || { echo "$stderr"; return 1; }
	run --separate-stderr postconf -c "$d" -M
	assert_success
	[ -z "$stderr" ] || { echo "$stderr"; return 1; }
	run --separate-stderr postconf -c "$d" -P
	assert_success
	[ -z "$stderr" ] || { echo "$stderr"; return 1; }
	# Every block's services: smtp, submission, the return smtpd, and
	# port 465 with the send filter like submission.
	run postconf -c "$d" -P submissions/inet/smtpd_proxy_filter \
	    submission/inet/smtpd_proxy_filter smtp/inet/smtpd_proxy_filter
	assert_output "smtp/inet/smtpd_proxy_filter = 127.0.0.1:10025
submission/inet/smtpd_proxy_filter = 127.0.0.1:10027
submissions/inet/smtpd_proxy_filter = 127.0.0.1:10027"
}

@test "share/postfix: XFORWARD is trusted by the return smtpd only" {
	command -v postconf >/dev/null || skip "postconf (Debian postfix) is not installed"
	d=$BATS_TEST_TMPDIR/pf
	mkdir -p "$d"
	cp "$TOP/share/postfix/main.cf" "$TOP/share/postfix/master.cf" "$d/"
	run postconf -c "$d" -n smtpd_authorized_xforward_hosts
	assert_output ''
	run postconf -c "$d" -P
	assert_output --partial \
	    '127.0.0.1:10026/inet/smtpd_authorized_xforward_hosts = 127.0.0.0/8'
	[ "$(echo "$output" | grep -c smtpd_authorized_xforward_hosts)" = 1 ]
}
