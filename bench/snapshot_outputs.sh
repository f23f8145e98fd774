#!/bin/bash
# The outputs of one fixed workbook through every command, to compare two versions of the code:
#   bash bench/snapshot_outputs.sh <checkout> <outdir> [input.xlsx]
# runs validate/compute/number/match/aging/close --json on a sample workbook (or the given one: pass the
# first run's <outdir>/input.xlsx to the second, so both start from the same bytes), then prints the canonical
# digest of every sheet of the computed and of the closed workbook and the Close sheet's rows less its
# timestamp. `diff -r -x work -x input.xlsx A B` of two runs must be empty when behaviour did not change
# (issue 16 compared the code before the move and after every merge this way).
set -u
src=$1; out=$2; rm -rf "$out"; mkdir -p "$out"; cd "$src"
w=$out/work; mkdir -p $w
export XLBILLING_DATABASE_URL=sqlite:///$w/store.db XLBILLING_ARCHIVE_DIR=$w/archive XLBILLING_KEY_FILE=$w/key.pem
x() { uv run -q xlbilling "$@"; }
if [ -n "${3:-}" ]; then cp "$3" $w/book.xlsx; else x new $w/book.xlsx --sample 400 --seed 7 >/dev/null; fi
cp $w/book.xlsx $out/input.xlsx
x validate $w/book.xlsx --json > $out/validate.json; echo "validate rc=$?" >> $out/rc
cp $w/book.xlsx $w/b2.xlsx
x compute $w/b2.xlsx --json > $out/compute.json; echo "compute rc=$?" >> $out/rc
x number $w/b2.xlsx --json > $out/number.json; echo "number rc=$?" >> $out/rc
x match $w/b2.xlsx --json > $out/match.json; echo "match rc=$?" >> $out/rc
x aging $w/b2.xlsx --as-of 2026-10-31 --json > $out/aging.json; echo "aging rc=$?" >> $out/rc
x close $w/book.xlsx --as-of 2026-10-31 --json > $out/close.json; echo "close rc=$?" >> $out/rc
uv run -q python - "$w/book.xlsx" "$w/b2.xlsx" > $out/digests.txt <<'PY'
import sys
from python_calamine import CalamineWorkbook
try:
    from billing.canonical import content_of
except ImportError:
    from billing.sealing.canonical import content_of
for p in sys.argv[1:]:
    c = content_of(p)
    # the Close sheet records when it ran: its digest is compared through its rows, less that one
    for s in c.sheets:
        if s.name != "Close":
            print(p.rsplit("/", 1)[1], s.name, s.digest)
    wb = CalamineWorkbook.from_path(p)
    if "Close" in wb.sheet_names:
        for row in wb.get_sheet_by_name("Close").to_python():
            if row[1] != "closed_at_utc":
                print(p.rsplit("/", 1)[1], "Close", row)
PY
uv run -q python - $out/close.json <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p)); d.pop("timings", None); d.pop("seconds", None)
json.dump(d, open(p, "w"), indent=2, sort_keys=True)
PY
