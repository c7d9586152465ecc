#!/usr/bin/env bats
load helper
load clamd

# mail-scan -c sends a large attachment to clamd piece by piece as it
# decodes it, instead of a decoded copy of the whole part.  The pieces must
# put together exactly the bytes the embedded engine decodes at once: each
# message's attachment has an MD5 signature (t/fixtures/stream/mkstream.py)
# that one byte lost, doubled or changed where two pieces meet would miss.
# Plain base64, quoted-printable, 7bit and 8bit are streamed, with LF or
# CRLF (quoted-printable, 7bit and 8bit with CRLF twice: as they are, and
# with CRLF read as LF); the kinds that another reading of the MIME engine reads
# differently (77-column lines, junk, pads: scanmsg.c other_readings) are
# decoded whole as before, and must give the same bytes all the same.

bats_require_minimum_version 1.5.0

KINDS="b64 b64-77 b64-junk b64-pad qp b64-crlf b64-junk-crlf qp-crlf
8bit 8bit-crlf 7bit 7bit-crlf"

setup_file() {
	local k
	clamd_usable || return 0
	mkdir -p "$BATS_FILE_TMPDIR/c/db" "$BATS_FILE_TMPDIR/m"
	for k in $KINDS; do
		python3 "$FIX/stream/mkstream.py" "$k" \
		    "$BATS_FILE_TMPDIR/m/$k.eml" \
		    "$BATS_FILE_TMPDIR/c/db/stream.hdb" || return 1
	done
	# 30 MiB decoded, in a 40 MiB message.
	python3 "$FIX/stream/mkstream.py" b64 "$BATS_FILE_TMPDIR/m/big.eml" \
	    "$BATS_FILE_TMPDIR/big.hdb" 30 || return 1
	sed 's/:Stream\.B64$/:Stream.Big/' "$BATS_FILE_TMPDIR/big.hdb" \
	    >>"$BATS_FILE_TMPDIR/c/db/stream.hdb"
	clamd_start "$BATS_FILE_TMPDIR/c" 'StreamMaxLength 200M' || return 1
}

setup() {
	need_clamd
}

teardown_file() {
	clamd_stop
}

@test "clamd: large attachments, streamed or decoded whole, arrive byte for byte (base64 plain, odd lines, junk, pads; quoted-printable; 7bit, 8bit; LF and CRLF)" {
	local k name
	for k in $KINDS; do
		same_verdicts "$BATS_FILE_TMPDIR/m/$k.eml"
		case $k in
		b64-junk*) name=Stream.Junk ;;
		b64-pad) name=Stream.Concat ;;
		qp*) name=Stream.QP ;;
		8bit*) name=Stream.8bit ;;
		7bit*) name=Stream.7bit ;;
		*) name=Stream.B64 ;;
		esac
		grep -q "\"part\":\"2\",.*\"virus\":\"$name" \
		    "$BATS_TEST_TMPDIR/clamd.json" ||
		    { echo "$k: $name not found" >&2;
		    cat "$BATS_TEST_TMPDIR/clamd.json" >&2; return 1; }
	done
	# With CRLF, also the content with LF lines.
	run -1 mail-scan -j -c "$CLAMD_SOCK" "$BATS_FILE_TMPDIR/m/qp-crlf.eml"
	assert_output --partial '"viruses":["Stream.QP.UNOFFICIAL","Stream.QP.LF.UNOFFICIAL"]'
	for k in 7bit 8bit; do
		run -1 mail-scan -j -c "$CLAMD_SOCK" \
		    "$BATS_FILE_TMPDIR/m/$k-crlf.eml"
		assert_output --partial "\"viruses\":[\"Stream.$k.UNOFFICIAL\",\"Stream.$k.LF.UNOFFICIAL\"]"
	done
	# Both readings of the padded text: on after the pad, and up to it.
	run -1 mail-scan -j -c "$CLAMD_SOCK" "$BATS_FILE_TMPDIR/m/b64-pad.eml"
	assert_output --partial '"viruses":["Stream.Concat.UNOFFICIAL","Stream.Stop.UNOFFICIAL"]'
}

@test "clamd: a 30 MiB attachment costs mail-scan -c little more memory than the message" {
	local size rss
	size=$(wc -c <"$BATS_FILE_TMPDIR/m/big.eml")
	# Peak RSS (KiB) of the child, from the kernel's accounting.
	rss=$(python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
if r.returncode != 1:
    sys.exit("mail-scan exit %d" % r.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
	    "$BIN/mail-scan" -c "$CLAMD_SOCK" "$BATS_FILE_TMPDIR/m/big.eml")
	echo "message $((size / 1024)) KiB, peak RSS $rss KiB"
	# A decoded copy would add 30 MiB.
	[ "$rss" -lt $((size / 1024 + 12 * 1024)) ]
	run -1 mail-scan -c "$CLAMD_SOCK" "$BATS_FILE_TMPDIR/m/big.eml"
	assert_line --regexp '^2	attachment	.*s\.bin	31457282	Stream\.Big.* FOUND$'
}
