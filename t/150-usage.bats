#!/usr/bin/env bats
load helper
bats_require_minimum_version 1.5.0

# mail-scan, mail-strip and mail-notify: --help prints the usage on stdout
# and exits 0, --version the version, and the SYNOPSIS of each man page
# says the same as its --help (blanks aside).

@test "usage: SYNOPSIS of mail-scan(1), mail-strip(1), mail-notify(1) is --help" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	local p man help
	for p in mail-scan mail-strip mail-notify; do
		run -0 --separate-stderr "$p" --help
		[ -z "$stderr" ]
		help=$(printf '%s\n' "$output" | sed 's/^usage: //' | tr -d ' \t\n')
		man=$(mandoc -Tascii "$TOP/man/$p.1" | col -b |
		    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
		    tr -d ' \t\n')
		assert_equal "$help" "$man"
		run -0 "$p" --version
		assert_output "$p (mailav) $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile")"
	done
}
