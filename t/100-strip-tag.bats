#!/usr/bin/env bats
load helper
load fixtures/strip/setup
bats_require_minimum_version 1.5.0

# mail-strip with nothing to remove: a tagger that changes two header
# fields and no other byte.

setup() {
	strip_setup
}

@test "strip: every corpus message passes byte for byte but the two fields" {
	need_shared corpus
	local c f rest n=0 fail=0
	mkdir out
	: > pairs
	while IFS='	' read -r c f rest; do
		n=$((n + 1))
		if ! mail-strip "$CORPUS/$c/$f" > "out/$n" 2> "out/$n.err"
		then
			echo "exit $?: $c/$f: $(cat "out/$n.err")"
			fail=$((fail + 1))
		fi
		printf '%s\t%s\n' "$CORPUS/$c/$f" "out/$n" >> pairs
	done < <(tail -n +2 "$CORPUS/MANIFEST.tsv")
	[ "$fail" -eq 0 ]
	[ "$n" -gt 600 ]
	run -0 python3 "$F/untag.py" pairs
	assert_output "$n messages, 0 differ"
}

@test "strip: tagger adds the two fields at the end of the header" {
	cp "$TOP/share/samples/clean.eml" msg.eml
	run -0 mail-strip msg.eml
	printf '%s\n' "$output" > out.eml
	run diff msg.eml out.eml
	assert_output "7a8,9
> X-Virus-Scanned: mailav $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile") on $(hostname)
> X-Virus-Status: Clean"
}

@test "strip: no hostname key: Postfix's literal myhostname from main.cf, postconf not started" {
	printf 'strip_templates = %s/share/templates\n' "$TOP" > mailav.conf
	mkdir pf
	printf '# test\nmyhostname = old.example\nmyhostname = mx1.example.net\n' \
	    > pf/main.cf
	cp "$TOP/share/samples/clean.eml" msg.eml
	run -0 env MAIL_CONFIG="$PWD/pf" mail-strip msg.eml
	assert_line "X-Virus-Scanned: mailav $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile") on mx1.example.net"
	if command -v strace >/dev/null; then
		MAIL_CONFIG=$PWD/pf strace -f -e trace=execve -o trace \
		    mail-strip msg.eml > /dev/null
		run grep -c execve trace
		assert_output 1
	fi
	# a value Postfix expands is left to postconf (or the system's name)
	printf 'myhostname = mx.$mydomain\n' > pf/main.cf
	run -0 env MAIL_CONFIG="$PWD/pf" mail-strip msg.eml
	refute_line --partial 'on mx.$mydomain'
}

@test "strip: tagger reads stdin; a clean verdict changes nothing more" {
	cp "$TOP/share/samples/clean.eml" msg.eml
	mail-scan -d "$SAMPLEDB" -j msg.eml > verdict.json
	mail-strip < msg.eml > a.eml
	mail-strip -v verdict.json msg.eml > b.eml
	cmp a.eml b.eml
	grep -qx 'X-Virus-Status: Clean' a.eml
}

@test "strip: forged X-Virus fields are gone, folded and any case" {
	cat > msg.eml <<'MSG'
X-Virus-Status: Clean
From: a@example.org
X-VIRUS-STATUS: Clean;
	checked by a friend
To: b@example.org
x-virus-scanned: ClamAV on relay
Subject: forged
X-Virus-Status:Clean
X-Virus-Statuses: kept, not ours

body
MSG
	run -0 mail-strip msg.eml
	printf '%s\n' "$output" > out.eml
	run -0 grep -ci '^x-virus-status:' out.eml
	assert_output 1
	run -0 grep -ci '^x-virus-scanned:' out.eml
	assert_output 1
	run -1 grep -c 'friend\|ClamAV' out.eml
	assert_output 0
	grep -qx 'X-Virus-Statuses: kept, not ours' out.eml
	run -0 sed -n '1,5p' out.eml
	assert_output "From: a@example.org
To: b@example.org
Subject: forged
X-Virus-Statuses: kept, not ours
X-Virus-Scanned: mailav $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile") on $(hostname)"
}

@test "strip: forged Clean on infected mail is replaced; inner ones are content" {
	mk nested-rfc822
	sed -i '1i X-Virus-Status: Clean' msg.eml
	scan_json
	strip_ok -v verdict.json
	run -0 grep -i '^X-Virus-Status' out.eml
	assert_output 'X-Virus-Status: Infected (Eicar-Test-Signature.UNOFFICIAL); removed 1 part(s)'
	# The forwarded message's own field went with it; in the tagger it stays.
	mail-strip msg.eml > tagged.eml
	run -0 grep -c '^X-Virus-Status: Clean$' tagged.eml
	assert_output 2
}

@test "strip: CRLF message gets CRLF fields" {
	mk two-attachments crlf
	mail-strip msg.eml > out.eml
	run -0 python3 "$F/check.py" crlf out.eml
	grep -q $'^X-Virus-Status: Clean\r$' out.eml
}

@test "strip: a message without header gets the fields and no blank line" {
	# Issue 13: a blank line after the fields would make the whole
	# original a body to readers that read a header in it.
	printf 'no header here\njust text\n' > msg.eml
	mail-strip msg.eml > out.eml
	run -0 sed -n '3,5p' out.eml
	assert_output "no header here
just text"
	run -0 python3 -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(m["X-Virus-Status"]); print(m.get_payload(), end="")' out.eml
	assert_output "Clean
no header here
just text"
}

@test "strip: a first line of white space: the fields add no blank line, Python splits as before (issue 13)" {
	local first
	for first in '   ' ' From: x@example.org' $'\t'; do
		printf '%s\nFrom: a@example.org\nSubject: s\n\nbody\n' "$first" > msg.eml
		mail-strip msg.eml > out.eml
		run -1 grep -c '^$' <(head -n 4 out.eml)
		python3 - <<'PY'
import email
from email import policy
def read(f):
    m = email.message_from_binary_file(open(f, "rb"), policy=policy.compat32)
    h = [(k, v) for k, v in m.items() if not k.lower().startswith("x-virus")]
    return h, m.get_payload(), m["X-Virus-Status"]
a, b = read("msg.eml"), read("out.eml")
assert a[:2] == b[:2], (a, b)
assert b[2].strip() == "Clean", b
PY
	done
}

@test "strip: write error is exit 75" {
	cp "$TOP/share/samples/clean.eml" msg.eml
	run -75 sh -c 'mail-strip msg.eml > /dev/full'
}

@test "strip: usage errors are exit 64" {
	cp "$TOP/share/samples/clean.eml" msg.eml
	run -64 mail-strip -x msg.eml
	run -64 mail-strip -l fr msg.eml
	run -64 mail-strip msg.eml msg.eml
	run -64 mail-strip -p 'a,2' msg.eml
	run -64 mail-strip -p '0' msg.eml
}

@test "strip: unreadable input is exit 75" {
	run -75 mail-strip does-not-exist.eml
}

@test "strip: a header over the engine's size limit stays the header" {
	python3 -c '
import sys
h = b"".join(b"X-Long-%d: %s\n" % (i, b"a" * 70) for i in range(15000))
sys.stdout.buffer.write(b"From: a@example.org\nX-Virus-Status: Clean\n" + h +
                        b"Subject: big\n\nbody\n")' > msg.eml
	[ "$(wc -c < msg.eml)" -gt 1048576 ]
	mail-strip msg.eml > out.eml
	printf 'msg.eml\tout.eml\n' > pairs
	run -0 python3 "$F/untag.py" pairs
	assert_output "1 messages, 0 differ"
	run -0 tail -n 5 out.eml
	assert_output "Subject: big
X-Virus-Scanned: mailav $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile") on $(hostname)
X-Virus-Status: Clean

body"
}

@test "strip: the host name is the hostname key, else Postfix's myhostname, else gethostname (issue 14)" {
	printf 'strip_templates = %s/share/templates\nhostname = mx.example.jp\n' "$TOP" > h.conf
	cp "$TOP/share/samples/clean.eml" msg.eml
	run -0 mail-strip -C h.conf msg.eml
	assert_line "X-Virus-Scanned: mailav $(sed -n 's/^VERSION = //p' "$TOP/GNUmakefile") on mx.example.jp"
	printf 'strip_templates = %s/share/templates\n' "$TOP" > d.conf
	local want
	want=$(PATH=$PATH:/usr/sbin postconf -h myhostname 2>/dev/null) || want=$(hostname)
	run -0 mail-strip -C d.conf msg.eml
	assert_line --regexp "^X-Virus-Scanned: mailav .* on $want\$"
	printf 'hostname = bad host\n' > b.conf
	run -75 mail-strip -C b.conf msg.eml
	assert_output --partial 'b.conf:1: hostname: not a host name'
}

@test "strip: -c still names the config (deprecated; --help and --version: t/150)" {
	cp "$TOP/share/samples/clean.eml" msg.eml
	printf 'hostname = via.dash.c\n' > h.conf
	run -0 mail-strip -c h.conf msg.eml
	assert_line --partial 'on via.dash.c'
}

@test "strip: no header block: forged X-Virus fields before the first blank line are dropped too" {
	printf '\271rom: x\nX-Virus-Status: Clean\n x\nSubject: s\n\nX-Virus-Status: body\n' > msg.eml
	mail-strip msg.eml > out.eml
	run -0 grep -c '^X-Virus-Status:' out.eml
	assert_output 2
	run -0 sed -n '3,$p' out.eml
	assert_output "$(printf '\271rom: x\nSubject: s\n\nX-Virus-Status: body')"
}
