#!/usr/bin/env bash
# Regenerate everything derived from the engine's answers, after a change to the physics or the
# catalogs: README example blocks, the accuracy tables (docs/accuracy.md and the README), the golden
# corpus and the example workbook's cached values. The README's prose numbers are checked by
# tests/test_readme.py, which says what to change.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/readme_examples.py
python3 bench/accuracy.py --markdown docs/accuracy.md >/dev/null
python3 - <<'PY'
from pathlib import Path

doc = Path("docs/accuracy.md").read_text(encoding="utf-8")
table = doc.split("<!-- results: python bench/accuracy.py --markdown docs/accuracy.md -->\n", 1)[1]
table = table.split("\n<!-- /results -->", 1)[0].strip("\n")
readme = Path("README.md")
text = readme.read_text(encoding="utf-8")
start = text.index("| case | quantity")
end = text.index("\n\n", text.index("| kind | cases", start))
readme.write_text(text[:start] + table + text[end:], encoding="utf-8")
PY
python3 scripts/golden.py update
python3 -m excel.build_workbook
