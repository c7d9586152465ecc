#!/bin/sh
# bench/evasion.sh: the evasion set of t/fixtures/evasion/gen.py (every
# class of mailav(7) READING MESSAGES, each hiding EICAR, EICAR zipped, a
# known text file and, with clamav-testfiles, clam.exe and clam.exe zipped;
# LF and CRLF) through clamscan (the whole message, libclamav's mail
# parser), ripmime and Python's email package (extract, then clamscan the
# extracted files), mblaze's mshow -x, and mail-scan.  Writes the table,
# per class and line end, into bench/RESULTS.md (section "evasion"); run
# after `make all`.  Not timed: this counts what each tool sees.
#
# found: clamscan (or mail-scan) reports the message infected.  extracted:
# a file the tool wrote out is infected (so a user of that tool would get
# the payload).  attributed: mail-scan names the part of the manifest.
# The database is the one of t/055: EICAR and clam.exe and the text file by
# MD5, EICAR as a raw pattern.
#
# Environment: BENCH_OUT (default bench/RESULTS.md).
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
out=${BENCH_OUT:-bench/RESULTS.md}
scan=$top/build/bin/mail-scan
[ -x "$scan" ] || { echo "evasion.sh: run make all first" >&2; exit 1; }
for t in clamscan ripmime mshow python3; do
	command -v "$t" >/dev/null ||
	    { echo "evasion.sh: $t is missing (make bench-deps)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailav-evasion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

clam=
[ -f /usr/share/clamav-testfiles/clam.exe ] &&
    clam=/usr/share/clamav-testfiles/clam.exe
ev=$tmp/ev
python3 t/fixtures/evasion/gen.py "$ev" $clam
db=$tmp/db
mkdir "$db"
cp share/samples/db/eicar.hdb "$db/"
grep ':0:' share/samples/db/eicar.ndb >"$db/eicar.ndb"
hdb() {
	printf '%s:%s:%s\n' "$(md5sum <"$1" | cut -d' ' -f1)" \
	    "$(wc -c <"$1" | tr -d ' ')" "$2"
}
hdb "$ev/lines.txt" Mailav.Test.Lines >"$db/lines.hdb"
[ -z "$clam" ] || hdb "$clam" Clamav.Test.File-6 >"$db/clam.hdb"

# Python's email package, as a program using it saves attachments: every
# leaf's get_payload(decode=True), under the default (compat32) policy.
cat >"$tmp/pyextract.py" <<'EOF'
import email, os, sys
src, dst = sys.argv[1], sys.argv[2]
for f in os.listdir(src):
    with open(os.path.join(src, f), 'rb') as fh:
        m = email.message_from_binary_file(fh)
    d = os.path.join(dst, f)
    os.makedirs(d)
    for i, p in enumerate(m.walk()):
        if p.is_multipart():
            continue
        data = p.get_payload(decode=True)
        if data:
            with open(os.path.join(d, 'part%d' % i), 'wb') as o:
                o.write(data)
EOF

for le in lf crlf; do
	"$scan" -j -d "$db" "$ev/$le"/*.eml >"$tmp/$le.mailscan.json" ||
	    [ $? -eq 1 ]
	clamscan --no-summary -d "$db" "$ev/$le"/*.eml 2>/dev/null |
	    sed -n 's|^.*/\([^/:]*\): .* FOUND$|\1|p' >"$tmp/$le.clamscan" ||
	    :
	mkdir -p "$tmp/$le.rip" "$tmp/$le.py" "$tmp/$le.mshow"
	for f in "$ev/$le"/*.eml; do
		b=${f##*/}
		mkdir "$tmp/$le.rip/$b" "$tmp/$le.mshow/$b"
		ripmime -i "$f" -d "$tmp/$le.rip/$b" --no-paranoid \
		    >/dev/null 2>&1 || :
		(cd "$tmp/$le.mshow/$b" && mshow -x "$f" >/dev/null 2>&1) || :
	done
	python3 "$tmp/pyextract.py" "$ev/$le" "$tmp/$le.py" 2>/dev/null || :
	for t in rip py mshow; do
		clamscan --no-summary -r -d "$db" "$tmp/$le.$t" 2>/dev/null |
		    sed -n "s|^$tmp/$le.$t/\\([^/]*\\)/.*: .* FOUND\$|\\1|p" |
		    sort -u >"$tmp/$le.$t.found" || :
	done
done

python3 - "$ev/MANIFEST.tsv" "$tmp" >"$tmp/table.md" <<'EOF'
import json, os, sys
man = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
tmp = sys.argv[2]
def names(p):
    return {l.strip() for l in open(p)} if os.path.exists(p) else set()
classes = ['encoding', 'boundary', 'names', 'text']
print('| class | line ends | messages | clamscan found | ripmime '
      'extracted | Python email extracted | mshow -x extracted | '
      'mail-scan found | attributed | deletable as expected | '
      'backstop-only |')
print('|---|---|' + '---:|' * 9)
tot = {}
for le in ('lf', 'crlf'):
    v = {}
    for line in open(os.path.join(tmp, le + '.mailscan.json')):
        j = json.loads(line)
        v[os.path.basename(j['file'])] = j
    cs = names(os.path.join(tmp, le + '.clamscan'))
    ex = {t: names(os.path.join(tmp, '%s.%s.found' % (le, t)))
          for t in ('rip', 'py', 'mshow')}
    for c in classes + ['all']:
        rows = [m for m in man if c == 'all' or m[1] == c]
        fs = [m[0] for m in rows]
        ms = [v[f] for f in fs]
        cnt = [len(fs), sum(f in cs for f in fs),
               sum(f in ex['rip'] for f in fs),
               sum(f in ex['py'] for f in fs),
               sum(f in ex['mshow'] for f in fs),
               sum(j['class'] != 'clean' for j in ms),
               sum(any(p['virus'] and p['part'] == m[4]
                       for p in v[m[0]]['parts']) for m in rows),
               sum(str(v[m[0]]['deletable']).lower() == m[5]
                   for m in rows),
               sum(j['backstop'] is not None for j in ms)]
        lab = '**all**' if c == 'all' else c
        print('| %s | %s | ' % (lab, le.upper()) +
              ' | '.join(str(x) for x in cnt) + ' |')
EOF

{
	echo '<!-- evasion: written by bench/evasion.sh; edit outside this section -->'
	echo '## The evasion set: what each tool finds or extracts'
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(clamscan --version | cut -d/ -f1);" \
	    "ripmime $(ripmime --version 2>&1 | head -n 1 | sed 's/^[^0-9]*//; s/ .*//');" \
	    "mblaze $(dpkg-query -W -f '${Version}' mblaze 2>/dev/null || echo '?');" \
	    "Python $(python3 -c 'import sys; print(sys.version.split()[0])');" \
	    "mail-scan $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
	echo "Messages from \`t/fixtures/evasion/gen.py\` (the classes of mailav(7)"
	echo "READING MESSAGES), each hiding one payload; \`extracted\`: a file the"
	echo "tool writes out is infected (clamscan on it, same database)."
	echo
	cat "$tmp/table.md"
	echo '<!-- evasion: end -->'
} >"$tmp/section.md"

if [ -f "$out" ] && grep -q '^<!-- evasion: written' "$out"; then
	awk -v sec="$tmp/section.md" '
	    /^<!-- evasion: written/ {
		while ((getline l < sec) > 0) print l; skip = 1; next }
	    skip && /^<!-- evasion: end -->/ { skip = 0; next }
	    !skip' "$out" >"$tmp/new"
else
	{ cat "$out"; echo; cat "$tmp/section.md"; } >"$tmp/new"
fi
cp "$tmp/new" "$out.tmp"
mv "$out.tmp" "$out"
echo "evasion.sh: results in $out"
cat "$tmp/table.md"
