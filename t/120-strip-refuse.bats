#!/usr/bin/env bats
load helper
load fixtures/strip/setup
bats_require_minimum_version 1.5.0

# What mail-strip refuses, always with nothing on stdout: infected content
# that cannot be deleted (exit 3), a verdict or part list that does not fit
# the message (65), and failures to try again later (75).

setup() {
	strip_setup
}

@test "refuse: single-part message whose only part is the attachment" {
	mk single-attachment
	scan_json
	refused 3 -v verdict.json msg.eml
	refused 3 -p 1 msg.eml
}

@test "refuse: infected part under multipart/signed" {
	mk signed
	scan_json
	refused 3 -v verdict.json msg.eml
	assert_output --partial 'multipart/signed'
	refused 3 -p 1.2 msg.eml
	assert_output --partial 'multipart/signed'
}

@test "refuse: file uuencoded inside the text" {
	mk uuencoded
	scan_json
	grep -q '"how":"uuencode"' verdict.json
	refused 3 -v verdict.json msg.eml
}

@test "refuse: multipart without a boundary (too broken)" {
	mk no-boundary
	scan_json
	refused 3 -v verdict.json msg.eml
}

@test "refuse: part under an ambiguous multipart header" {
	mk ambiguous
	scan_json
	refused 3 -v verdict.json msg.eml
	assert_output --partial 'ambiguous'
	refused 3 -p 2 msg.eml
}

@test "refuse: virus found only by the whole-message backstop" {
	mk two-attachments
	cat > verdict.json <<'JSON'
{"file":"-","class":"attachments","deletable":false,"viruses":["X"],
 "backstop":"X","limits":[],"parts":[]}
JSON
	refused 3 -v verdict.json msg.eml
	assert_output --partial 'whole message'
}

@test "refuse: verdict of another message is exit 65" {
	mk two-attachments
	scan_json
	mv verdict.json other.json
	mk body-only
	refused 65 -v other.json msg.eml
	assert_output --partial 'part 2 is application/octet-stream in the verdict but text/plain in the message'
	mk single-body
	refused 65 -v other.json msg.eml
	assert_output --partial 'part 2 is not in the message'
}

@test "refuse: unusable verdicts are exit 65" {
	mk two-attachments
	echo 'not json' > bad.json
	refused 65 -v bad.json msg.eml
	echo '{"class":"clean","deletable":true,"parts":[],"class":"clean"}' > bad.json
	refused 65 -v bad.json msg.eml
	assert_output --partial 'repeated key'
	echo '{"class":"clean","deletable":true,"parts":[{"part":"2","role":"attachment","type":"application/octet-stream","virus":"V"}]}' > bad.json
	refused 65 -v bad.json msg.eml
	assert_output --partial 'class clean but a virus'
	scan_json
	cat verdict.json verdict.json > two.json
	refused 65 -v two.json msg.eml
	assert_output --partial 'trailing bytes'
}

@test "refuse: verdict keys in another order and extra keys are fine" {
	mk two-attachments
	scan_json
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); v["x-extra"]={"a":[1,2.5,None]}; print(json.dumps(dict(reversed(list(v.items())))))' verdict.json > v2.json
	strip_ok -v v2.json
	grep -q 'removed 1 part' out.eml
}

@test "refuse: -p part not in the message, -B without body: exit 65" {
	mk two-attachments
	refused 65 -p 9 msg.eml
	refused 65 -p 1.1 msg.eml
	mk single-attachment
	refused 65 -B msg.eml
}

@test "refuse: missing verdict or templates: exit 75, nothing written" {
	mk two-attachments
	refused 75 -v missing.json msg.eml
	scan_json
	echo "strip_templates = $BATS_TEST_TMPDIR/none" > mailav.conf
	refused 75 -v verdict.json msg.eml
	assert_output --partial 'template'
	# Nothing to remove needs no template.
	run -0 mail-strip msg.eml
}

@test "refuse: bad configuration is exit 75" {
	mk two-attachments
	echo 'this is not a setting' > mailav.conf
	refused 75 msg.eml
	echo 'strip_lang = fr' > mailav.conf
	refused 75 msg.eml
}

@test "refuse: removed.txt with an unknown placeholder or a lone brace: exit 75 naming file and line" {
	mk two-attachments
	scan_json
	mkdir -p tpl/en
	cp "$TOP/share/templates/en/removed-body.txt" tpl/en/
	printf 'Removed.\n  File: {filenme}\n' > tpl/en/removed.txt
	printf 'strip_templates = %s/tpl\n' "$BATS_TEST_TMPDIR" > mailav.conf
	refused 75 -l en -v verdict.json msg.eml
	assert_output --partial 'tpl/en/removed.txt:2: unknown placeholder {filenme}'
	printf 'Removed {filename} }\n' > tpl/en/removed.txt
	refused 75 -l en -v verdict.json msg.eml
	assert_output --partial "a lone \`}'"
	# {{ and }} are the template dialect's literal braces (tmpl.h)
	printf 'Removed {{%s}}: {filename}\n' x > tpl/en/removed.txt
	run -0 mail-strip -l en -v verdict.json msg.eml
}
