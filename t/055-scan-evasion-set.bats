#!/usr/bin/env bats
load helper
# The evasion set of t/fixtures/evasion/gen.py: every way of writing MIME
# that some mainstream client reads (transfer encodings, boundaries, field
# and parameter names, text bodies), each hiding the EICAR file, EICAR
# zipped, a known text file of several lines and, with clamav-testfiles,
# clam.exe and clam.exe zipped; every message with LF and with CRLF line
# ends.  mail-scan must find each, name the part the manifest says, say
# whether it is deletable as the manifest says, and never leave it to the
# whole-message backstop; mail-strip must then take it out (or refuse,
# exit 3, where it cannot be deleted) and the output must scan clean.
#
# The database knows the files by MD5 only (as the official one knows
# EICAR and clam.exe), plus EICAR as a raw body pattern: so a reading that
# decodes one byte too many or too few misses the file.

bats_require_minimum_version 1.5.0

setup_file() {
	local le f clam=
	EV=$BATS_FILE_TMPDIR/ev
	DB=$BATS_FILE_TMPDIR/db
	export EV DB
	[ -f "$CLAMTF/clam.exe" ] && clam=$CLAMTF/clam.exe
	python3 "$FIX/evasion/gen.py" "$EV" $clam
	mkdir -p "$DB"
	cp "$SAMPLEDB/eicar.hdb" "$DB/"
	grep ':0:' "$SAMPLEDB/eicar.ndb" >"$DB/eicar.ndb"
	hdb() {
		printf '%s:%s:%s\n' "$(md5sum <"$1" | cut -d' ' -f1)" \
		    "$(wc -c <"$1" | tr -d ' ')" "$2"
	}
	hdb "$EV/lines.txt" Mailav.Test.Lines >"$DB/lines.hdb"
	[ -z "$clam" ] || hdb "$clam" Clamav.Test.File-6 >"$DB/clam.hdb"
	printf 'strip_templates = %s/share/templates\n' "$TOP" \
	    >"$BATS_FILE_TMPDIR/mailav.conf"
	for le in lf crlf; do
		mail-scan -j -d "$DB" "$EV/$le"/*.eml >"$EV/$le.json" ||
		    [ $? -eq 1 ]
		mkdir -p "$EV/$le.v" "$EV/$le.out"
		python3 -c '
import json, os, sys
for line in open(sys.argv[1]):
    v = json.loads(line)
    with open(os.path.join(sys.argv[2], os.path.basename(v["file"])) +
              ".json", "w") as f:
        f.write(line)
' "$EV/$le.json" "$EV/$le.v"
		# mail-strip on each: FILE and its exit status.
		: >"$EV/$le.strip"
		while IFS=$'\t' read -r f _; do
			rc=0
			MAILAV_CONF=$BATS_FILE_TMPDIR/mailav.conf mail-strip \
			    -v "$EV/$le.v/$f.json" "$EV/$le/$f" \
			    >"$EV/$le.out/$f" 2>/dev/null || rc=$?
			printf '%s\t%s\n' "$f" "$rc" >>"$EV/$le.strip"
			[ "$rc" -eq 0 ] || rm -f "$EV/$le.out/$f"
		done <"$EV/MANIFEST.tsv"
		mail-scan -j -d "$DB" "$EV/$le.out"/*.eml \
		    >"$EV/$le.out.json" || [ $? -eq 1 ]
	done
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# check_class CLASS LE: every message of CLASS found, attributed,
# deletable as the manifest says, none by the backstop alone.
check_class() {
	run -0 python3 "$FIX/evasion/check.py" "$EV/MANIFEST.tsv" \
	    "$EV/$2.json" "$1"
	n=$(awk -F'\t' -v c="$1" '$2 == c' "$EV/MANIFEST.tsv" | wc -l)
	[ "$n" -gt 0 ]
	assert_output "$n messages: $n found, $n attributed, $n deletable as expected, 0 backstop-only"
}

# strip_class CLASS LE: mail-strip took out every deletable one (exit 0,
# the output scans clean) and refused every other (exit 3).
strip_class() {
	local f cls del rc bad=
	while IFS=$'\t' read -r f cls _ _ _ del; do
		[ "$cls" = "$1" ] || continue
		rc=$(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$EV/$2.strip")
		if [ "$del" = true ]; then
			[ "$rc" = 0 ] || bad="$bad $f:exit=$rc"
		else
			[ "$rc" = 3 ] || bad="$bad $f:exit=$rc(want 3)"
		fi
	done <"$EV/MANIFEST.tsv"
	[ -z "$bad" ] || { echo "mail-strip:$bad"; return 1; }
	# Every output of the class is clean, and names no virus.
	run -0 python3 -c '
import json, os, sys
want = {l.split("\t")[0] for l in open(sys.argv[1])
        if l.split("\t")[1] == sys.argv[3]}
for line in open(sys.argv[2]):
    v = json.loads(line)
    f = os.path.basename(v["file"])
    if f in want and (v["class"] != "clean" or v["viruses"]):
        print(f, v["class"], v["viruses"])
' "$EV/MANIFEST.tsv" "$EV/$2.out.json" "$1"
	assert_output ''
}

@test "transfer encodings (yEnc, uuencode spellings, BinHex, base64 '=' and lines, QP escapes, CTE values), LF" {
	check_class encoding lf
	strip_class encoding lf
}

@test "transfer encodings, CRLF" {
	check_class encoding crlf
	strip_class encoding crlf
}

@test "boundaries (RFC 2231, comments, quoting, white space, two parameters, outer inside inner), LF" {
	check_class boundary lf
	strip_class boundary lf
}

@test "boundaries, CRLF" {
	check_class boundary crlf
	strip_class boundary crlf
}

@test "field and parameter names and types (space before colon, case, comments, odd multipart types), LF" {
	check_class names lf
	strip_class names lf
}

@test "field and parameter names and types, CRLF" {
	check_class names crlf
	strip_class names crlf
}

@test "text bodies: EICAR raw in an HTML alternative is that body part, LF" {
	check_class text lf
	strip_class text lf
}

@test "text bodies, CRLF" {
	check_class text crlf
	strip_class text crlf
}

@test "the whole set: nothing for the backstop alone, both line ends" {
	for le in lf crlf; do
		run -0 python3 "$FIX/evasion/check.py" "$EV/MANIFEST.tsv" \
		    "$EV/$le.json"
		assert_output --regexp '^([0-9]+) messages: \1 found, \1 attributed, \1 deletable as expected, 0 backstop-only$'
	done
}

@test "a CRLF text file: found as a client saves it (LF), raw and quoted-printable with blanks before the soft break" {
	for f in raw-no-cte.lines.txt.eml qp-text-soft-ws.lines.txt.eml \
	    qp-text-hard-breaks.lines.txt.eml; do
		run -1 --separate-stderr mail-scan -d "$DB" "$EV/crlf/$f"
		assert_line --index 1 --regexp \
		    $'^2\tattachment\t(text/plain|application/octet-stream)\tlines.txt\t[0-9]+\tMailav.Test.Lines.UNOFFICIAL FOUND$'
	done
}

@test "mail-scan -c (clamd) gives the embedded engine's verdicts on the whole set" {
	load clamd
	clamd_usable || skip "$CLAMD_SKIP"
	mkdir -p "$BATS_TEST_TMPDIR/c/db"
	cp "$DB"/*.hdb "$BATS_TEST_TMPDIR/c/db/"
	clamd_start "$BATS_TEST_TMPDIR/c" 'StreamMaxLength 200M'
	local rc=0
	same_verdicts "$EV"/lf/*.eml "$EV"/crlf/*.eml || rc=$?
	clamd_stop
	[ "$rc" -eq 0 ]
	for le in lf crlf; do
		grep "/$le/" "$BATS_TEST_TMPDIR/clamd.json" >"$le.json"
		run -0 python3 "$FIX/evasion/check.py" "$EV/MANIFEST.tsv" \
		    "$le.json"
		assert_output --regexp '^([0-9]+) messages: \1 found, \1 attributed, \1 deletable as expected, 0 backstop-only$'
	done
}
