#!/bin/sh
# The verdicts of two mail-scan builds on every message of ../shared/corpus,
# compared: which messages changed and how.
#
#	sh bench/evasion-corpus.sh OLD-BIN-DIR [NEW-BIN-DIR]
#
# NEW-BIN-DIR defaults to build/bin.  The database is the project's EICAR
# samples (share/samples/db), the signed test database of ../shared/testdb
# (EICAR and clam.exe by MD5) and clam.exe by MD5 from clamav-testfiles.
# Prints one line per message whose verdict differs (class, deletable,
# backstop, infected parts) and per message whose part list differs,
# then the counts; exit 0.
set -eu

cd "$(dirname "$0")/.."
old=${1:?usage: evasion-corpus.sh OLD-BIN-DIR [NEW-BIN-DIR]}
new=${2:-build/bin}
shared=${MAILAV_SHARED:-../shared}
[ -d "$shared/corpus" ] || { echo "no $shared/corpus" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir "$tmp/db"
cp share/samples/db/* "$tmp/db/"
cp "$shared/testdb/test-6.cvd" "$tmp/db/"
find "$shared/corpus" -path "$shared/corpus/_expected" -prune -o -type f \
    ! -name README.md ! -name MANIFEST.tsv ! -name '*.py' -print |
    sort >"$tmp/list"
echo "$(wc -l <"$tmp/list") messages"
for v in old new; do
	eval "bin=\$$v"
	# One process for all: exit 1 means something was found.
	tr '\n' '\0' <"$tmp/list" |
	    xargs -0 "$bin/mail-scan" -j -d "$tmp/db" >"$tmp/$v.json" ||
	    [ $? -eq 123 ] || [ $? -eq 1 ]
done
python3 - "$tmp/old.json" "$tmp/new.json" "$shared/corpus/" <<'EOF'
import json, sys

def load(path):
    out = {}
    for line in open(path):
        v = json.loads(line)
        parts = sorted('%s=%s%s' % (p['part'], p['virus'],
                       '' if p['deletable'] else '(undeletable)')
                       for p in v['parts'] if p['virus'])
        f = v['file'].replace(sys.argv[3], '')
        out[f] = (v['class'], v['deletable'], v['backstop'], tuple(parts))
        tree[f] = tuple('%s %s %s' % (p['part'], p['role'], p['type'])
                        for p in v['parts'])
    return out

trees = {}
tree = trees.setdefault('old', {})
old = load(sys.argv[1])
tree = trees.setdefault('new', {})
new = load(sys.argv[2])
# The part lists too: the tree a change of the engine reads differently.
for f in sorted(set(trees['old']) & set(trees['new'])):
    if trees['old'][f] != trees['new'][f]:
        print('parts of %s\n  old: %s\n  new: %s' % (
            f, ', '.join(trees['old'][f]), ', '.join(trees['new'][f])))
changed = 0
for f in sorted(set(old) | set(new)):
    a, b = old.get(f), new.get(f)
    if a != b:
        changed += 1
        print('%s\n  old: %s\n  new: %s' % (f, a, b))
inf = sum(1 for v in new.values() if v[0] != 'clean')
print('%d verdicts, %d changed; infected old %d, new %d; backstop-only '
      'old %d, new %d' % (len(new), changed,
                          sum(1 for v in old.values() if v[0] != 'clean'),
                          inf, sum(1 for v in old.values() if v[2]),
                          sum(1 for v in new.values() if v[2])))
EOF
