"""Print every (code, name) classification pair the dev-corpus budget PDFs print, to check the resource tables against."""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

import pypdfium2 as pdfium

# A code printed at the start of a table cell: 3, 5 or 7 digits (functional 2xx, economic 3xx/5xx), optionally
# bracketed "[201]" or split by spaces "201 03 01", then "-" or spaces, then the name up to the next number/space.
PAIR = re.compile(
    r"(?<![0-9.,])[\[【]?(?P<code>[235]\d{2}(?:[ 　]?\d{2}){0,2})[\]】]?[-—－ 　]*"
    r"(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff（）()、“”\"]*[\u4e00-\u9fff）)])"
)


def pdf_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def harvest(text: str) -> collections.Counter:
    pairs: collections.Counter = collections.Counter()
    for m in PAIR.finditer(text):
        code = re.sub(r"\s", "", m["code"])
        if len(code) not in (3, 5, 7):
            continue
        pairs[(code, m["name"])] += 1
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", nargs="?", default="../shared/dev-corpus", type=Path)
    args = ap.parse_args(argv)
    total: collections.Counter = collections.Counter()
    files: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    for path in sorted(args.corpus.glob("*_budget.pdf")):
        for pair, n in harvest(pdf_text(path)).items():
            total[pair] += n
            files[pair].add(path.name)
    for (code, name), n in sorted(total.items()):
        print(f"{code}\t{name}\t{n}\t{len(files[(code, name)])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
