#!/usr/bin/env bats
# Every configuration key a program reads is documented in mailav.conf(5)
# and present (commented out) in the example share/mailav.conf; and every
# key those two name is one a program reads (no stale documentation).
# The keys are taken from the sources: the C readers' config_*()/conf_*()
# calls and sig-update's key table, the shell pipelines' conf_load cases.

bats_require_minimum_version 1.5.0
load helper

# keys_read: one key a line, sorted, from the C sources and share/ scripts.
keys_read() {
	{
		# config_get(&cf, "key"), config_bool(&cf, "key", 0),
		# conf_seconds(&cf, "key"): a call with the key as its
		# second argument, possibly split over lines.
		perl -0777 -ne 'while (/\b(?:config|conf)_\w+\s*\(\s*&?[\w.>-]+\s*,\s*"([A-Za-z][\w.-]*)"/g) { print lc($1), "\n" }' \
		    "$TOP"/cmd/*/*.c "$TOP"/common/*.c
		# sig-update reads its keys itself: the table of duration keys
		# and the comparisons with the key read.
		perl -ne 'while (/"(source|update_[a-z0-9_]+)"/g) { print "$1\n" }' \
		    "$TOP"/cmd/sig-update/*.c "$TOP"/common/su_*.c
		# The pipelines ask mail-scan --config-sh for theirs: the
		# m_keys= list of share/mailav-lib.sh, and the list given to
		# --config-sh in the scripts.
		perl -ne 'if (/^m_keys=([a-z0-9_,]+)/ || /--config-sh ([a-z0-9_,]+)/) { print "$_\n" for split /,/, $1 }' \
		    "$TOP"/share/mailav-lib.sh "$TOP"/share/mailav-* \
		    "$TOP"/share/procmailrc "$TOP"/share/maildroprc
	} | sort -u
}

# Keys of the man page: the .It lines of DESCRIPTION, first word and every
# further "Cm key" of a comma list.
keys_man() {
	sed -n '/^\.Sh DESCRIPTION/,/^\.Sh FILES/p' "$TOP/man/mailav.conf.5" |
	    perl -ne 'next unless /^\.It Cm /; s/\bNo = .*//;
		while (/(?:^\.It Cm |, |Cm )([a-z][a-z0-9_]*)\b/g) { print "$1\n" }' |
	    sort -u
}

# Keys of the table common/config_keys.c, the one `sig-update check' and
# sig-update's warnings hold a file against: one entry a line, the key
# its first string.
keys_table_all() {
	perl -ne 'print "$1\n" if /^\t(?:\{ |(?:TEXT|SECS|DUR|SIZE|PATH)\()"([a-z][a-z0-9_]*)"/' \
	    "$TOP/common/config_keys.c"
}

keys_table() {
	keys_table_all | sort -u
}

keys_example() {
	sed -n 's/^#\([a-z][a-z0-9_]*\) = .*/\1/p' "$TOP/share/mailav.conf" |
	    sort -u
}

@test "the key extraction finds the keys every program is known to read" {
	keys_read >"$BATS_TEST_TMPDIR/read"
	# One of each reader: mail-scan, mail-notify, mail-strip, sig-update
	# (table and comparison), the shell pipelines.
	for k in database clamd clamd_allow_oversize notify_from \
	    notify_headers_part strip_templates source update_dbdir \
	    update_timeout update_keep archive_domains filter_timeout sendmail; do
		grep -qx "$k" "$BATS_TEST_TMPDIR/read" || {
			echo "not found in the sources: $k"
			return 1
		}
	done
	[ "$(wc -l <"$BATS_TEST_TMPDIR/read")" -ge 40 ]
}

@test "every key a program reads is documented in mailav.conf(5)" {
	keys_read >"$BATS_TEST_TMPDIR/read"
	keys_man >"$BATS_TEST_TMPDIR/man"
	run comm -23 "$BATS_TEST_TMPDIR/read" "$BATS_TEST_TMPDIR/man"
	assert_output ''
}

@test "every key a program reads is in share/mailav.conf, commented out" {
	keys_read >"$BATS_TEST_TMPDIR/read"
	keys_example >"$BATS_TEST_TMPDIR/example"
	run comm -23 "$BATS_TEST_TMPDIR/read" "$BATS_TEST_TMPDIR/example"
	assert_output ''
	# Commented out: the example sets nothing but the official network's
	# databases, the sources a fresh install is meant to update from.
	run grep -Ev '^[[:space:]]*(#|$)|^source = (main|daily|bytecode) cvd official$' \
	    "$TOP/share/mailav.conf"
	assert_output ''
	run grep -c '^source = ' "$TOP/share/mailav.conf"
	assert_output 3
}

@test "mailav.conf(5) and share/mailav.conf name no key that nothing reads" {
	keys_read >"$BATS_TEST_TMPDIR/read"
	keys_man >"$BATS_TEST_TMPDIR/man"
	keys_example >"$BATS_TEST_TMPDIR/example"
	run comm -13 "$BATS_TEST_TMPDIR/read" "$BATS_TEST_TMPDIR/man"
	assert_output ''
	run comm -13 "$BATS_TEST_TMPDIR/read" "$BATS_TEST_TMPDIR/example"
	assert_output ''
}

@test "share/mailav.conf loads: every value line uncommented is accepted" {
	# The example, uncommented, is read by the real readers without a
	# syntax error (values are examples: only the syntax is at stake).
	sed -n 's/^#\([a-z][a-z0-9_]* = \)/\1/p' "$TOP/share/mailav.conf" |
	    grep -v '^clamd\|^source\|^update_post_command\|^notify_resolver' \
	    >"$BATS_TEST_TMPDIR/m.conf"
	run -0 "$BIN/mail-strip" -c "$BATS_TEST_TMPDIR/m.conf" -l en \
	    "$TOP/share/samples/clean.eml"
	run -78 "$BIN/sig-update" -c "$BATS_TEST_TMPDIR/m.conf" -n
	assert_output --partial 'no source configured'
}

@test "the table of keys is the man page's list, and holds every key read" {
	keys_table >"$BATS_TEST_TMPDIR/table"
	keys_man >"$BATS_TEST_TMPDIR/man"
	keys_read >"$BATS_TEST_TMPDIR/read"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/table")" -ge 40 ]
	# The same keys, both ways.
	run -0 diff "$BATS_TEST_TMPDIR/man" "$BATS_TEST_TMPDIR/table"
	# Every config_*() lookup and every --config-sh key is in the table.
	run comm -23 "$BATS_TEST_TMPDIR/read" "$BATS_TEST_TMPDIR/table"
	assert_output ''
	# One entry a key.
	keys_table_all | sort | uniq -d >"$BATS_TEST_TMPDIR/twice"
	run -0 cat "$BATS_TEST_TMPDIR/twice"
	assert_output ''
}

@test "the table says who reads a key as mailav.conf(5)'s subsections do" {
	# A key of the man page's sig-update subsection is sig-update's in the
	# table, and sig-update shares no entry with a filter.
	sed -n '/^\.Ss sig-update/,/^\.Sh FILES/p' "$TOP/man/mailav.conf.5" |
	    perl -ne 'next unless /^\.It Cm /; s/\bNo = .*//;
		while (/(?:^\.It Cm |, |Cm )([a-z][a-z0-9_]*)\b/g) { print "$1\n" }' |
	    sort -u >"$BATS_TEST_TMPDIR/man-su"
	perl -ne 'if (/^\t(\{ |[A-Z]+\()"([a-z][a-z0-9_]*)"(.*)/) {
		my ($how, $k, $rest) = ($1, $2, $3);
		print "$k\n" if $how =~ /^(DUR|SIZE|PATH)\(/ ||
		    $rest =~ /^, CK_SIGUPD\b/ }' \
	    "$TOP/common/config_keys.c" | sort -u >"$BATS_TEST_TMPDIR/table-su"
	run -0 diff "$BATS_TEST_TMPDIR/man-su" "$BATS_TEST_TMPDIR/table-su"
	run grep -E 'CK_SIGUPD *\||\| *CK_SIGUPD' "$TOP/common/config_keys.c"
	assert_output ''
}

@test "each key of a program's subsection of mailav.conf(5) is that program's in the table" {
	# "key FLAGS" for every entry; the macros DUR, SIZE and PATH are
	# sig-update's.
	perl -ne 'if (/^\t(\{ |[A-Z]+\()"([a-z][a-z0-9_]*)"(.*)/) {
		my ($how, $k, $rest) = ($1, $2, $3);
		my $f = $how =~ /^(DUR|SIZE|PATH)\(/ ? "CK_SIGUPD" :
		    ($rest =~ /^, ((?:CK_[A-Z]+(?: \| )?)+)/)[0];
		print "$k $f\n" }' "$TOP/common/config_keys.c" >"$BATS_TEST_TMPDIR/flags"
	n=0
	for sec in mail-notify:CK_NOTIFY mail-scan:CK_SCAN Pipelines:CK_PIPE \
	    mail-strip:CK_STRIP sig-update:CK_SIGUPD; do
		sed -n "/^\.Ss ${sec%%:*}\$/,/^\.S[sh] /p" "$TOP/man/mailav.conf.5" |
		    perl -ne 'next unless /^\.It Cm /; s/\bNo = .*//;
			while (/(?:^\.It Cm |, |Cm )([a-z][a-z0-9_]*)\b/g) { print "$1\n" }' |
		    sort -u >"$BATS_TEST_TMPDIR/sec"
		[ -s "$BATS_TEST_TMPDIR/sec" ]
		while read -r k; do
			n=$((n + 1))
			grep -q "^$k .*${sec#*:}" "$BATS_TEST_TMPDIR/flags" || {
				echo "$k: in ${sec%%:*} of mailav.conf(5), not ${sec#*:} in the table"
				return 1
			}
		done <"$BATS_TEST_TMPDIR/sec"
	done
	[ "$n" -ge 40 ]
}

@test "share/mailav.conf is clean under sig-update check, shipped and uncommented" {
	run -0 "$BIN/sig-update" -C "$TOP/share/mailav.conf" check
	assert_output ''
	# Every example value, uncommented, is one its key accepts (the
	# placeholder pin of the example source aside).
	sed -n 's/^#\([a-z][a-z0-9_]* = \)/\1/p' "$TOP/share/mailav.conf" |
	    grep -v 'sha256=<' >"$BATS_TEST_TMPDIR/m.conf"
	[ "$(grep -c . "$BATS_TEST_TMPDIR/m.conf")" -ge 40 ]
	run -0 "$BIN/sig-update" -C "$BATS_TEST_TMPDIR/m.conf" check
	assert_output ''
}

# mail-scan --front runs the scripts' first mail-scan itself: the keys it
# asks for must be the ones share/mailav-lib.sh asks for, or a script run
# through the front would find a key it needs unset.
@test "mail-scan --front asks for the keys the scripts' scan_first asks for" {
	local c s
	c=$(sed -n 's/^#define FRONT_KEYS[[:space:]]*"\(.*\)"$/\1/p' \
	    "$TOP/cmd/mail-scan/front.c")
	s=$(sed -n 's/^m_keys=//p' "$TOP/share/mailav-lib.sh")
	[ -n "$c" ]
	[ "$c" = "$s" ]
}
